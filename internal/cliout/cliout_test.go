package cliout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

type item struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// testRoot is a small tree: "list" prints two items in --format (with the
// deprecated --json), "get NAME" needs one argument and --org, "fail"
// fails, "group" has a command and nothing else.
func testRoot() *cobra.Command {
	root := &cobra.Command{Use: "prog", SilenceUsage: true, SilenceErrors: true}
	list := &cobra.Command{Use: "list", Args: cobra.NoArgs}
	f := AddFormat(list, Text)
	AddJSONAlias(list, f)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		items := []item{{"1", "Acme"}, {"2", "Globex"}}
		return List(cmd.OutOrStdout(), *f, items, func(w io.Writer) error {
			for _, it := range items {
				io.WriteString(w, it.ID+" "+it.Name+"\n")
			}
			return nil
		})
	}
	get := &cobra.Command{Use: "get NAME", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }}
	get.Flags().String("org", "", "")
	get.MarkFlagRequired("org")
	fail := &cobra.Command{Use: "fail", RunE: func(*cobra.Command, []string) error { return errors.New("it broke") }}
	group := &cobra.Command{Use: "group"}
	group.AddCommand(&cobra.Command{Use: "sub", Run: func(*cobra.Command, []string) {}})
	// fromEnv's required --org is set by its PreRunE, as a flag from
	// the environment is: not a usage error.
	fromEnv := &cobra.Command{Use: "fromenv", RunE: func(*cobra.Command, []string) error { return nil },
		PreRunE: func(cmd *cobra.Command, _ []string) error { return cmd.Flags().Set("org", "o") }}
	fromEnv.Flags().String("org", "", "")
	fromEnv.MarkFlagRequired("org")
	root.AddCommand(list, get, fail, group, fromEnv)
	return root
}

func runTest(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), testRoot(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestUsageErrorsExit2OtherFailuresExit1: a wrong command line exits 2
// with the error and a pointer to --help, a failure exits 1.
func TestUsageErrorsExit2OtherFailuresExit1(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"list"}, ExitOK},
		{[]string{"get", "x", "--org", "o"}, ExitOK},
		{[]string{"list", "--bogus"}, ExitUsage},
		{[]string{"list", "--format", "xml"}, ExitUsage},
		{[]string{"list", "extra"}, ExitUsage},
		{[]string{"get"}, ExitUsage},
		{[]string{"get", "x"}, ExitUsage},
		{[]string{"nosuch"}, ExitUsage},
		{[]string{"group", "nosuch"}, ExitUsage},
		{[]string{"fail"}, ExitFailure},
		{[]string{"fromenv"}, ExitOK},
	} {
		code, _, stderr := runTest(tc.args...)
		if code != tc.want {
			t.Errorf("prog %s: exit %d, want %d (stderr %q)", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
		if code == ExitUsage && !strings.Contains(stderr, "prog --help") {
			t.Errorf("prog %s: stderr %q does not point to --help", strings.Join(tc.args, " "), stderr)
		}
	}
}

// TestFormatPrintsTextJSONArrayOrJSONLines, and the deprecated spellings
// --json and --format table still work.
func TestFormatPrintsTextJSONArrayOrJSONLines(t *testing.T) {
	want := []item{{"1", "Acme"}, {"2", "Globex"}}
	for _, args := range [][]string{{"--format", "json"}, {"--json"}} {
		code, out, stderr := runTest(append([]string{"list"}, args...)...)
		var got []item
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
			t.Fatalf("list %v: exit %d, %v: %q", args, code, err, out)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("list %v (-want +got):\n%s", args, diff)
		}
		if args[0] == "--json" && !strings.Contains(stderr, "deprecated") {
			t.Errorf("--json: no deprecation notice on stderr: %q", stderr)
		}
	}
	_, out, _ := runTest("list", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("jsonl: %d lines, want 2: %q", len(lines), out)
	}
	for i, l := range lines {
		var got item
		if err := json.Unmarshal([]byte(l), &got); err != nil || got != want[i] {
			t.Errorf("jsonl line %d: %q (%v)", i, l, err)
		}
	}
	for _, f := range []string{"text", "table"} {
		if _, out, _ := runTest("list", "--format", f); out != "1 Acme\n2 Globex\n" {
			t.Errorf("--format %s: %q", f, out)
		}
	}
}

// TestEmptyListInJSONIsAnArray: scripts index the result; null would
// break them.
func TestEmptyListInJSONIsAnArray(t *testing.T) {
	var b bytes.Buffer
	var none []item
	if err := List(&b, JSON, none, nil); err != nil || b.String() != "[]\n" {
		t.Errorf("got %q, %v; want []", b.String(), err)
	}
}

// TestLogFlagsRejectBadValuesAndLogToTheGivenWriter.
func TestLogFlagsRejectBadValuesAndLogToTheGivenWriter(t *testing.T) {
	newCmd := func(w io.Writer) *cobra.Command {
		root := &cobra.Command{Use: "prog", SilenceUsage: true, SilenceErrors: true}
		serve := &cobra.Command{Use: "serve", Args: cobra.NoArgs}
		l := AddLog(serve, "info")
		serve.RunE = func(*cobra.Command, []string) error {
			l.Logger(w).Debug("detail")
			l.Logger(w).Info("started", "port", 1)
			return nil
		}
		root.AddCommand(serve)
		return root
	}
	for _, bad := range [][]string{{"--log-level", "loud"}, {"--log-format", "xml"}} {
		if code := Run(context.Background(), newCmd(io.Discard), append([]string{"serve"}, bad...), io.Discard, io.Discard); code != ExitUsage {
			t.Errorf("serve %v: exit %d, want 2", bad, code)
		}
	}
	var logs bytes.Buffer
	if code := Run(context.Background(), newCmd(&logs), []string{"serve", "--log-format", "json"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil || rec["msg"] != "started" {
		t.Errorf("json log: %q (%v); want one record, info and above", logs.String(), err)
	}
	logs.Reset()
	Run(context.Background(), newCmd(&logs), []string{"serve", "--log-level", "off"}, io.Discard, io.Discard)
	if logs.Len() != 0 {
		t.Errorf("--log-level off logged %q", logs.String())
	}
}
