package qbdsim_test

import (
	"context"
	"testing"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// Code-signature identity: a re-signed program is a new application.

func TestResignedProgramIsAskedAgainAndTheOldEntryStays(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	certA := e.ca.Issue(t, "Acme Connector Inc", defaultOpts)
	certB := e.ca.Issue(t, "Acme Connector Inc", defaultOpts) // renewed: same subject, new certificate
	prog := e.program("connector", certA)
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}

	a := e.connect("Acme Connector", prog, qbd.AuthPreferences{})
	r, d := e.authorize(a, file, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.Kind != qbdsim.DialogCertificate || d.Certificate == nil || d.Certificate.Thumbprint != certA.Thumbprint() {
		t.Fatalf("dialog for A = %+v", d)
	}
	a.EndSession(ctx(t), r.ticket)

	e.sign(prog, certB)
	b := e.connect("Acme Connector", prog, qbd.AuthPreferences{})
	// While QuickBooks is closed the new certificate has no automatic login.
	e.sim.StopQuickBooks()
	_, err := b.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoAutoLogin)
	// The re-signed program must be authorised again by the administrator.
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	r, d = e.authorize(b, file, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.Certificate == nil || d.Certificate.Thumbprint != certB.Thumbprint() {
		t.Fatalf("dialog for B shows certificate %+v, want %s", d.Certificate, certB.Thumbprint())
	}
	ia, err := e.sim.Apps(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(ia.Apps) != 2 {
		t.Fatalf("apps = %+v, want A's and B's entries", ia.Apps)
	}
	thumbs := map[string]bool{}
	for _, app := range ia.Apps {
		if app.Name != "Acme Connector" || !app.AllowAccess || !app.AutoLogin || app.Certificate == nil {
			t.Errorf("entry = %+v", app)
			continue
		}
		thumbs[app.Certificate.Thumbprint] = true
	}
	if !thumbs[certA.Thumbprint()] || !thumbs[certB.Thumbprint()] {
		t.Fatalf("entries' certificates = %v", thumbs)
	}
}

func TestUnsignedProgramGetsTheNoCertificateDialog(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	leaf := e.ca.Issue(t, "Vendor", defaultOpts)
	unsigned := e.program("unsigned", nil)
	e.start(qbdsim.Options{})
	e.sim.OpenFile(file, qbd.FileModeSingleUser, "")

	p := e.connect("App", unsigned, qbd.AuthPreferences{})
	r, d := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceWheneverOpen})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.Kind != qbdsim.DialogNoCertificate || d.Certificate != nil || d.Title != "Application with No Certificate" {
		t.Fatalf("dialog = %+v", d)
	}
	// Signing it later makes it another application.
	e.sign(unsigned, leaf)
	signed := e.connect("App", unsigned, qbd.AuthPreferences{})
	r, d = e.authorize(signed, file, qbdsim.Answer{Choice: qbdsim.ChoiceWheneverOpen})
	if r.err != nil || d.Kind != qbdsim.DialogCertificate {
		t.Fatalf("signed: %v, %+v", r.err, d)
	}
	// A program whose signature does not chain to a trusted root is as
	// good as unsigned.
	stranger := signingtest.NewCA(t, "Unknown CA").Issue(t, "Vendor", defaultOpts)
	untrusted := e.program("untrusted", stranger)
	u := e.connect("Other App", untrusted, qbd.AuthPreferences{})
	r, d = e.authorize(u, file, qbdsim.Answer{Choice: qbdsim.ChoiceNo})
	wantHR(t, r.err, qbd.HRAccessDenied)
	if d.Kind != qbdsim.DialogNoCertificate {
		t.Fatalf("untrusted signature: dialog kind %s", d.Kind)
	}
}

func TestExpiredSignatureGetsTheExpiredCertificateDialog(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	leaf := e.ca.Issue(t, "Vendor", expiredOpts)
	prog := e.program("expired", leaf)
	e.start(qbdsim.Options{})
	e.sim.OpenFile(file, qbd.FileModeSingleUser, "")
	p := e.connect("App", prog, qbd.AuthPreferences{})
	r, d := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.Kind != qbdsim.DialogExpiredCertificate || d.Certificate == nil || d.Title != "Expired Certificate" {
		t.Fatalf("dialog = %+v", d)
	}
	p.EndSession(ctx(t), r.ticket)
	// Allowed always after the expiry: automatic login works.
	e.sim.StopQuickBooks()
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatalf("automatic login: %v", err)
	}
}

func TestRevokedSignatureIsRefusedWithoutADialog(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	leaf := e.ca.Issue(t, "Vendor", revokedOpts)
	prog := e.program("revoked", leaf)
	e.start(qbdsim.Options{Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways}})
	e.sim.OpenFile(file, qbd.FileModeSingleUser, "")
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertRevoked)
	if cond := qbd.Diagnose(err); cond.Code != qbd.CondCertRevoked {
		t.Fatalf("Diagnose = %+v", cond)
	}
	if ia, _ := e.sim.Apps(file); len(ia.Apps) != 0 {
		t.Fatalf("a revoked application was listed: %+v", ia.Apps)
	}
}

func TestMissingProgramIsABadInput(t *testing.T) {
	e := newEnv(t)
	e.start(qbdsim.Options{})
	p := e.sim.NewProcessor()
	if err := p.OpenConnection(context.Background(), qbd.App{Name: "App", Program: "/no/such/program.exe"}); err == nil {
		t.Fatal("connected as a program that does not exist")
	}
	if st := e.sim.State(); st.Connections != 0 {
		t.Fatalf("connections = %d", st.Connections)
	}
}
