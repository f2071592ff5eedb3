package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/wine"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// Connector is an installed `qbconnector`: a copy of the binary signed with
// a code-signing certificate, its data folder, and, while it runs, its
// process and local UI.
type Connector struct {
	tb testing.TB
	// Program is the signed executable; DataDir its data folder.
	Program string
	DataDir string
	// Leaf is the certificate the program is signed with now.
	Leaf *signingtest.Leaf

	Proc *Proc
	// UIURL is the local UI's link with its token; Token the token.
	UIURL string
	Token string
	// adopted is the process that replaced Proc by a self-update
	// (WaitReplaced).
	adopted *adopted
	// Wine, when set, is the Wine prefix that runs the program: a Windows
	// build installed with InstallWindowsConnector.
	Wine *wine.Prefix
	// runPID is the running agent's PID as its runtime file says (under
	// Wine a Windows PID), read when Run saw its UI.
	runPID int
	// dataDirArg is the --data-dir the commands get; "" leaves the
	// connector's default data folder (under Wine, C:\ProgramData\qbconnect).
	dataDirArg string
}

// command returns the command that runs the installed program with args
// (before them, --data-dir when the data folder is not the default).
func (c *Connector) command(args ...string) *exec.Cmd {
	if c.dataDirArg != "" {
		args = append([]string{"--data-dir", c.dataDirArg}, args...)
	}
	if c.Wine != nil {
		// No WaitDelay: a version started by a self-update writes to the
		// output it inherits, which the test reads (the rollback's log).
		return c.Wine.Command(c.Program, args...)
	}
	return exec.Command(c.Program, args...)
}

// InstallConnector copies the connector binary into a folder of its own
// and signs it with leaf (a detached signature, PROGRAM.p7s, since the
// test binary is not a Windows executable).
func InstallConnector(tb testing.TB, bins *Binaries, leaf *signingtest.Leaf) *Connector {
	tb.Helper()
	dir := tb.TempDir()
	c := &Connector{tb: tb, Program: filepath.Join(dir, "qbconnector"), DataDir: filepath.Join(dir, "data")}
	c.dataDirArg = c.DataDir
	data, err := os.ReadFile(bins.QBConnector)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(c.Program, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	c.Sign(leaf)
	return c
}

// Sign signs the installed program with leaf, replacing its signature: the
// same program released under another certificate.
func (c *Connector) Sign(leaf *signingtest.Leaf) {
	c.tb.Helper()
	if _, _, err := leaf.Signer().SignFile(context.Background(), c.Program); err != nil {
		c.tb.Fatalf("signing the connector: %v", err)
	}
	c.Leaf = leaf
}

// Cmd runs a qbconnector command on the data folder and returns its
// output.
func (c *Connector) Cmd(args ...string) string {
	c.tb.Helper()
	out, errOut, err := c.CmdErr(args...)
	if err != nil {
		c.tb.Fatalf("qbconnector %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// CmdErr runs a qbconnector command on the data folder and returns its
// outputs and error, for commands that are meant to fail.
func (c *Connector) CmdErr(args ...string) (stdout, stderr string, err error) {
	return RunCmdErr(c.command(args...))
}

// StartLink starts `qbconnector link` in the background, which waits for
// QuickBooks' administrator; Wait on the result for its output.
func (c *Connector) StartLink(platformURL, code, simURL string) *Linking {
	c.tb.Helper()
	l := &Linking{done: make(chan struct{})}
	cmd := c.command("link", "--platform", platformURL, "--code", code, "--qbdsim", simURL, "--timeout", "1m")
	cmd.Stdout, cmd.Stderr = &l.out, &l.out
	if err := cmd.Start(); err != nil {
		c.tb.Fatal(err)
	}
	go func() {
		l.err = cmd.Wait()
		close(l.done)
	}()
	c.tb.Cleanup(func() {
		cmd.Process.Kill()
		<-l.done
	})
	return l
}

// Linking is a `qbconnector link` under way.
type Linking struct {
	out  bytes.Buffer
	err  error
	done chan struct{}
}

// Wait waits for the link command and fails the test unless it linked.
func (l *Linking) Wait(tb testing.TB) string {
	tb.Helper()
	<-l.done
	if l.err != nil || !strings.Contains(l.out.String(), "Linked") {
		tb.Fatalf("qbconnector link: %v\n%s", l.err, l.out.String())
	}
	return l.out.String()
}

// RunArgs are the agent's flags in tests: quick probes and back-off so
// that states clear within a test's patience, and another company file
// open shown as needing action at once (not after the production hour of
// "Waiting for QuickBooks"; a test that checks the wait passes
// --wrong-file-grace again, and the last value counts).
var RunArgs = []string{"--probe-interval", "300ms", "--heartbeat", "2s", "--wrong-file-grace", "1ms",
	"--backoff-min", "50ms", "--backoff-max", "500ms", "--idle-session", "3s", "--begin-timeout", "1s", "--log-level", "debug"}

// Run starts `qbconnector run` and waits for its local UI.
func (c *Connector) Run(extra ...string) {
	c.tb.Helper()
	args := append(append([]string{"run", "--print-ui-url"}, RunArgs...), extra...)
	c.Proc, c.UIURL = StartCmd(c.tb, c.command(args...), func(line string) string {
		// Only the ready line: StartCmd reads the logs (stderr) too.
		if u, ok := strings.CutPrefix(line, "Local UI: "); ok {
			return u
		}
		return ""
	})
	pu, err := url.Parse(c.UIURL)
	if err != nil {
		c.tb.Fatal(err)
	}
	c.Token = pu.Query().Get("token")
	if rt, ok, err := (&connector.Store{Dir: c.DataDir}).LoadRuntime(); err == nil && ok {
		c.runPID = rt.PID
	}
}

// Stop stops the running agent gracefully.
func (c *Connector) Stop() {
	if c.adopted != nil {
		c.adopted.stop()
		c.adopted = nil
	}
	if c.Proc != nil {
		c.Proc.Stop()
		c.Proc = nil
	}
}

// UI calls the connector's local JSON API and decodes the answer into out
// (when not nil); it returns the HTTP status.
func (c *Connector) UI(method, path string, body, out any) int {
	c.tb.Helper()
	pu, err := url.Parse(c.UIURL)
	if err != nil {
		c.tb.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+pu.Host+path, rd)
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatalf("connector UI %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// Status returns the running agent's status from its local API.
func (c *Connector) Status() connector.Status {
	c.tb.Helper()
	var st connector.Status
	if code := c.UI("GET", "/api/status", nil, &st); code != http.StatusOK {
		c.tb.Fatalf("connector status: HTTP %d", code)
	}
	return st
}

// File returns the running agent's status of one linked file; it fails
// the test when the file is not linked.
func (c *Connector) File(connectionID string) *connector.FileStatus {
	c.tb.Helper()
	fs := c.Status().File(connectionID)
	if fs == nil {
		c.tb.Fatalf("the connector has no linked file for connection %s", connectionID)
	}
	return fs
}

// PerformSync presses Perform Sync for a file through the local API.
func (c *Connector) PerformSync(connectionID string) {
	c.tb.Helper()
	if code := c.UI("POST", "/api/files/"+connectionID+"/sync", nil, nil); code != http.StatusOK {
		c.tb.Fatalf("Perform Sync: HTTP %d", code)
	}
}
