package qbdsim_test

import (
	"context"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// QuickBooks' behaviour after an application's certificate expires, from
// its in-product help (S-INPRODUCT sdk_access_expiredcert.html and
// help_prefintegratedapps.html, summarised in shared/reference/intuit-sdk.md
// §3.2-3.3): with the company preference "Notify the user before running
// any application whose certificate has expired" on (the default), the
// Expired Certificate window appears in place of the Application
// Certificate window, and an automatic login fails with 0x8004041E until
// the administrator allows the application again; with it off, nothing
// changes ("A certificate is not invalid because it expires nor does the
// application itself change when the certificate expires").

func TestCertificateExpiresWhenTheSimulatorClockPassesIt(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now()
	notify := e.company("Notify.QBW", "Notify Ltd")
	quiet := e.company("Quiet.QBW", "Quiet Ltd")
	leaf := e.ca.Issue(t, "Acme Connector Inc", signingtest.Opts{NotBefore: start.Add(-time.Hour), NotAfter: start.Add(48 * time.Hour)})
	prog := e.program("connector", leaf)
	e.start(qbdsim.Options{})
	off := false
	if err := e.sim.SetCompanyPrefs(quiet, qbdsim.CompanyPrefs{NotifyExpired: &off}); err != nil {
		t.Fatal(err)
	}
	// Authorised on both files while the certificate is valid: always,
	// with automatic login.
	p := e.connect("Acme Connector", prog, qbd.AuthPreferences{})
	for _, f := range []string{notify, quiet} {
		if err := e.sim.OpenFile(f, qbd.FileModeSingleUser, ""); err != nil {
			t.Fatal(err)
		}
		r, d := e.authorize(p, f, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
		if r.err != nil || d.Kind != qbdsim.DialogCertificate {
			t.Fatalf("%s: %v, dialog %s", f, r.err, d.Kind)
		}
		p.EndSession(ctx(t), r.ticket)
	}
	e.sim.StopQuickBooks()

	// The clock passes the certificate's expiry.
	e.sim.SetClock(leaf.Cert.NotAfter.Add(24 * time.Hour))
	if st := e.sim.State(); !st.ClockShifted || !st.Clock.After(leaf.Cert.NotAfter) {
		t.Fatalf("state clock %s shifted=%v", st.Clock, st.ClockShifted)
	}
	expired := e.connect("Acme Connector", prog, qbd.AuthPreferences{})
	_, err := expired.BeginSession(ctx(t), notify, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertExpired)
	// The preference off: the same application goes on working.
	r := await(t, begin(ctx(t), expired, quiet, qbd.FileModeDoNotCare))
	if r.err != nil {
		t.Fatalf("with the preference off, an expired certificate changed nothing in QuickBooks, but: %v", r.err)
	}
	expired.EndSession(ctx(t), r.ticket)
	e.sim.StopQuickBooks()

	// With QuickBooks open, the administrator sees the Expired Certificate
	// window; allowing always lets the automatic login work again.
	if err := e.sim.OpenFile(notify, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	r, d := e.authorize(expired, notify, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil || d.Kind != qbdsim.DialogExpiredCertificate || d.Title != "Expired Certificate" {
		t.Fatalf("after expiry: %v, dialog %s %q", r.err, d.Kind, d.Title)
	}
	expired.EndSession(ctx(t), r.ticket)
	e.sim.StopQuickBooks()
	if r := await(t, begin(ctx(t), expired, notify, qbd.FileModeDoNotCare)); r.err != nil {
		t.Fatalf("automatic login after allowing the expired certificate: %v", r.err)
	}

	// Back to the real time, the certificate is valid again.
	e.sim.SetClock(time.Time{})
	if st := e.sim.State(); st.ClockShifted {
		t.Errorf("clock still shifted after reset: %s", st.Clock)
	}
}

func TestTwoReleasesOfOneApplicationStayTwoEntriesKeyedByCertificate(t *testing.T) {
	// The same program name signed by two certificates (two releases of
	// the connector) is two entries in Integrated Applications; removing
	// the old one is the user's clean-up. See also
	// TestResignedProgramIsAskedAgainAndTheOldEntryStays.
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	old := e.ca.Issue(t, "Acme Connector Inc", defaultOpts)
	renewed := e.ca.Issue(t, "Acme Connector Inc", defaultOpts)
	v1, v2 := e.program("connector-1", old), e.program("connector-2", renewed)
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	for _, prog := range []string{v1, v2} {
		p := e.connect("Acme Connector", prog, qbd.AuthPreferences{})
		r, _ := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
		if r.err != nil {
			t.Fatal(r.err)
		}
		p.EndSession(ctx(t), r.ticket)
	}
	// Both keep working side by side, each under its own entry.
	e.sim.StopQuickBooks()
	for _, prog := range []string{v1, v2} {
		p := e.connect("Acme Connector", prog, qbd.AuthPreferences{})
		if r := await(t, begin(ctx(t), p, file, qbd.FileModeDoNotCare)); r.err != nil {
			t.Errorf("%s: %v", prog, r.err)
		}
	}
	ia, err := e.sim.Apps(file)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, a := range ia.Apps {
		keys[a.Key] = a.Certificate.Thumbprint
	}
	if len(ia.Apps) != 2 || len(keys) != 2 {
		t.Fatalf("entries %+v, want two with distinct keys", ia.Apps)
	}
}

// QuickBooks judges a program's signature with Microsoft Authenticode
// (Intuit's QuickBooks Desktop SDK guide, "Digitally signing your code":
// "This authorization process is implemented using Microsoft's
// Authenticode technology to determine the status of an application's code
// signature"), and Authenticode holds a signature countersigned by a
// trusted time-stamping authority valid after its certificate expires. So
// a timestamped program goes on logging in by itself when its certificate
// expires; the same program untimestamped meets 0x8004041E.
func TestTimestampedProgramKeepsWorkingWhenItsCertificateExpires(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now()
	file := e.company("Acme.QBW", "Acme")
	leaf := e.ca.Issue(t, "Acme Connector Inc", signingtest.Opts{NotBefore: start.Add(-time.Hour), NotAfter: start.Add(48 * time.Hour)})
	tsa := signingtest.StartTSA(t, e.ca, e.clock.Now)
	stamped := signingtest.TinyPE(t, "stamped")
	signer := leaf.Signer()
	signer.TimestampURL = tsa.URL
	if _, _, err := signer.SignFile(context.Background(), stamped); err != nil {
		t.Fatal(err)
	}
	plain := e.program("plain", leaf)
	e.start(qbdsim.Options{})

	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	progs := map[string]string{"Stamped Connector": stamped, "Plain Connector": plain}
	for name, prog := range progs {
		p := e.connect(name, prog, qbd.AuthPreferences{})
		r, d := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
		if r.err != nil || d.Kind != qbdsim.DialogCertificate {
			t.Fatalf("%s: %v, dialog %s", name, r.err, d.Kind)
		}
		p.EndSession(ctx(t), r.ticket)
	}
	e.sim.StopQuickBooks()

	e.sim.SetClock(leaf.Cert.NotAfter.Add(24 * time.Hour))
	p := e.connect("Stamped Connector", stamped, qbd.AuthPreferences{})
	r := await(t, begin(ctx(t), p, file, qbd.FileModeDoNotCare))
	if r.err != nil {
		t.Fatalf("the timestamped program after its certificate expired: %v", r.err)
	}
	p.EndSession(ctx(t), r.ticket)
	e.sim.StopQuickBooks()
	_, err := e.connect("Plain Connector", plain, qbd.AuthPreferences{}).BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertExpired)
}
