package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/clidoc"
	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// cli runs qbconnect as main does and returns its exit status and output.
func cli(tb testing.TB, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb bytes.Buffer
	code = runCLI(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// checkFormats runs a list or show command in each format: text prints
// something for people, json is one JSON document, jsonl one JSON value
// per line.
func checkFormats(t *testing.T, args []string) {
	t.Helper()
	for _, f := range []string{"text", "json", "jsonl"} {
		code, out, stderr := cli(t, append(append([]string{}, args...), "--format", f)...)
		if code != 0 {
			t.Errorf("qbconnect %s --format %s: exit %d\n%s", strings.Join(args, " "), f, code, stderr)
			continue
		}
		switch f {
		case "text":
			if strings.TrimSpace(out) == "" {
				t.Errorf("qbconnect %s --format text printed nothing", strings.Join(args, " "))
			}
		case "json":
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("qbconnect %s --format json: %v\n%s", strings.Join(args, " "), err, out)
			}
		case "jsonl":
			for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				var v any
				if l != "" && json.Unmarshal([]byte(l), &v) != nil {
					t.Errorf("qbconnect %s --format jsonl: line %q is not JSON", strings.Join(args, " "), l)
				}
			}
		}
	}
}

// TestEveryListAndShowCommandPrintsTextJSONAndJSONLines runs every
// command of the tree that has --format against real backends (a SQLite
// database, a platform API in process, signed files) in each format; a
// command given --format later must be added here.
func TestEveryListAndShowCommandPrintsTextJSONAndJSONLines(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	db := []string{"--db", dsn}
	code, out, stderr := cli(t, "admin", "--db", dsn, "org", "create", "Acme Lending")
	orgID, _, _ := strings.Cut(strings.TrimSpace(out), "\t")
	if code != 0 || !strings.HasPrefix(orgID, "org_") {
		t.Fatalf("org create: exit %d %q %s", code, out, stderr)
	}
	if code, _, stderr := cli(t, "admin", "--db", dsn, "apikey", "create", "--org", orgID); code != 0 {
		t.Fatalf("apikey create: %s", stderr)
	}
	if code, _, stderr := cli(t, append([]string{"release", "contacts", orgID, "it@acme.example"}, db...)...); code != 0 {
		t.Fatalf("release contacts: %s", stderr)
	}
	ca := signingtest.NewCA(t, "Test Root")
	exe := signingtest.TinyPE(t)
	if err := ca.Issue(t, "Good", signingtest.Opts{}).Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, append([]string{"release", "publish", "--version", "1.0.0", "--roots", ca.RootPath(), exe}, db...)...); code != 0 {
		t.Fatalf("release publish: %s", stderr)
	}
	url, key, companyID := operatorServer(t)
	api := []string{"--server", url, "--api-key", key}
	if code, _, stderr := cli(t, append([]string{"sync", companyID, "--types", "customers", "--wait", "--poll", "5ms"}, api...)...); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}

	runs := map[string][]string{
		"admin org list":       {"admin", "--db", dsn, "org", "list"},
		"admin apikey list":    {"admin", "--db", dsn, "apikey", "list", "--org", orgID},
		"companies list":       append([]string{"companies", "list"}, api...),
		"records":              append([]string{"records", companyID, "customers", "--limit", "3"}, api...),
		"release verify":       {"release", "verify", "--roots", ca.RootPath(), exe},
		"release list":         append([]string{"release", "list"}, db...),
		"release campaigns":    append([]string{"release", "campaigns"}, db...),
		"release contacts":     append([]string{"release", "contacts", orgID}, db...),
		"release certificates": append([]string{"release", "certificates"}, db...),
		"version":              {"version"},
	}
	var withFormat []string
	clidoc.Walk(newRootCmd(), func(c *cobra.Command) {
		if c.Flags().Lookup("format") != nil {
			withFormat = append(withFormat, clidoc.Path(c))
		}
	})
	sort.Strings(withFormat)
	for _, p := range withFormat {
		args, ok := runs[p]
		if !ok {
			t.Errorf("%q has --format: add it to this test", p)
			continue
		}
		t.Run(p, func(t *testing.T) { checkFormats(t, args) })
		delete(runs, p)
	}
	for p := range runs {
		t.Errorf("%q has no --format", p)
	}

	// The JSON of a list is one array, and the old spellings still work.
	_, out, _ = cli(t, "admin", "--db", dsn, "org", "list", "--format", "json")
	var orgs []map[string]any
	if err := json.Unmarshal([]byte(out), &orgs); err != nil || len(orgs) != 1 || orgs[0]["id"] != orgID {
		t.Errorf("org list --format json: %v\n%s", err, out)
	}
	code, out, stderr = cli(t, append([]string{"release", "list", "--json"}, db...)...)
	var rels []map[string]any
	if err := json.Unmarshal([]byte(out), &rels); code != 0 || err != nil || len(rels) != 1 || !strings.Contains(stderr, "--json is deprecated") {
		t.Errorf("release list --json (deprecated): exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	_, out, _ = cli(t, append([]string{"records", companyID, "customers", "--limit", "2", "--format", "table"}, api...)...)
	if !strings.HasPrefix(out, "ID") {
		t.Errorf("records --format table (deprecated) is not the table:\n%s", out)
	}
}

// TestUsageErrorsExit2 runs wrong command lines as main does: each exits
// 2 with the error and a pointer to --help, and a command that runs and
// fails exits 1.
func TestUsageErrorsExit2(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"nosuch"}, 2},
		{"unknown subcommand", []string{"admin", "org", "nosuch"}, 2},
		{"unknown flag", []string{"admin", "--db", dsn, "org", "list", "--bogus"}, 2},
		{"bad --format", []string{"admin", "--db", dsn, "org", "list", "--format", "xml"}, 2},
		{"bad flag value", []string{"release", "rollout", "--db", dsn, "--version", "1.0.0", "--percent", "many"}, 2},
		{"bad --log-level", []string{"serve", "--db", dsn, "--log-level", "loud"}, 2},
		{"bad --log-format", []string{"serve", "--db", dsn, "--log-format", "xml"}, 2},
		{"too many arguments", []string{"admin", "--db", dsn, "org", "create", "a", "b"}, 2},
		{"missing argument", []string{"records", "cmp_1"}, 2},
		{"missing required flag", []string{"release", "publish", "--db", dsn, "x.exe"}, 2},
		{"failure", []string{"admin", "--db", "mysql://x", "org", "list"}, 1},
		{"help", []string{"admin", "--help"}, 0},
	} {
		code, _, stderr := cli(t, tc.args...)
		if code != tc.want {
			t.Errorf("%s: qbconnect %s: exit %d, want %d\n%s", tc.name, strings.Join(tc.args, " "), code, tc.want, stderr)
		}
		if code == cliout.ExitUsage && !strings.Contains(stderr, "qbconnect --help") {
			t.Errorf("%s: stderr does not point to --help: %q", tc.name, stderr)
		}
	}
}

// TestLongRunningCommandsTakeTheLogFlags: their help lists --log-level
// and --log-format.
func TestLongRunningCommandsTakeTheLogFlags(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"demo"}, {"release", "tsa"}} {
		code, out, _ := cli(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(out, "--log-level") || !strings.Contains(out, "--log-format text|json") {
			t.Errorf("qbconnect %s --help: exit %d, no log flags:\n%s", strings.Join(args, " "), code, out)
		}
	}
}
