package testenv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProcessCPU returns the user and system CPU time the process pid has used,
// from /proc: 0 where there is none. Benchmarks report CPU time beside
// wall time because a machine busy with other work inflates the latter
// far more.
func ProcessCPU(pid int) time.Duration {
	own, _, _ := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	return own
}

// PostgresCPU returns the CPU time of the PostgreSQL server's processes on
// this machine (Linux, a server on this machine; 0 elsewhere): the live
// ones, and those that ended, which the postmaster has counted as its
// children. Whoever's work they did: on a server other tests share, it is
// an upper bound of one benchmark's.
func PostgresCPU() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var total time.Duration
	for _, path := range stats {
		own, children, comm := procStat(path)
		if comm != "postgres" {
			continue
		}
		total += own + children
	}
	return total
}

// procStat reads a /proc/<pid>/stat file: the process's command, its user
// and system CPU time, and that of its children it has waited for.
func procStat(path string) (own, children time.Duration, comm string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, ""
	}
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return 0, 0, ""
	}
	// utime, stime, cutime and cstime are the 12th to 15th fields after
	// the command name, in clock ticks of 10 ms.
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 15 {
		return 0, 0, ""
	}
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * 10 * time.Millisecond
	}
	return tick(11) + tick(12), tick(13) + tick(14), string(data[open+1 : end])
}
