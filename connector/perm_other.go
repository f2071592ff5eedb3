//go:build !windows

package connector

import "os"

// restrictDir makes dir accessible to its owner only.
func restrictDir(dir string) error { return os.Chmod(dir, 0o700) }

// shareWithUsers leaves the users' access file to its owner: elsewhere
// than Windows the connector runs as the user who uses it, and there is
// no tray app for other users (the folder is theirs alone anyway).
func shareWithUsers(string) error { return nil }
