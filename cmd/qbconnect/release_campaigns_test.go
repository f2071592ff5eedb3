package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/signing/signingtest"
	"github.com/qbconnect/qbconnect/store"
)

func TestReleaseCampaignsStragglersListsConnectionsNotYetApproved(t *testing.T) {
	now := time.Now()
	db := "sqlite:" + filepath.Join(t.TempDir(), "cli.db")
	ca := signingtest.NewCA(t, "CLI root")
	a := ca.Issue(t, "qbconnect Ltd 2026", signingtest.Opts{NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(20 * 24 * time.Hour)})
	b := ca.Issue(t, "qbconnect Ltd 2027", signingtest.Opts{})
	exe := func(leaf *signingtest.Leaf) string {
		src, _ := os.ReadFile(signingtest.TinyPE(t, "qbconnector.exe"))
		p := filepath.Join(t.TempDir(), "qbconnector.exe")
		os.WriteFile(p, src, 0o755)
		return leaf.Sign(t, p)
	}
	if _, _, err := runRelease(t, now, "publish", "--db", db, "--roots", ca.RootPath(), "--version", "1.0.0", exe(a)); err != nil {
		t.Fatal(err)
	}
	// Two clients with a connector on release 1; the second has no
	// contact address.
	ctx := context.Background()
	sdb, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	orgs, comps, conns := store.NewOrgStore(sdb), store.NewCompanyStore(sdb), store.NewConnectionStore(sdb)
	acme, _ := orgs.CreateOrg(ctx, "Acme Lending")
	quiet, _ := orgs.CreateOrg(ctx, "Quiet Books")
	store.NewReleaseStore(sdb).SetContacts(ctx, acme.ID, []string{"alerts@acme.test"})
	for _, c := range []struct{ org, name string }{{acme.ID, "Acme Plumbing"}, {quiet.ID, "Quiet Farm"}} {
		co := &qbconnect.Company{OrgID: c.org, Name: c.name}
		if err := comps.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		conn := &qbconnect.Connection{OrgID: c.org, CompanyID: co.ID, Kind: qbconnect.KindConnector}
		if err := conns.CreateConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		code, err := conns.CreateLinkCode(ctx, c.org, conn.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, ctr, _, err := conns.RedeemLinkCode(ctx, code.Code, "", qbconnect.FileIdentity{Path: `C:\Books\` + c.name + ".QBW", CompanyName: c.name})
		if err != nil {
			t.Fatal(err)
		}
		seen := now
		if err := conns.UpdateConnector(ctx, &qbconnect.Connector{ID: ctr.ID, Version: "1.0.0", Signer: "CN=qbconnect Ltd 2026",
			Thumbprint: strings.ToLower(a.Thumbprint()), LastSeenAt: &seen}); err != nil {
			t.Fatal(err)
		}
	}
	sdb.Close()

	out, stderr, err := runRelease(t, now, "publish", "--db", db, "--roots", ca.RootPath(), "--version", "2.0.0", exe(b))
	if err != nil || !strings.Contains(out, "rotation campaign rot_") {
		t.Fatalf("publish 2.0.0: %v\n%s", err, out)
	}
	for _, want := range []string{"is NOT notified: no contact address for " + quiet.ID, "is not timestamped: its signature stops verifying when certificate"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("publish warnings lack %q:\n%s", want, stderr)
		}
	}
	out, _, err = runRelease(t, now, "campaigns", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NOT NOTIFIED: no contact address for " + quiet.ID, "Offered 2", "old certificate expires " + a.Cert.NotAfter.UTC().Format(time.DateOnly)} {
		if !strings.Contains(out, want) {
			t.Errorf("campaigns output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runRelease(t, now, "campaigns", "--db", db, "--stragglers")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "CAMPAIGN") {
		t.Fatalf("stragglers: want a header and two rows:\n%s", out)
	}
	for _, want := range []string{"Acme Plumbing", "Quiet Farm"} {
		if !strings.Contains(out, want) {
			t.Errorf("stragglers lack %s:\n%s", want, out)
		}
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "Offered") || !strings.Contains(l, " 19 ") {
			t.Errorf("straggler row %q: want Offered and 19 days left", l)
		}
	}
}
