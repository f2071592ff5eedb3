//go:build windows

package connector

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the locked byte lies: far past the process ID at the
// start of the file, because a byte range locked with LockFileEx cannot be
// read by others, and the next agent reads the ID to name the holder.
const lockOffset = 1 << 30

func lockRange() *windows.Overlapped {
	return &windows.Overlapped{Offset: lockOffset}
}

// tryLock takes an exclusive lock on one byte of f without waiting; false
// when another handle holds it (another process, or another Lock in this
// one).
func tryLock(f *os.File) (bool, error) {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRange())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

func unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange())
}
