//go:build !windows

package main

import (
	"os/exec"
	"runtime"
)

// openBrowser opens a link in the user's default browser: open on macOS,
// xdg-open on other desktops.
func openBrowser(url string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	return exec.Command(name, url).Run()
}
