//go:build windows

package connector

import (
	"os"

	"golang.org/x/sys/windows"
)

// programData returns the machine's ProgramData folder as Windows' known
// folder says, not the environment: the service and the user's console
// must find the same data folder, and a service's environment may name
// another (Wine gives services C:\users\Public).
func programData() string {
	if p, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0); err == nil && p != "" {
		return p
	}
	if p := os.Getenv("ProgramData"); p != "" {
		return p
	}
	return `C:\ProgramData`
}
