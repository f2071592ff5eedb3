package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReleaseTestCertMakesAPairThatSignsAndVerifies: the recipe of the
// README, in process: testcert, then sign a file with its certificate and
// verify it against its root.
func TestReleaseTestCertMakesAPairThatSignsAndVerifies(t *testing.T) {
	now := time.Now()
	dir := filepath.Join(t.TempDir(), "test-signing")
	out, _, err := runRelease(t, now, "testcert", "--dir", dir, "--days", "30")
	if err != nil {
		t.Fatalf("release testcert: %v\n%s", err, out)
	}
	if info, err := os.Stat(filepath.Join(dir, "key.pem")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key.pem: %v, mode %v; want readable by its owner only", err, info.Mode())
	}
	file := filepath.Join(t.TempDir(), "qbconnector")
	if err := os.WriteFile(file, []byte("\x7fELF a connector"), 0o755); err != nil {
		t.Fatal(err)
	}
	// 30 days: sign warns that it expires soon, and signs.
	out, errOut, err := runRelease(t, now, "sign", "--cert", filepath.Join(dir, "cert.pem"), "--key", filepath.Join(dir, "key.pem"), file)
	if err != nil || !strings.Contains(errOut, "expires on") {
		t.Fatalf("release sign: %v\n%s%s", err, out, errOut)
	}
	out, _, err = runRelease(t, now, "verify", "--roots", filepath.Join(dir, "ca.pem"), file)
	if err != nil || !strings.Contains(out, file+": VALID") || !hasField(out, "chain", "trusted: qbconnect Test Code Signing <- qbconnect Test Code Signing Test Root CA") {
		t.Fatalf("release verify: %v\n%s", err, out)
	}
	// After 30 days the certificate is expired.
	if out, _, err := runRelease(t, now.Add(31*24*time.Hour), "verify", "--roots", filepath.Join(dir, "ca.pem"), file); err == nil {
		t.Errorf("verify after the certificate expired succeeded:\n%s", out)
	}
}

// TestReleaseTestCertRefusesBadInputAndChangesNothing: existing files are
// kept unless --force, and a bad --days writes nothing.
func TestReleaseTestCertRefusesBadInputAndChangesNothing(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	if _, _, err := runRelease(t, now, "testcert", "--dir", dir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	_, _, err := runRelease(t, now, "testcert", "--dir", dir)
	if err == nil || !strings.Contains(err.Error(), "exists") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a second testcert into the same folder: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "cert.pem")); string(after) != string(before) {
		t.Error("the refused testcert replaced cert.pem")
	}
	if _, _, err := runRelease(t, now, "testcert", "--dir", dir, "--force"); err != nil {
		t.Errorf("--force: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "cert.pem")); string(after) == string(before) {
		t.Error("--force kept the old cert.pem")
	}
	empty := filepath.Join(t.TempDir(), "none")
	if _, _, err := runRelease(t, now, "testcert", "--dir", empty, "--days", "0"); err == nil || !strings.Contains(err.Error(), "--days") {
		t.Errorf("--days 0: %v", err)
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("--days 0 created %s", empty)
	}
}
