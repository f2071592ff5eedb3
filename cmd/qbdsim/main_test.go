package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/server"
)

// serve runs `qbdsim serve` in-process on a free port and returns its
// address; it stops at the end of the test.
func serve(t *testing.T, dir string) string {
	t.Helper()
	return serveArgs(t, "serve", "--dir", dir, "--addr", "127.0.0.1:0")
}

// serveArgs runs `qbdsim ARGS...` (a serve command) as serve does.
func serveArgs(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(pw)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not start: %v", err)
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://(\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	return m[1]
}

// run runs a control command against addr and returns its output.
func run(t *testing.T, addr string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(append(args, "--addr", addr))
	cmd.SetOut(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("qbdsim %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func TestCommandsDriveARunningSimulator(t *testing.T) {
	dir := t.TempDir()
	f, err := companyfile.Create(filepath.Join(dir, "Acme.QBW"), "Acme Supplies", companyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	addr := serve(t, dir)

	if out := run(t, addr, "status"); !strings.Contains(out, "QuickBooks: closed") {
		t.Fatalf("status: %s", out)
	}
	if out := run(t, addr, "open", "Acme.QBW", "--mode", "single"); !strings.Contains(out, "Company file: Acme.QBW (Acme Supplies), single-user mode, logged in as Admin") {
		t.Fatalf("open: %s", out)
	}

	// A connector asks for access; the dialog is answered from the CLI.
	c, err := simclient.New(addr, simclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.OpenConnection(context.Background(), qbd.App{Name: "CLI Test App"}); err != nil {
		t.Fatal(err)
	}
	defer c.CloseConnection(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := c.BeginSession(context.Background(), "Acme.QBW", qbd.FileModeDoNotCare)
		got <- err
	}()
	ctl, _ := server.NewClient(addr, nil)
	var id string
	deadline := time.Now().Add(30 * time.Second)
	for id == "" && time.Now().Before(deadline) {
		ds, err := ctl.Dialogs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > 0 {
			id = ds[0].ID
			break
		}
		select {
		case err := <-got:
			t.Fatalf("BeginSession returned before the answer: %v", err)
		case <-time.After(20 * time.Millisecond): // poll with a deadline
		}
	}
	if out := run(t, addr, "dialogs"); !strings.Contains(out, id) || !strings.Contains(out, "Application with No Certificate") {
		t.Fatalf("dialogs: %s", out)
	}
	run(t, addr, "answer", id, "--choice", "always")
	if err := <-got; err != nil {
		t.Fatalf("BeginSession after the answer: %v", err)
	}
	out := run(t, addr, "apps", "Acme.QBW")
	if !strings.Contains(out, "CLI Test App") || !strings.Contains(out, "automatic login as Admin") {
		t.Fatalf("apps: %s", out)
	}
	key := strings.Fields(strings.Split(out, "\n")[3])[0]
	run(t, addr, "apps", "set", "Acme.QBW", key, "--allow-access=false")
	if out := run(t, addr, "apps", "Acme.QBW", "--format", "json"); !strings.Contains(out, `"allowAccess": false`) {
		t.Fatalf("after set: %s", out)
	}

	out = run(t, addr, "fault", "add", "--method", "ProcessRequest", "--hresult", "0x80040414", "--after", "2")
	if !strings.Contains(out, "fail with 0x80040414 on ProcessRequest after 2 call(s), once") {
		t.Fatalf("fault add: %s", out)
	}
	run(t, addr, "fault", "clear")

	req := filepath.Join(t.TempDir(), "host.xml")
	writeFile(t, req, `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="7"/></QBXMLMsgsRq></QBXML>`)
	if out := run(t, addr, "exec", "--company", "Acme.QBW", req); !strings.Contains(out, `<HostQueryRs requestID="7"`) {
		t.Fatalf("exec: %s", out)
	}
	if out := run(t, addr, "qb", "stop"); !strings.Contains(out, "QuickBooks: closed") {
		t.Fatalf("qb stop: %s", out)
	}
	// exec --dir runs in-process without the server.
	if out := run(t, addr, "exec", "--dir", dir, "--company", "Acme.QBW", req); !strings.Contains(out, "<HostRet>") {
		t.Fatalf("exec --dir: %s", out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestClockSetMovesTheSimulatorClock(t *testing.T) {
	addr := serve(t, t.TempDir())
	out := run(t, addr, "clock", "set", "2031-08-17")
	if !strings.Contains(out, "clock: 2031-08-17T") {
		t.Errorf("clock set: %q", out)
	}
	if out := run(t, addr, "status"); !strings.Contains(out, "clock set to 2031-08-17T") {
		t.Errorf("state does not show the moved clock:\n%s", out)
	}
	run(t, addr, "clock", "reset")
	if out := run(t, addr, "status"); strings.Contains(out, "clock set to") {
		t.Errorf("state after reset:\n%s", out)
	}
	cmd := newRootCmd()
	cmd.SetArgs([]string{"clock", "set", "someday", "--addr", addr})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "is not a time") {
		t.Errorf("clock set someday: %v", err)
	}
}

// TestServeBeyondLoopbackNeedsAToken: `qbdsim serve` refuses to listen
// beyond loopback without --token, saying why; with one, the commands
// reach it with $QBDSIM_TOKEN and nothing else does.
func TestServeBeyondLoopbackNeedsAToken(t *testing.T) {
	dir := t.TempDir()
	cmd := newRootCmd()
	cmd.SetArgs([]string{"serve", "--dir", dir, "--addr", "0.0.0.0:0"})
	cmd.SetOut(io.Discard)
	t.Setenv("QBDSIM_TOKEN", "")
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--token") || !strings.Contains(err.Error(), "beyond loopback") {
		t.Fatalf("serve on 0.0.0.0 without a token: %v, want a refusal naming --token", err)
	}

	t.Setenv("QBDSIM_TOKEN", "s3cret")
	addr := serveArgs(t, "serve", "--dir", dir, "--addr", "127.0.0.1:0")
	if out := run(t, addr, "status"); !strings.Contains(out, "QuickBooks: closed") {
		t.Errorf("status with $QBDSIM_TOKEN: %q", out)
	}
	ctl, _ := server.NewClient(addr, nil)
	if _, err := ctl.State(context.Background()); err == nil {
		t.Error("a client without the token read the state")
	}
}
