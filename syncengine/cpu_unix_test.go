//go:build unix

package syncengine_test

import (
	"runtime"
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is Linux's RUSAGE_THREAD; other systems answer an error and
// threadCPU reports 0.
const rusageThread = 1

// threadCPU runs fn on one locked OS thread and returns the CPU time that
// thread used, so that a machine busy with other work does not inflate it.
// It is 0 where the system cannot tell.
func threadCPU(fn func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var a, b syscall.Rusage
	errA := syscall.Getrusage(rusageThread, &a)
	fn()
	errB := syscall.Getrusage(rusageThread, &b)
	if errA != nil || errB != nil || runtime.GOOS != "linux" {
		return 0
	}
	return time.Duration(b.Utime.Nano() + b.Stime.Nano() - a.Utime.Nano() - a.Stime.Nano())
}
