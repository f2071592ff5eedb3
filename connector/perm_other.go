//go:build !windows

package connector

import "os"

// restrictDir makes dir accessible to its owner only.
func restrictDir(dir string) error { return os.Chmod(dir, 0o700) }
