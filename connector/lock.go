package connector

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// lockFile is the data folder's lock: a running agent holds an exclusive
// operating-system lock on it (flock on Linux and macOS, LockFileEx on
// Windows) for its whole life, and writes its process ID in it. The
// system drops the lock when the process ends, even by a crash, so a
// stale file never blocks the next agent.
const lockFile = "agent.lock"

// LockedError says that another agent holds the data folder's lock.
type LockedError struct {
	// Dir is the data folder.
	Dir string
	// PID is the running agent's process ID; 0 when it has not written it
	// yet.
	PID int
}

// Error names the running agent's process ID and what to do.
func (e *LockedError) Error() string {
	who := "another qbconnector"
	if e.PID > 0 {
		who = fmt.Sprintf("another qbconnector (PID %d)", e.PID)
	}
	return fmt.Sprintf("connector: %s is already running for the data folder %s; stop it first, or use another --data-dir", who, e.Dir)
}

// ErrLocked matches a *LockedError with errors.Is.
var ErrLocked = errors.New("connector: the data folder is in use by another agent")

// Is makes errors.Is(err, ErrLocked) true for a *LockedError.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is the exclusive lock of a data folder, held by one agent.
type Lock struct {
	f *os.File
}

// Lock takes the data folder's exclusive lock without waiting and records
// pid in it. It returns a *LockedError naming the holder's PID when another
// agent (in this process or another) holds it.
func (s *Store) Lock(pid int) (*Lock, error) {
	return s.lock(pid)
}

// CheckUnlocked returns a *LockedError when an agent holds the data
// folder, and nil (holding nothing) otherwise: for commands that must not
// start a second agent's work before the agent itself takes the lock.
func (s *Store) CheckUnlocked() error {
	l, err := s.lock(0)
	if err != nil {
		return err
	}
	return l.Release()
}

func (s *Store) lock(pid int) (*Lock, error) {
	if err := s.Init(); err != nil {
		return nil, err
	}
	path := s.Path(lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("connector: opening the lock file: %w", err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("connector: locking %s: %w", path, err)
	}
	if !ok {
		holder := readPID(f)
		f.Close()
		return nil, &LockedError{Dir: s.Dir, PID: holder}
	}
	if pid == 0 {
		return &Lock{f: f}, nil
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("connector: recording the process ID in %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The file stays: removing it would let two
// agents lock two different files of the same name.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// readPID reads the process ID a lock holder recorded; 0 when there is
// none yet.
func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
