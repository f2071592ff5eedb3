package qbdsim_test

import (
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// The scenarios of the certificate-expiry notice (reference
// seed-certificate-notice.md): a connector authorised under its old
// certificate is re-signed with a new one.

type seed struct {
	*env
	expected, other string
	connector       string
	newCert         *signingtest.Leaf
}

// newSeed: the connector signed with the old certificate has "Yes, always"
// on Expected.QBW; it is then re-signed with the new certificate.
func newSeed(t *testing.T) *seed {
	t.Helper()
	e := newEnv(t)
	s := &seed{env: e, expected: e.company("Expected.QBW", "Expected Co"), other: e.company("Other.QBW", "Other Co")}
	oldCert := e.ca.Issue(t, "Connector Vendor Ltd", defaultOpts)
	s.newCert = e.ca.Issue(t, "Connector Vendor Ltd", defaultOpts)
	s.connector = e.program("connector", oldCert)
	e.start(qbdsim.Options{})
	e.sim.OpenFile(s.expected, qbd.FileModeSingleUser, "")
	p := e.connect("Connector", s.connector, qbd.AuthPreferences{})
	r, _ := e.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil {
		t.Fatal(r.err)
	}
	p.EndSession(ctx(t), r.ticket)
	e.sim.StopQuickBooks()
	e.sign(s.connector, s.newCert)
	return s
}

func TestSeed1_OpenWithTheRightFileAsksAtNextAccess(t *testing.T) {
	s := newSeed(t)
	s.sim.OpenFile(s.expected, qbd.FileModeSingleUser, "")
	p := s.connect("Connector", s.connector, qbd.AuthPreferences{})
	r, d := s.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.CompanyFile != s.expected || d.Certificate.Thumbprint != s.newCert.Thumbprint() {
		t.Fatalf("dialog = %+v", d)
	}
	// From now on it works as before, even with QuickBooks closed.
	p.EndSession(ctx(t), r.ticket)
	s.sim.StopQuickBooks()
	if _, err := p.BeginSession(ctx(t), s.expected, qbd.FileModeDoNotCare); err != nil {
		t.Fatalf("automatic login after re-authorization: %v", err)
	}
}

func TestSeed2_OpenWithAnotherFileAsksForThatFile(t *testing.T) {
	s := newSeed(t)
	s.sim.OpenFile(s.other, qbd.FileModeSingleUser, "")
	p := s.connect("Connector", s.connector, qbd.AuthPreferences{})
	r, d := s.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if d.CompanyFile != s.other || d.CompanyName != "Other Co" {
		t.Fatalf("the dialog names %s (%s), want the open file", d.CompanyFile, d.CompanyName)
	}
	// Approved for the wrong file: the operation fails as "wrong file open".
	wantHR(t, r.err, qbd.HROtherFileOpen)
	cond := qbd.DiagnoseFile(r.err, s.other, s.expected)
	if cond.Code != qbd.CondWrongFileOpen || !strings.Contains(cond.Message, s.other) || !strings.Contains(cond.Message, s.expected) {
		t.Fatalf("Diagnose = %+v", cond)
	}
	ia, _ := s.sim.Apps(s.other)
	if len(ia.Apps) != 1 || !ia.Apps[0].AllowAccess {
		t.Fatalf("grant on the wrong file: %+v", ia.Apps)
	}
	// The user opens the right file: it asks there, and works.
	s.sim.OpenFile(s.expected, qbd.FileModeSingleUser, "")
	if r, _ := s.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceAlways}); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestSeed3_ClosedQuickBooksTimesOut(t *testing.T) {
	s := newSeed(t)
	p := s.connect("Connector", s.connector, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), s.expected, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoAutoLogin)
	cond := qbd.DiagnoseFile(err, "", s.expected)
	if cond.Code != qbd.CondQBClosed || cond.Message != "Timed out attempting to communicate with QBD." || !cond.NeedsUser {
		t.Fatalf("Diagnose = %+v", cond)
	}
	if !strings.Contains(cond.Resolution, "Perform Sync") || !strings.Contains(cond.Resolution, s.expected) {
		t.Fatalf("resolution = %q", cond.Resolution)
	}
	if len(s.sim.Dialogs()) != 0 || s.sim.State().Running {
		t.Fatal("a closed QuickBooks showed a dialog or stayed running")
	}
}

func TestSeed4_DeniedAccess(t *testing.T) {
	s := newSeed(t)
	s.sim.OpenFile(s.expected, qbd.FileModeSingleUser, "")
	p := s.connect("Connector", s.connector, qbd.AuthPreferences{})
	r, _ := s.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceNo})
	wantHR(t, r.err, qbd.HRAccessDenied)
	if cond := qbd.Diagnose(r.err); cond.Code != qbd.CondAccessDenied || !cond.Retryable {
		t.Fatalf("Diagnose = %+v", cond)
	}
	// Next Perform Sync asks again, and the user can approve.
	if r, _ := s.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceAlways}); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestSeed5_RemovingTheOldEntryChangesNothing(t *testing.T) {
	for _, before := range []bool{true, false} {
		name := map[bool]string{true: "before approving", false: "after approving"}[before]
		t.Run(name, func(t *testing.T) {
			s := newSeed(t)
			s.sim.OpenFile(s.expected, qbd.FileModeSingleUser, "")
			ia, _ := s.sim.Apps(s.expected)
			oldKey := ia.Apps[0].Key
			if before {
				if err := s.sim.RemoveApp(s.expected, oldKey); err != nil {
					t.Fatal(err)
				}
			}
			p := s.connect("Connector", s.connector, qbd.AuthPreferences{})
			r, _ := s.authorize(p, s.expected, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
			if r.err != nil {
				t.Fatal(r.err)
			}
			p.EndSession(ctx(t), r.ticket)
			if !before {
				if err := s.sim.RemoveApp(s.expected, oldKey); err != nil {
					t.Fatal(err)
				}
			}
			s.sim.StopQuickBooks()
			if _, err := p.BeginSession(ctx(t), s.expected, qbd.FileModeDoNotCare); err != nil {
				t.Fatalf("after removing the old entry: %v", err)
			}
		})
	}
}
