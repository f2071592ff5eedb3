//go:build unix

package swarm

import (
	"syscall"
	"testing"
)

// raiseOpenFiles lifts this process's open-files limit to its hard limit;
// the server process started afterwards inherits it. Each connector holds
// a socket at both ends.
func raiseOpenFiles(tb testing.TB, need int) {
	tb.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			tb.Fatal(err)
		}
	}
	if lim.Cur < uint64(need) {
		tb.Skipf("open-files limit %d is below the %d this swarm needs", lim.Cur, need)
	}
}
