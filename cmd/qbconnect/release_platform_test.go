package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/signing/signingtest"
	"github.com/qbconnect/qbconnect/store"
)

func TestReleasePublishListRolloutCampaignsContacts(t *testing.T) {
	now := time.Now()
	db := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")
	ca := signingtest.NewCA(t, "CLI root")
	a := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	b := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	exe := func(leaf *signingtest.Leaf) string {
		src, _ := os.ReadFile(signingtest.TinyPE(t, "qbconnector.exe"))
		p := filepath.Join(t.TempDir(), "qbconnector.exe")
		os.WriteFile(p, src, 0o755)
		return leaf.Sign(t, p)
	}
	out, _, err := runRelease(t, now, "publish", "--db", db, "--roots", ca.RootPath(), "--version", "1.0.0", exe(a))
	if err != nil || !strings.Contains(out, "Published 1.0.0 (stable)") || !strings.Contains(out, "windows/amd64") {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	// Bad input: unsigned file, untrusted roots.
	if _, _, err := runRelease(t, now, "publish", "--db", db, "--roots", ca.RootPath(), "--version", "1.1.0", signingtest.TinyPE(t, "u.exe")); err == nil ||
		!strings.Contains(err.Error(), "not signed") {
		t.Errorf("unsigned publish: %v", err)
	}
	if _, _, err := runRelease(t, now, "publish", "--db", db, "--version", "1.1.0", exe(a)); err == nil || !strings.Contains(err.Error(), "trusted root") {
		t.Errorf("publish without the test root: %v", err)
	}
	// A client with a connector on release 1.
	ctx := context.Background()
	sdb, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	org, _ := store.NewOrgStore(sdb).CreateOrg(ctx, "Acme Lending")
	sdb.Close()
	if out, _, err := runRelease(t, now, "contacts", "--db", db, org.ID, "alerts@acme.test"); err != nil || strings.TrimSpace(out) != "alerts@acme.test" {
		t.Errorf("contacts: %v %q", err, out)
	}
	out, _, err = runRelease(t, now, "publish", "--db", db, "--roots", ca.RootPath(), "--version", "2.0.0", "--rollout-at", "2026-12-14", exe(b))
	if err != nil || !strings.Contains(out, "rotation campaign rot_") || !strings.Contains(out, "2026-12-14") {
		t.Fatalf("publish 2.0.0: %v\n%s", err, out)
	}
	if out, _, err := runRelease(t, now, "rollout", "--db", db, "--version", "2.0.0", "--percent", "25"); err != nil || !strings.Contains(out, "Active 25%") {
		t.Errorf("rollout: %v %q", err, out)
	}
	if out, _, err := runRelease(t, now, "rollout", "--db", db, "--version", "2.0.0", "--pause"); err != nil || !strings.Contains(out, "Paused 25%") {
		t.Errorf("pause: %v %q", err, out)
	}
	if _, _, err := runRelease(t, now, "rollout", "--db", db, "--version", "2.0.0", "--percent", "120"); err == nil {
		t.Error("a rollout of 120% was accepted")
	}
	out, _, err = runRelease(t, now, "list", "--db", db)
	if err != nil || !strings.Contains(out, "2.0.0") || !strings.Contains(out, "Paused 25%") || !strings.Contains(out, "1.0.0") {
		t.Errorf("list: %v\n%s", err, out)
	}
	// Revoke 1.0.0: the list says so with the reason; a second revoke, a
	// revoke without a reason or of an unknown version fails.
	out, _, err = runRelease(t, now, "revoke", "--db", db, "--version", "1.0.0", "--reason", "loses writes on reconnect")
	if err != nil || !strings.Contains(out, "1.0.0: revoked on "+now.UTC().Format(time.DateOnly)+": loses writes on reconnect") {
		t.Errorf("revoke: %v %q", err, out)
	}
	for _, args := range [][]string{{"--version", "1.0.0", "--reason", "again"}, {"--version", "2.0.0", "--reason", " "},
		{"--version", "2.0.0"}, {"--version", "9.9.9", "--reason", "unknown"}} {
		if _, _, err := runRelease(t, now, append([]string{"revoke", "--db", db}, args...)...); err == nil {
			t.Errorf("revoke %q succeeded", args)
		}
	}
	out, _, err = runRelease(t, now, "list", "--db", db)
	if err != nil || !strings.Contains(out, "REVOKED") || !strings.Contains(out, "loses writes on reconnect") || strings.Count(out, "loses writes") != 1 {
		t.Errorf("list after the revocation: %v\n%s", err, out)
	}
	out, _, err = runRelease(t, now, "campaigns", "--db", db)
	if err != nil || !strings.Contains(out, "Complete") {
		t.Errorf("campaigns (no connection affected, so complete): %v\n%s", err, out)
	}
	out, _, err = runRelease(t, now, "certificates", "--db", db)
	if err != nil || !strings.Contains(out, strings.ToLower(a.Thumbprint())) || !strings.Contains(out, strings.ToLower(b.Thumbprint())) {
		t.Errorf("certificates: %v\n%s", err, out)
	}
}
