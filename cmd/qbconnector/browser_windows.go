//go:build windows

package main

import "golang.org/x/sys/windows"

// openBrowser opens a link in the user's default browser.
func openBrowser(url string) error {
	return windows.ShellExecute(0, windows.StringToUTF16Ptr("open"), windows.StringToUTF16Ptr(url), nil, nil, windows.SW_SHOWNORMAL)
}
