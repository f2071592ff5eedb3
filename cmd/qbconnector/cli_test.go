package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/internal/cliout"
)

// TestUsageErrorsExit2 runs wrong command lines as main does: each exits
// 2 and points to --help; a command that runs and fails exits 1.
func TestUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"nosuch"}, 2},
		{"unknown flag", []string{"status", "--bogus"}, 2},
		{"bad flag value", []string{"link", "--timeout", "soon"}, 2},
		{"too many arguments", []string{"version", "extra"}, 2},
		{"failure", []string{"unlink", "--data-dir", dir}, 1},
		{"help", []string{"--help"}, 0},
	} {
		var out, errb bytes.Buffer
		code := runCLI(context.Background(), tc.args, &out, &errb)
		if code != tc.want {
			t.Errorf("%s: qbconnector %s: exit %d, want %d\n%s", tc.name, strings.Join(tc.args, " "), code, tc.want, errb.String())
		}
		if code == cliout.ExitUsage && !strings.Contains(errb.String(), "qbconnector --help") {
			t.Errorf("%s: stderr does not point to --help: %q", tc.name, errb.String())
		}
	}
}

// TestStatusFormats: `qbconnector status` prints text for people and, with
// --format json or jsonl (or the old --json), one JSON document for
// scripts; a stopped connector says so in every format.
func TestStatusFormats(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "The connector is not running.\nNo company file is linked yet.\n"},
		{[]string{"--format", "text"}, "The connector is not running.\nNo company file is linked yet.\n"},
		{[]string{"--format", "json"}, "{\n  \"files\": [],\n  \"running\": false\n}\n"},
		{[]string{"--format", "jsonl"}, "{\"files\":[],\"running\":false}\n"},
		{[]string{"--json"}, "{\n  \"files\": [],\n  \"running\": false\n}\n"},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"status", "--data-dir", dir}, tc.args...)
		if code := runCLI(context.Background(), args, &out, &errb); code != 0 {
			t.Fatalf("qbconnector %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
		}
		if out.String() != tc.want {
			t.Errorf("qbconnector %s printed %q, want %q", strings.Join(args, " "), out.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	if code := runCLI(context.Background(), []string{"status", "--data-dir", dir, "--format", "yaml"}, &out, &errb); code != cliout.ExitUsage {
		t.Errorf("--format yaml: exit %d, want %d", code, cliout.ExitUsage)
	}
}

// TestVersionFormats: `qbconnector version` names the version, the
// certificate the program is signed with and the build, as text for people
// or, with --format json or jsonl, as one JSON document for an inventory
// script.
func TestVersionFormats(t *testing.T) {
	for _, f := range []string{"text", "json", "jsonl"} {
		var out, errb bytes.Buffer
		if code := runCLI(context.Background(), []string{"version", "--format", f}, &out, &errb); code != 0 {
			t.Fatalf("qbconnector version --format %s: exit %d\n%s", f, code, errb.String())
		}
		if f == "text" {
			for _, want := range []string{"qbconnector ", "\nsigner: ", "\ncommit: ", "\ngo: "} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("version printed %q, want it to contain %q", out.String(), want)
				}
			}
			continue
		}
		if f == "jsonl" && strings.Count(out.String(), "\n") != 1 {
			t.Errorf("--format jsonl printed %q, want one line", out.String())
		}
		var v struct {
			Program, Version, Signer string
			Build                    struct{ Module, Go string }
		}
		if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Program != "qbconnector" || v.Signer == "" || v.Build.Go == "" {
			t.Errorf("--format %s printed %q (%v)", f, out.String(), err)
		}
	}
}
