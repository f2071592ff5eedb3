//go:build windows

package connector

import "golang.org/x/sys/windows"

// dataDirSDDL grants full control to SYSTEM and the Administrators group
// only, and protects the folder from inherited permissions: the connector
// runs as a service (SYSTEM) and is configured by an administrator, and no
// other local user may read its credential.
const dataDirSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// restrictDir makes dir accessible to SYSTEM and Administrators only.
func restrictDir(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(dataDirSDDL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
