package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// companyCmd runs `qbdsim company ARGS...` in process and returns its
// standard output and error.
func companyCmd(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"company"}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("qbdsim company %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// TestCompanyCreateQuietPrintsNothing: --quiet is for scripts; the counts
// and the "created" line are printed only without it.
func TestCompanyCreateQuietPrintsNothing(t *testing.T) {
	dir := t.TempDir()
	out, errOut := companyCmd(t, "create", filepath.Join(dir, "quiet.qbw"), "--transactions", "200", "--quiet")
	if out != "" || errOut != "" {
		t.Errorf("--quiet printed:\n%s%s", out, errOut)
	}
	info, _ := companyCmd(t, "info", filepath.Join(dir, "quiet.qbw"))
	if !strings.Contains(info, "Invoice") {
		t.Errorf("the quiet company has no invoices:\n%s", info)
	}
	out, _ = companyCmd(t, "create", filepath.Join(dir, "loud.qbw"), "--transactions", "200")
	for _, want := range []string{"Invoice", "created " + filepath.Join(dir, "loud.qbw")} {
		if !strings.Contains(out, want) {
			t.Errorf("without --quiet the output lacks %q:\n%s", want, out)
		}
	}
}
