package qbdsim_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

var (
	defaultOpts = signingtest.Opts{}
	revokedOpts = signingtest.Opts{Revoked: true}
	expiredOpts = signingtest.Opts{Expired: true}
)

// The authorization decision order (reference §6.3), one test per step.

func TestDecision1_DontAllowAnyRefusesEveryoneWithoutAsking(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceAlways)
	on := true
	if err := e.sim.SetCompanyPrefs(file, qbdsim.CompanyPrefs{DontAllowAny: &on}); err != nil {
		t.Fatal(err)
	}
	known := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := known.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoPermission)
	unknown := e.connect("Newcomer", "", qbd.AuthPreferences{})
	_, err = unknown.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoPermission)
	if d := e.sim.Dialogs(); len(d) != 0 {
		t.Fatalf("dialog shown although no application may access the file: %+v", d)
	}
	// Even automatic login while QuickBooks is closed.
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	_, err = known.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoPermission)
}

func TestDecision2_UnknownApplicationIsAskedOnlyByTheAdministrator(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme", "Bob")
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, "Bob"); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", "", qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRFirstAccess)

	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, "Admin"); err != nil {
		t.Fatal(err)
	}
	r, d := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceNo})
	wantHR(t, r.err, qbd.HRAccessDenied)
	if d.Kind != qbdsim.DialogNoCertificate || d.AppName != "App" || d.CompanyFile != file {
		t.Fatalf("dialog = %+v", d)
	}
	// "No" is for this occasion only: the next access asks again.
	r, _ = e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceWheneverOpen})
	if r.err != nil {
		t.Fatal(r.err)
	}
}

func TestDecision3_KnownApplicationWithAllowAccessOff(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceAlways)
	ia, _ := e.sim.Apps(file)
	off := false
	if _, err := e.sim.SetApp(file, ia.Apps[0].Key, qbdsim.AppChange{AllowAccess: &off}); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoPermission)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	_, err = p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoPermission)
	// Ticking it again restores access.
	on := true
	if _, err := e.sim.SetApp(file, ia.Apps[0].Key, qbdsim.AppChange{AllowAccess: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatal(err)
	}
}

func TestDecision4_ClosedQuickBooksNeedsAutomaticLogin(t *testing.T) {
	for _, choice := range []qbdsim.Choice{qbdsim.ChoicePromptEachTime, qbdsim.ChoiceWheneverOpen} {
		t.Run(string(choice), func(t *testing.T) {
			e, file, prog := grantedEnv(t, choice)
			if err := e.sim.StopQuickBooks(); err != nil {
				t.Fatal(err)
			}
			p := e.connect("App", prog, qbd.AuthPreferences{})
			_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
			wantHR(t, err, qbd.HRNoAutoLogin)
		})
	}
}

func TestDecision5_ExpiredCertificateAndNotifyExpired(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceAlways)
	e.clock.Advance(2 * 365 * 24 * time.Hour)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertExpired)

	// The administrator opens the file: QuickBooks shows the Expired
	// Certificate window; after "Yes, always" the application logs in
	// automatically again.
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	r, d := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceAlways})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.Kind != qbdsim.DialogExpiredCertificate {
		t.Fatalf("dialog kind = %s, want expired-certificate", d.Kind)
	}
	p.EndSession(ctx(t), r.ticket)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatalf("automatic login after allowing the expired certificate: %v", err)
	}

	// With "Notify the user ..." unticked, an expired certificate is not
	// reported at all.
	e2, file2, prog2 := grantedEnv(t, qbdsim.ChoiceAlways)
	off := false
	if err := e2.sim.SetCompanyPrefs(file2, qbdsim.CompanyPrefs{NotifyExpired: &off}); err != nil {
		t.Fatal(err)
	}
	e2.clock.Advance(2 * 365 * 24 * time.Hour)
	e2.sim.StopQuickBooks()
	p2 := e2.connect("App", prog2, qbd.AuthPreferences{})
	if _, err := p2.BeginSession(ctx(t), file2, qbd.FileModeDoNotCare); err != nil {
		t.Fatalf("expired certificate without notification: %v", err)
	}
}

func TestDecision6_RevokedCertificateEvenWhenGranted(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	leaf := e.ca.Issue(t, "Vendor", defaultOpts)
	prog := e.program("app", leaf)
	e.start(qbdsim.Options{Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways}})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatal(err)
	}
	// The CA revokes the certificate; a simulator whose verifier knows it
	// refuses the application although it is granted.
	e.ca.Revoke(leaf.Cert)
	e2 := &env{tb: t, dir: e.dir, clock: e.clock, ca: e.ca}
	e.sim.Close()
	e2.start(qbdsim.Options{})
	if err := e2.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	p2 := e2.connect("App", prog, qbd.AuthPreferences{})
	_, err := p2.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertRevoked)
}

func TestPromptEachTimeAsksOncePerOpening(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoicePromptEachTime)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	// Granted for this QuickBooks session already.
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatal(err)
	}
	e.sim.CloseFile()
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	r, d := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoicePromptEachTime})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.Kind != qbdsim.DialogCertificate {
		t.Fatalf("kind = %s", d.Kind)
	}
}

func TestAskingForMoreThanGrantedAsksAgain(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	ro := e.connect("App", "", qbd.AuthPreferences{ReadOnly: true})
	if r, _ := e.authorize(ro, file, qbdsim.Answer{Choice: qbdsim.ChoiceWheneverOpen}); r.err != nil {
		t.Fatal(r.err)
	}
	e.sim.CloseFile()
	e.sim.OpenFile(file, qbd.FileModeSingleUser, "")
	rw := e.connect("App", "", qbd.AuthPreferences{PersonalData: qbd.PersonalDataRequired})
	r, d := e.authorize(rw, file, qbdsim.Answer{Choice: qbdsim.ChoiceWheneverOpen, PersonalData: true})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d.ReadOnly || d.PersonalData != qbd.PersonalDataRequired {
		t.Fatalf("dialog does not show what the application asks: %+v", d)
	}
	ia, _ := e.sim.Apps(file)
	if len(ia.Apps) != 1 || ia.Apps[0].ReadOnly || !ia.Apps[0].PersonalData {
		t.Fatalf("entry after re-authorization = %+v", ia.Apps)
	}
}

func TestDialogAnswerValidation(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme", "Bob", "Carol")
	e.start(qbdsim.Options{})
	e.sim.OpenFile(file, qbd.FileModeSingleUser, "")
	p := e.connect("App", "", qbd.AuthPreferences{PersonalData: qbd.PersonalDataNotNeeded})
	c := ctx(t)
	ch := begin(c, p, file, qbd.FileModeDoNotCare)
	d, err := e.sim.WaitDialog(c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Admin", "Bob", "Carol"}, d.Users); diff != "" {
		t.Fatalf("Login as users (-want +got):\n%s", diff)
	}
	for _, bad := range []qbdsim.Answer{
		{Choice: "maybe"},
		{Choice: qbdsim.ChoiceAlways},                     // several users: Login as is required
		{Choice: qbdsim.ChoiceAlways, LoginAs: "Mallory"}, // not a user
		{Choice: qbdsim.ChoiceWheneverOpen, PersonalData: true},
	} {
		if _, err := e.sim.AnswerDialog(d.ID, bad, true); err == nil {
			t.Errorf("answer %+v accepted", bad)
		}
	}
	if _, err := e.sim.ConfirmDialog(d.ID); err == nil {
		t.Error("Done accepted before an answer")
	}
	got, err := e.sim.AnswerDialog(d.ID, qbdsim.Answer{Choice: qbdsim.ChoiceAlways, LoginAs: "Bob"}, false)
	if err != nil || got.Stage != qbdsim.StageConfirm {
		t.Fatalf("answer: %+v, %v", got, err)
	}
	if _, err := e.sim.ConfirmDialog(d.ID); err != nil {
		t.Fatal(err)
	}
	if r := await(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
	ia, _ := e.sim.Apps(file)
	want := qbdsim.AppEntry{Name: "App", AllowAccess: true, AutoLogin: true, LoginAs: "Bob"}
	got2 := ia.Apps[0]
	got2.Key, got2.FirstAccess, got2.LastAccess = "", time.Time{}, time.Time{}
	if diff := cmp.Diff(want, got2); diff != "" {
		t.Fatalf("entry (-want +got):\n%s", diff)
	}
	// QuickBooks closed: the application logs in automatically as Bob.
	e.sim.StopQuickBooks()
	ticket, err := p.BeginSession(context.Background(), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.sim.State(); st.Sessions[0].User != "Bob" || st.CompanyFile.User != "Bob" {
		t.Fatalf("automatic login user: %+v", st)
	}
	p.EndSession(context.Background(), ticket)
}

func TestPropertiesFollowQuickBooksRules(t *testing.T) {
	e, file, _ := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	ia, _ := e.sim.Apps(file)
	key := ia.Apps[0].Key
	yes, no := true, false
	if _, err := e.sim.SetApp(file, key, qbdsim.AppChange{PromptEachTime: &yes, AutoLogin: &yes}); err == nil {
		t.Error("prompt each time together with automatic login accepted")
	}
	got, err := e.sim.SetApp(file, key, qbdsim.AppChange{AutoLogin: &yes})
	if err != nil || got.LoginAs != "Admin" || got.PromptEachTime {
		t.Fatalf("automatic login on a one-user file: %+v, %v", got, err)
	}
	got, err = e.sim.SetApp(file, key, qbdsim.AppChange{PromptEachTime: &yes})
	if err != nil || got.AutoLogin || got.LoginAs != "" {
		t.Fatalf("prompt each time clears automatic login: %+v, %v", got, err)
	}
	if _, err := e.sim.SetApp(file, key, qbdsim.AppChange{AllowAccess: &no, PersonalData: &yes}); err == nil {
		t.Error("changed a property with Allow Access off")
	}
	if _, err := e.sim.SetApp(file, "nope", qbdsim.AppChange{AllowAccess: &no}); err == nil {
		t.Error("unknown key accepted")
	}
	if err := e.sim.RemoveApp(file, key); err != nil {
		t.Fatal(err)
	}
	if ia, _ := e.sim.Apps(file); len(ia.Apps) != 0 {
		t.Fatalf("after Remove: %+v", ia.Apps)
	}
}

func TestOnlyTheAdministratorChangesPreferences(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme", "Bob")
	e.start(qbdsim.Options{})
	e.sim.OpenFile(file, qbd.FileModeSingleUser, "Bob")
	on := true
	if err := e.sim.SetCompanyPrefs(file, qbdsim.CompanyPrefs{DontAllowAny: &on}); err == nil {
		t.Fatal("Bob changed the Integrated Applications preferences")
	}
	if ia, _ := e.sim.Apps(file); ia.DontAllowAny {
		t.Fatal("refused change was saved")
	}
}
