//go:build windows

// Command sddl prints the access rules (DACL) of each file or folder named
// on its command line, in Windows' SDDL notation, as Windows reports them:
// tests run it under Wine to check the permissions a program set.
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

func main() {
	for _, p := range os.Args[1:] {
		sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", p, err)
			os.Exit(1)
		}
		fmt.Println(sd.String())
	}
}
