//go:build !unix

package swarm

import "testing"

// raiseOpenFiles: the swarm runs where it can raise its open-files limit.
func raiseOpenFiles(tb testing.TB, need int) {
	tb.Skipf("the swarm needs a Unix open-files limit of %d", need)
}
