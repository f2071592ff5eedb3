package testenv

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/internal/wine"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// What tests of connector releases need: connector builds of given
// versions, installations with pinned publisher roots, following a
// connector that replaced itself with a new version, more client
// organisations, and `qbconnect release` commands on the platform's
// database.

// BuildConnector builds qbconnector with version into dir and returns its
// path. Builds of different versions share the build cache: only the link
// step runs again.
func BuildConnector(tb testing.TB, dir, version string) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "qbconnector-"+version)
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", out, "./cmd/qbconnector")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building qbconnector %s: %v\n%s", version, err, msg)
	}
	return out
}

// InstallConnectorBuild is InstallConnector for a given build of the
// connector (see BuildConnector).
func InstallConnectorBuild(tb testing.TB, build string, leaf *signingtest.Leaf) *Connector {
	tb.Helper()
	return InstallConnector(tb, &Binaries{QBConnector: build}, leaf)
}

// PinRoots installs the publisher roots beside the program
// (PROGRAM.roots.pem), as the installer does; with them the connector
// updates itself.
func (c *Connector) PinRoots(pemFile string) {
	c.tb.Helper()
	data, err := os.ReadFile(pemFile)
	if err != nil {
		c.tb.Fatal(err)
	}
	if err := os.WriteFile(c.Program+connector.RootsFileSuffix, data, 0o644); err != nil {
		c.tb.Fatal(err)
	}
}

// WaitReplaced waits until the agent that runs now is another process than
// the one started by Run: the connector updated itself, the old process
// exited and the new version serves its local UI. It then follows the new
// process: UIURL and Token are the new UI's, Stop stops it, and it is
// stopped at cleanup.
func (c *Connector) WaitReplaced(timeout time.Duration) {
	c.tb.Helper()
	old := c.Proc
	if old == nil {
		c.tb.Fatal("WaitReplaced: the connector was not started with Run")
	}
	oldPID := old.cmd.Process.Pid
	// Under Wine the runtime file names Windows PIDs, which are not the
	// Linux ones: the old agent's is the one it published when it
	// started, and the new one is alive when its UI answers.
	oldRuntimePID, alive := oldPID, func(r connector.Runtime) bool { return !gone(r.PID) }
	if c.Wine != nil {
		oldRuntimePID, alive = c.runPID, uiAnswers
	}
	var rt connector.Runtime
	wait.For(c.tb, "the connector to be replaced by a new process", timeout, func() (bool, string) {
		r, ok, err := (&connector.Store{Dir: c.DataDir}).LoadRuntime()
		if err != nil || !ok {
			return false, fmt.Sprintf("no runtime file (%v)", err)
		}
		if r.PID == oldRuntimePID || !alive(r) {
			return false, fmt.Sprintf("runtime PID %d (old %d)", r.PID, oldRuntimePID)
		}
		if !old.Exited() && !gone(oldPID) {
			return false, fmt.Sprintf("new PID %d, the old process %d still runs", r.PID, oldPID)
		}
		rt = r
		return true, ""
	})
	// Stop the new process before the old Proc's cleanup, which waits for
	// the output pipes the new process inherited.
	a := &adopted{pid: rt.PID, dataDir: c.DataDir, wine: c.Wine}
	c.tb.Cleanup(a.stop)
	c.adopted = a
	c.runPID = rt.PID
	c.UIURL = rt.UIURL
	if i := strings.Index(rt.UIURL, "token="); i >= 0 {
		c.Token = rt.UIURL[i+len("token="):]
	}
}

// adopted is a process the test did not start (a connector's successor):
// it can only be signalled and watched through /proc.
type adopted struct {
	pid     int
	dataDir string
	stopped bool
	// wine, when set, runs the process: pid is a Windows PID.
	wine *wine.Prefix
}

// uiAnswers reports whether the local UI a runtime file names answers.
func uiAnswers(r connector.Runtime) bool {
	u, err := url.Parse(r.UIURL)
	if err != nil || u.Host == "" {
		return false
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + u.Host + "/api/status")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// stopWine ends an adopted Windows process with Wine's taskkill (Windows
// has no SIGTERM for a console program that another one started) and
// waits until its local UI no longer answers.
func (a *adopted) stopWine() {
	rt, ok, err := (&connector.Store{Dir: a.dataDir}).LoadRuntime()
	pids := []int{a.pid}
	if err == nil && ok && rt.PID != a.pid {
		pids = append(pids, rt.PID)
	}
	for _, pid := range pids {
		a.wine.Run("taskkill", "/F", "/PID", strconv.Itoa(pid))
	}
	deadline := time.Now().Add(20 * time.Second)
	for ok && uiAnswers(rt) && time.Now().Before(deadline) {
		<-time.After(wait.Interval) // a process we did not start cannot be waited for
	}
}

// stop stops the adopted process and whichever agent the runtime file
// names now (should the connector have replaced itself again).
func (a *adopted) stop() {
	if a.stopped {
		return
	}
	a.stopped = true
	if a.wine != nil {
		a.stopWine()
		return
	}
	pids := []int{a.pid}
	if rt, ok, err := (&connector.Store{Dir: a.dataDir}).LoadRuntime(); err == nil && ok && rt.PID != a.pid {
		pids = append(pids, rt.PID)
	}
	for _, pid := range pids {
		signal(pid, syscall.SIGTERM)
		deadline := time.Now().Add(20 * time.Second)
		for !gone(pid) {
			if time.Now().After(deadline) {
				signal(pid, os.Kill)
				deadline = time.Now().Add(time.Hour)
			}
			<-time.After(wait.Interval) // a process we did not start cannot be waited for
		}
	}
}

// signal sends sig to a process this test did not start (one that a
// self-updated connector spawned).
func signal(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}

// gone reports whether pid has ended: it does not exist, or it is a zombie
// that its parent has not reaped yet.
func gone(pid int) bool {
	if pid <= 0 || signal(pid, syscall.Signal(0)) != nil {
		return true
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// "pid (comm) state ...": comm may hold spaces; the state follows the
	// last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// NewOrg creates another client organisation with its own API key on the
// same server and returns a Platform that acts for it.
func (p *Platform) NewOrg(name string) *Platform {
	p.tb.Helper()
	out := Run(p.tb, p.bins.QBConnect, "admin", "--db", p.DB, "org", "create", name)
	q := *p
	q.OrgID, _, _ = strings.Cut(strings.TrimSpace(out), "\t")
	q.APIKey = strings.TrimSpace(Run(p.tb, p.bins.QBConnect, "admin", "--db", p.DB, "apikey", "create", "--org", name, "--name", "e2e"))
	if !strings.HasPrefix(q.OrgID, "org_") || !strings.HasPrefix(q.APIKey, "qbk_") {
		p.tb.Fatalf("qbconnect admin gave org %q and key %q", q.OrgID, q.APIKey)
	}
	return &q
}

// Release runs `qbconnect release SUBCOMMAND --db DB ARGS...` on the
// server's database, as the operator does, and returns its output.
func (p *Platform) Release(sub string, args ...string) string {
	p.tb.Helper()
	return Run(p.tb, p.bins.QBConnect, append([]string{"release", sub, "--db", p.DB}, args...)...)
}

// WaitExit waits up to timeout for the process to end by itself, as a
// service manager does, and returns its exit code (-1 when a signal ended
// it). It fails the test when the process keeps running.
func (p *Proc) WaitExit(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		tb.Fatalf("%s did not exit within %s:\n%s", p.Name, timeout, p.Output.String())
	}
	return p.cmd.ProcessState.ExitCode()
}
