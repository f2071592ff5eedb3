// Package testenv is the end-to-end test environment: the platform
// (`qbconnect serve`), the QuickBooks simulator (`qbdsim serve`) and signed
// connectors (`qbconnector run`) as real processes on loopback, wired
// together by hand, plus what tests need around them: a webhook receiver,
// a browser for the connector's local UI, and waiting on conditions with a
// deadline instead of sleeping.
//
// Like cmd/..., it may import every package of the project; only tests
// import it. A test package builds the binaries once in TestMain:
//
//	var bins *testenv.Binaries
//
//	func TestMain(m *testing.M) {
//		os.Exit(testenv.Main(m, &bins))
//	}
//
// and each test starts what it needs:
//
//	sim := testenv.StartSim(t, bins, testenv.SimOptions{Roots: ca.RootPath()})
//	plat := testenv.StartPlatform(t, bins, testenv.PlatformOptions{})
package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the version the test binaries are built with.
const Version = "9.9.9-e2e"

// Binaries are the project's commands built for one test run.
type Binaries struct {
	Dir         string
	QBConnect   string
	QBConnector string
	QBDSim      string
}

// RepoRoot returns the repository root: the nearest folder above the
// working directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Build builds qbconnect, qbconnector and qbdsim into dir with version
// Version. The three builds share the build cache, so a second run costs
// little.
func Build(dir string) (*Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	b := &Binaries{
		Dir:         dir,
		QBConnect:   filepath.Join(dir, "qbconnect"),
		QBConnector: filepath.Join(dir, "qbconnector"),
		QBDSim:      filepath.Join(dir, "qbdsim"),
	}
	for out, pkg := range map[string]string{b.QBConnect: "./cmd/qbconnect", b.QBConnector: "./cmd/qbconnector", b.QBDSim: "./cmd/qbdsim"} {
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+Version, "-o", out, pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("testenv: building %s: %v\n%s", pkg, err, msg)
		}
	}
	return b, nil
}

// Main builds the binaries into a temporary folder, stores them in *bins,
// runs the tests and removes the folder. It returns the exit code for
// os.Exit. Use it from TestMain. A run that only lists the tests
// (go test -list, as the README's checks do) builds nothing.
func Main(m *testing.M, bins **Binaries) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "qbconnect-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	b, err := Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*bins = b
	return m.Run()
}

// LockedBuffer is a bytes.Buffer that a process may write while a test
// reads it.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Run runs a command to completion and returns its standard output; it
// fails the test with both outputs when the command fails.
func Run(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	out, errOut, err := RunErr(bin, args...)
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// RunErr runs a command to completion and returns its outputs and error.
func RunErr(bin string, args ...string) (stdout, stderr string, err error) {
	return RunCmdErr(exec.Command(bin, args...))
}

// RunCmdErr runs a prepared command to completion and returns its outputs
// and error.
func RunCmdErr(cmd *exec.Cmd) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// Proc is a long-running process started by a test. Its standard error
// (and standard output after the line Start waited for) is kept for
// failure messages.
type Proc struct {
	Name string
	// Output holds what the process wrote.
	Output *LockedBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts bin with args and reads its standard output until a line
// for which match returns a non-empty string, which it returns. The
// process is stopped (SIGTERM, then waited for) at cleanup.
func Start(tb testing.TB, bin string, args []string, match func(line string) string) (*Proc, string) {
	tb.Helper()
	return StartCmd(tb, exec.Command(bin, args...), match)
}

// StartCmd is Start for a prepared command (another environment, or a
// program run through a loader such as Wine).
func StartCmd(tb testing.TB, cmd *exec.Cmd, match func(line string) string) (*Proc, string) {
	tb.Helper()
	args := cmd.Args[1:]
	p := &Proc{Name: filepath.Base(cmd.Path), Output: &LockedBuffer{}, done: make(chan struct{})}
	// The pipes are the test's own, not exec's StdoutPipe: exec closes
	// those when the process exits, and a version the process started by a
	// self-update, which inherits them, would then die of SIGPIPE at its
	// next log line. The readers end when the last writer closes its end.
	// The ready line may be on either stream: a server that logs it
	// (qbconnect serve) writes it on standard error.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	err = cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		stdoutR.Close()
		stderrR.Close()
		tb.Fatalf("starting %s: %v", p.Name, err)
	}
	streams := []*os.File{stdoutR, stderrR}
	p.cmd = cmd
	lines, ready := make(chan string), make(chan struct{})
	var readers sync.WaitGroup
	for _, r := range streams {
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer r.Close()
			sc := bufio.NewScanner(r)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				p.Output.Write([]byte(sc.Text() + "\n"))
				select {
				case lines <- sc.Text():
				case <-ready:
				}
			}
			io.Copy(p.Output, r)
		}()
	}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	go func() {
		readers.Wait()
		close(lines)
	}()
	tb.Cleanup(p.Stop)
	found := ""
	for line := range lines {
		if found = match(line); found != "" {
			break
		}
	}
	close(ready)
	if found == "" {
		<-p.done
		tb.Fatalf("%s %s exited before it was ready:\n%s", p.Name, strings.Join(args, " "), p.Output.String())
	}
	return p, found
}

// Stop asks the process to stop (SIGTERM) and waits for it. It is safe to
// call twice.
func (p *Proc) Stop() { p.signal(syscall.SIGTERM) }

// Kill kills the process (SIGKILL) and waits for it.
func (p *Proc) Kill() { p.signal(syscall.SIGKILL) }

func (p *Proc) signal(sig os.Signal) {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second): // a process that ignores SIGTERM is killed
		cmd.Process.Kill()
		<-p.done
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// URLAfter returns a match function for Start that finds the first
// http:// URL on a line containing marker.
func URLAfter(marker string) func(string) string {
	return func(line string) string {
		if !strings.Contains(line, marker) {
			return ""
		}
		i := strings.Index(line, "http://")
		if i < 0 {
			return ""
		}
		// A JSON log record ends the URL with its closing quote.
		u, _, _ := strings.Cut(strings.Fields(line[i:])[0], `"`)
		return strings.TrimRight(u, ".,)")
	}
}
