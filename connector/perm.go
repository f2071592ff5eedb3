package connector

import "strings"

// The access rules of the data folder and of the users' access file on
// Windows, in SDDL (Security Descriptor Definition Language), built here
// so that they are tested on any OS (perm_test.go); perm_windows.go
// applies them.

// allow is one "allow" rule of a DACL: a trustee's SID string and the
// rights it gets.
type allow struct {
	// SID is a well-known alias: SY (LocalSystem), BA (the Administrators
	// group), IU (INTERACTIVE: users logged on at the computer or through
	// Remote Desktop, not services or network logons).
	SID string
	// Rights: FA (full access) or FR (read: data, attributes, the rules).
	Rights string
	// Inherit passes the rule to files and folders below (OICI).
	Inherit bool
}

// protectedDACL returns the SDDL of a DACL made of rules alone: protected
// (P) from the rules of the folders above it, so nothing else is allowed.
func protectedDACL(rules ...allow) string {
	var b strings.Builder
	b.WriteString("D:P")
	for _, r := range rules {
		flags := ""
		if r.Inherit {
			flags = "OICI"
		}
		b.WriteString("(A;" + flags + ";" + r.Rights + ";;;" + r.SID + ")")
	}
	return b.String()
}

// dataDirSDDL grants full control to SYSTEM and the Administrators group
// only, passed on to everything inside, and protects the folder from
// inherited permissions: the connector runs as a service (SYSTEM) and is
// configured by an administrator, and no other local user may read its
// credential or its full UI token.
var dataDirSDDL = protectedDACL(allow{"SY", "FA", true}, allow{"BA", "FA", true})

// userAccessSDDL is UserAccessFile's: SYSTEM and the Administrators as in
// the folder, and read-only access for interactive users, so that the
// tray app and the Start-menu shortcut of an unelevated user reach the
// UI with the users' token (access.go). A user opens it by its path
// inside the folder, which they cannot list: Windows lets every account
// pass through folders it cannot open (the "bypass traverse checking"
// right), and only the file's own rules count.
var userAccessSDDL = protectedDACL(allow{"SY", "FA", false}, allow{"BA", "FA", false}, allow{"IU", "FR", false})
