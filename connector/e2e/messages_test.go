package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// closedURL returns an http:// address on loopback where nothing listens.
func closedURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// A failed `qbconnector link` says what happened and what to do, in words
// a bookkeeper reads: no raw network error first, no stacked prefixes, no
// button the command line does not have; and nothing is linked.
func TestLinkFailuresSayWhatHappenedAndWhatToDo(t *testing.T) {
	e := newEnv(t, envOptions{})
	down := closedURL(t)
	code := e.plat.LinkCode(e.conn)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"the platform is down", []string{"--platform", down, "--code", code, "--qbdsim", e.sim.URL},
			[]string{"qbconnector: The connector could not reach the platform at " + down + ", so nothing was changed.",
				"What to do: Check the address (--platform)", "Details: state platform_unreachable"}},
		{"no QuickBooks on this system (no --qbdsim off Windows)", []string{"--platform", e.plat.URL, "--code", code},
			[]string{"qbconnector: QuickBooks Desktop runs only on Windows", "--qbdsim", "Details: state " + qbd.CondQBNotInstalled}},
		{"the simulator is down", []string{"--platform", e.plat.URL, "--code", code, "--qbdsim", down},
			[]string{"qbconnector: The QuickBooks simulator did not answer", "What to do: Start the simulator"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := testenv.RunErr(e.agent.Program, append([]string{"--data-dir", e.agent.DataDir, "link", "--timeout", "30s"}, c.args...)...)
			if err == nil {
				t.Fatalf("link succeeded:\n%s%s", out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("the output lacks %q:\n%s", w, errOut)
				}
			}
			first := errOut[strings.Index(errOut, "qbconnector:"):]
			first, _, _ = strings.Cut(first, "\n")
			for _, bad := range []string{"qbconnector: connector:", "dial tcp", "simclient", "does not recognise"} {
				if strings.Contains(first, bad) {
					t.Errorf("the error's first line says %q: %s", bad, first)
				}
			}
			if strings.Contains(errOut, "Perform Sync") {
				t.Errorf("the command line is told to press Perform Sync:\n%s", errOut)
			}
		})
	}
	if st := e.agent.Cmd("status"); !strings.Contains(st, "No company file is linked yet.") {
		t.Errorf("after failed links, status says:\n%s", st)
	}
}

// The first line of `qbconnector status` tells the truth about QuickBooks:
// it answers, or the linked file needs someone (it said "Connected to
// QuickBooks." while QuickBooks was closed), and what to do names the
// command, not a button.
func TestStatusFirstLineTellsTheTruth(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link()
	e.agent.Run()
	e.expectState(qbd.CondOK)
	firstLine := func() (string, string) {
		out := e.agent.Cmd("status")
		first, _, _ := strings.Cut(out, "\n")
		return first, out
	}
	if first, out := firstLine(); first != "The connector runs, and QuickBooks answers for the linked company file." {
		t.Errorf("with QuickBooks answering, status says:\n%s", out)
	}
	f := false
	e.setApp(qbdsim.AppChange{AutoLogin: &f})
	e.sim.StopQB()
	e.expectState(qbd.CondQBClosed)
	wait.For(t, "status to say the file needs someone", 10*time.Second, func() (bool, string) {
		first, out := firstLine()
		return first == "The connector runs, but the linked company file needs you in QuickBooks (see below).", out
	})
	if _, out := firstLine(); strings.Contains(out, "Connected to QuickBooks") || !strings.Contains(out, `run "qbconnector sync"`) {
		t.Errorf("with QuickBooks closed, status says:\n%s", out)
	}
}
