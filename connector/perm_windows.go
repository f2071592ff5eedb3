//go:build windows

package connector

import "golang.org/x/sys/windows"

// restrictDir makes dir accessible to SYSTEM and Administrators only
// (dataDirSDDL).
func restrictDir(dir string) error { return setDACL(dir, dataDirSDDL) }

// shareWithUsers makes a file of the data folder readable by interactive
// users (userAccessSDDL).
func shareWithUsers(path string) error { return setDACL(path, userAccessSDDL) }

// setDACL replaces the access rules of a file or folder with those of
// sddl, protected from inheritance.
func setDACL(path, sddl string) error {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
