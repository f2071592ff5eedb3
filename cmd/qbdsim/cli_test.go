package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/clidoc"
	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/server"
)

// cli runs qbdsim as main does and returns its exit status and output.
func cli(tb testing.TB, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb bytes.Buffer
	code = runCLI(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// pendingDialog has a new application ask for access to the open file
// and returns the ID of the authorization dialog QuickBooks shows.
func pendingDialog(t *testing.T, addr, app string) string {
	t.Helper()
	c, err := simclient.New(addr, simclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.OpenConnection(context.Background(), qbd.App{Name: app}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.BeginSession(context.Background(), "Acme.QBW", qbd.FileModeDoNotCare)
	}()
	t.Cleanup(func() {
		<-done
		c.CloseConnection(context.Background())
	})
	ctl, _ := server.NewClient(addr, nil)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		ds, err := ctl.Dialogs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.AppName == app {
				return d.ID
			}
		}
		select {
		case <-done:
			t.Fatalf("BeginSession of %s returned without a dialog", app)
		case <-time.After(20 * time.Millisecond): // poll with a deadline
		}
	}
	t.Fatalf("no dialog for %s", app)
	return ""
}

// TestEveryShowAndListCommandPrintsTextJSONAndJSONLines runs every
// command of the tree that has --format, against a running simulator, in
// each format; a command given --format later must be added here.
func TestEveryShowAndListCommandPrintsTextJSONAndJSONLines(t *testing.T) {
	dir := t.TempDir()
	f, err := companyfile.Create(filepath.Join(dir, "Acme.QBW"), "Acme Supplies", companyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	other := filepath.Join(t.TempDir(), "Other.QBW")
	if f, err = companyfile.Create(other, "Other", companyfile.Options{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	qwc := filepath.Join(t.TempDir(), "app.qwc")
	writeFile(t, qwc, `<?xml version="1.0"?><QBWCXML><AppName>Billing</AppName><AppID></AppID>
<AppURL>https://billing.example.com/qbwc</AppURL><AppSupport>https://billing.example.com/</AppSupport>
<UserName>acme</UserName><OwnerID>{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}</OwnerID>
<FileID>{57F3B9B1-86F1-4fcc-B1EE-566DE1813D21}</FileID><QBType>QBFS</QBType></QBWCXML>`)
	addr := serve(t, dir)
	a := []string{"--addr", addr}
	apps := 0

	// Each entry builds its command line for one run: some change the
	// state that the next needs (a dialog to answer, a file to open).
	runs := []struct {
		path string
		args func(t *testing.T) []string
	}{
		{"status", func(*testing.T) []string { return append([]string{"status"}, a...) }},
		{"qb start", func(*testing.T) []string { return append([]string{"qb", "start"}, a...) }},
		{"open", func(t *testing.T) []string {
			run(t, addr, "close-file")
			return append([]string{"open", "Acme.QBW"}, a...)
		}},
		{"answer", func(t *testing.T) []string {
			apps++
			return append([]string{"answer", pendingDialog(t, addr, fmt.Sprint("App ", apps)), "--choice", "always"}, a...)
		}},
		{"dialogs", func(*testing.T) []string { return append([]string{"dialogs"}, a...) }},
		{"apps", func(*testing.T) []string { return append([]string{"apps", "Acme.QBW"}, a...) }},
		{"apps set", func(t *testing.T) []string {
			var ia struct{ Apps []struct{ Key string } }
			json.Unmarshal([]byte(run(t, addr, "apps", "Acme.QBW", "--format", "json")), &ia)
			if len(ia.Apps) == 0 {
				t.Fatal("no application to set")
			}
			return append([]string{"apps", "set", "Acme.QBW", ia.Apps[0].Key, "--personal-data=true"}, a...)
		}},
		{"apps prefs", func(*testing.T) []string {
			return append([]string{"apps", "prefs", "Acme.QBW", "--notify-expired=true"}, a...)
		}},
		{"fault add", func(*testing.T) []string {
			return append([]string{"fault", "add", "--method", "EndSession", "--delay", "1ms"}, a...)
		}},
		{"fault list", func(*testing.T) []string { return append([]string{"fault", "list"}, a...) }},
		{"clock set", func(*testing.T) []string { return append([]string{"clock", "set", "2031-08-17"}, a...) }},
		{"clock reset", func(*testing.T) []string { return append([]string{"clock", "reset"}, a...) }},
		{"close-file", func(*testing.T) []string { return append([]string{"close-file"}, a...) }},
		{"qb stop", func(*testing.T) []string { return append([]string{"qb", "stop"}, a...) }},
		{"company info", func(*testing.T) []string { return []string{"company", "info", other} }},
		{"webconnector check", func(*testing.T) []string { return []string{"webconnector", "check", "--qwc", qwc} }},
		{"version", func(*testing.T) []string { return []string{"version"} }},
	}
	tested := map[string]bool{}
	for _, r := range runs {
		tested[r.path] = true
		t.Run(r.path, func(t *testing.T) {
			for _, f := range []string{"text", "json", "jsonl"} {
				args := append(r.args(t), "--format", f)
				code, out, stderr := cli(t, args...)
				if code != 0 {
					t.Fatalf("qbdsim %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
				}
				var lines []string
				switch f {
				case "text":
					if strings.TrimSpace(out) == "" || strings.HasPrefix(out, "{") || strings.HasPrefix(out, "[") {
						t.Errorf("qbdsim %s: not text for people: %q", strings.Join(args, " "), out)
					}
				case "json":
					lines = []string{out}
				case "jsonl":
					lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
				}
				for _, l := range lines {
					var v any
					if l != "" && json.Unmarshal([]byte(l), &v) != nil {
						t.Errorf("qbdsim %s: not JSON: %q", strings.Join(args, " "), l)
					}
				}
			}
		})
	}
	clidoc.Walk(newRootCmd(), func(c *cobra.Command) {
		if has := c.Flags().Lookup("format") != nil; has != tested[clidoc.Path(c)] {
			t.Errorf("%q: --format %v, tested %v: every command that shows or lists has --format and a case here", clidoc.Path(c), has, tested[clidoc.Path(c)])
		}
	})

	// The deprecated --json still prints JSON, and says so on stderr.
	code, out, stderr := cli(t, "status", "--json", "--addr", addr)
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || !strings.Contains(stderr, "--json is deprecated") {
		t.Errorf("status --json: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
}

// TestUsageErrorsExit2 runs wrong command lines as main does: each exits
// 2 and points to --help; a command that runs and fails exits 1.
func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"nosuch"}, 2},
		{"unknown subcommand", []string{"qb", "restart"}, 2},
		{"unknown flag", []string{"status", "--bogus"}, 2},
		{"bad --format", []string{"status", "--format", "yaml"}, 2},
		{"bad flag value", []string{"fault", "add", "--after", "two"}, 2},
		{"bad --log-level", []string{"serve", "--dir", t.TempDir(), "--log-level", "chatty"}, 2},
		{"too many arguments", []string{"status", "extra"}, 2},
		{"missing argument", []string{"company", "info"}, 2},
		{"missing required flag", []string{"serve"}, 2},
		{"failure", []string{"company", "info", filepath.Join(t.TempDir(), "none.QBW")}, 1},
	} {
		code, _, stderr := cli(t, tc.args...)
		if code != tc.want {
			t.Errorf("%s: qbdsim %s: exit %d, want %d\n%s", tc.name, strings.Join(tc.args, " "), code, tc.want, stderr)
		}
		if code == cliout.ExitUsage && !strings.Contains(stderr, "qbdsim --help") {
			t.Errorf("%s: stderr does not point to --help: %q", tc.name, stderr)
		}
	}
}

// TestLongRunningCommandsTakeTheLogFlags: their help lists --log-level
// and --log-format.
func TestLongRunningCommandsTakeTheLogFlags(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"webconnector", "run"}} {
		code, out, _ := cli(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(out, "--log-level") || !strings.Contains(out, "--log-format text|json") {
			t.Errorf("qbdsim %s --help: exit %d, no log flags:\n%s", strings.Join(args, " "), code, out)
		}
	}
}
