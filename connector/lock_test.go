package connector

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbd"
)

// lockHolderEnv makes the test binary a process that holds a data
// folder's lock until its standard input closes.
const lockHolderEnv = "QBCONNECTOR_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(lockHolderEnv); dir != "" {
		os.Exit(holdLock(dir))
	}
	os.Exit(m.Run())
}

func holdLock(dir string) int {
	l, err := (&Store{Dir: dir}).Lock(os.Getpid())
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes it
	l.Release()
	return 0
}

// lockHolder starts another process holding dir's lock and returns it
// once it holds it.
func lockHolder(tb testing.TB, dir string) (*exec.Cmd, func()) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	stop := func() {
		stdin.Close()
		cmd.Wait()
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		stop()
	})
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		tb.Fatalf("the lock holder said %q", line)
	}
	return cmd, stop
}

func TestSecondAgentOnTheSameDataFolderIsRefusedNamingTheRunningPID(t *testing.T) {
	st := &Store{Dir: t.TempDir()}
	holder, stop := lockHolder(t, st.Dir)

	_, err := st.Lock(os.Getpid())
	var le *LockedError
	if !errors.As(err, &le) || le.PID != holder.Process.Pid || !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock while another process holds it = %v, want a LockedError naming PID %d", err, holder.Process.Pid)
	}
	want := fmt.Sprintf("another qbconnector (PID %d) is already running for the data folder %s", holder.Process.Pid, st.Dir)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
	if err := st.CheckUnlocked(); !errors.Is(err, ErrLocked) {
		t.Errorf("CheckUnlocked while held = %v", err)
	}

	// The agent itself is refused before it opens the journal.
	cfg := &Config{PlatformURL: "http://127.0.0.1:1", Credential: "qbc_x"}
	if err := st.Save(cfg); err != nil {
		t.Fatal(err)
	}
	opts := Options{Store: st, Config: cfg, NewProcessor: func() (qbd.RequestProcessor, error) { return nil, errors.New("no QuickBooks") }}
	if _, err := NewAgent(context.Background(), opts); !errors.As(err, &le) || le.PID != holder.Process.Pid {
		t.Fatalf("NewAgent while another agent runs = %v", err)
	}

	// Once the holder is gone the lock is free, whatever the file says.
	stop()
	a, err := NewAgent(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewAgent after the other agent ended: %v", err)
	}
	data, _ := os.ReadFile(st.Path(lockFile))
	if got := strings.TrimSpace(string(data)); got != fmt.Sprint(os.Getpid()) {
		t.Errorf("lock file holds %q, want this process's PID", got)
	}
	// A second agent in the same process is refused too; after Close the
	// folder is free again.
	if _, err := NewAgent(context.Background(), opts); !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Errorf("a second agent in the same process = %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckUnlocked(); err != nil {
		t.Errorf("after Close: %v", err)
	}
}

func TestLockOfAKilledAgentIsFreed(t *testing.T) {
	st := &Store{Dir: t.TempDir()}
	holder, _ := lockHolder(t, st.Dir)
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Process.Wait()
	l, err := st.Lock(os.Getpid())
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	l.Release()
}
