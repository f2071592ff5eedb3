//go:build !windows

package simclient

// hostPath returns p: the simulator and the calling program share the file
// system.
func hostPath(p string) string { return p }
