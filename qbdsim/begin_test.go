package qbdsim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// One test per row of the reference's BeginSession table (§1.5). Each sets up
// QuickBooks' state, calls BeginSession and checks the exact HRESULT and
// message.

// grantedEnv is a simulator with one company file on which "App" is
// authorised with the given choice.
func grantedEnv(t *testing.T, choice qbdsim.Choice) (*env, string, string) {
	t.Helper()
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme Supplies")
	e.start(qbdsim.Options{})
	prog := e.program("app", e.ca.Issue(t, "Acme Connector Inc", defaultOpts))
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	r, _ := e.authorize(p, "", qbdsim.Answer{Choice: choice})
	if r.err != nil {
		t.Fatalf("authorising: %v", r.err)
	}
	if err := p.EndSession(context.Background(), r.ticket); err != nil {
		t.Fatal(err)
	}
	return e, file, prog
}

func TestBeginSession_QuickBooksNotRunningWithoutFileName(t *testing.T) {
	e := newEnv(t)
	e.company("Acme.QBW", "Acme")
	e.start(qbdsim.Options{})
	p := e.connect("App", "", qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), "", qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNotRunningNoFile)
}

func TestBeginSession_RunningWithoutCompanyFileAndNoFileName(t *testing.T) {
	e := newEnv(t)
	e.start(qbdsim.Options{})
	if err := e.sim.StartQuickBooks(); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", "", qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), "", qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoCompanyOpen)
}

func TestBeginSession_AnotherCompanyFileOpen(t *testing.T) {
	e, _, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	other := e.company("Other.QBW", "Other Co")
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), other, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HROtherFileOpen)
}

func TestBeginSession_FileOpenInAnotherMode(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeMultiUser)
	wantHR(t, err, qbd.HRWrongMode)

	if err := e.sim.OpenFile(file, qbd.FileModeMultiUser, ""); err != nil {
		t.Fatal(err)
	}
	_, err = p.BeginSession(ctx(t), file, qbd.FileModeSingleUser)
	wantHR(t, err, qbd.HRWrongMode)
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeMultiUser); err != nil {
		t.Fatalf("multi-user session on a multi-user file: %v", err)
	}
}

func TestBeginSession_SingleUserWhileAnotherApplicationShares(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	first := e.connect("App", prog, qbd.AuthPreferences{})
	if _, err := first.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatal(err)
	}
	second := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := second.BeginSession(ctx(t), file, qbd.FileModeSingleUser)
	wantHR(t, err, qbd.HRSingleUserConflict)
}

func TestBeginSession_ModalDialogShowing(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	if err := e.sim.ShowModalDialog("Write Checks"); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRModalDialog)

	e.sim.DismissModalDialog()
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatalf("after the dialog closed: %v", err)
	}
}

func TestBeginSession_QuickBooksCannotStart(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceAlways)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	e.sim.SetCannotStart(true)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCannotStart)
}

func TestBeginSession_BadPathOrMissingFile(t *testing.T) {
	e := newEnv(t)
	e.start(qbdsim.Options{})
	p := e.connect("App", "", qbd.AuthPreferences{})
	for _, bad := range []string{"../escape.QBW", "/etc/passwd", "a*b.QBW"} {
		_, err := p.BeginSession(ctx(t), bad, qbd.FileModeDoNotCare)
		wantHR(t, err, qbd.HRInvalidFileName)
	}
	_, err := p.BeginSession(ctx(t), "Missing.QBW", qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCouldNotOpenFile)
	if st := e.sim.State(); st.Running || st.CompanyFile != nil {
		t.Fatalf("a failed BeginSession changed QuickBooks' state: %+v", st)
	}
}

func TestBeginSession_FirstAccessWithoutAdministrator(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme", "Bob")
	e.start(qbdsim.Options{})
	p := e.connect("App", "", qbd.AuthPreferences{})

	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, "Bob"); err != nil {
		t.Fatal(err)
	}
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRFirstAccess)

	// The administrator in multi-user mode cannot be asked either.
	if err := e.sim.OpenFile(file, qbd.FileModeMultiUser, "Admin"); err != nil {
		t.Fatal(err)
	}
	_, err = p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRFirstAccess)
	if d := e.sim.Dialogs(); len(d) != 0 {
		t.Fatalf("dialogs shown without an administrator: %+v", d)
	}
}

func TestBeginSession_AdministratorDeniesAccess(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", "", qbd.AuthPreferences{})
	r, _ := e.authorize(p, file, qbdsim.Answer{Choice: qbdsim.ChoiceNo})
	wantHR(t, r.err, qbd.HRAccessDenied)
	ia, err := e.sim.Apps(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(ia.Apps) != 0 {
		t.Fatalf("a denied application was added to the list: %+v", ia.Apps)
	}
}

func TestBeginSession_AccessRemovedByUntickingAllowAccess(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	ia, _ := e.sim.Apps(file)
	off := false
	if _, err := e.sim.SetApp(file, ia.Apps[0].Key, qbdsim.AppChange{AllowAccess: &off}); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoPermission)
}

func TestBeginSession_ClosedAndNotAllowedToLogInAutomatically(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoAutoLogin)
	if st := e.sim.State(); st.Running {
		t.Fatal("QuickBooks stayed running after refusing an unattended login")
	}
}

func TestBeginSession_ExpiredCertificateWithAutomaticLogin(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceAlways)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * 365 * 24 * 3600e9) // past the certificate's NotAfter
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertExpired)
}

func TestBeginSession_RevokedCertificate(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	leaf := e.ca.Issue(t, "Revoked Vendor", revokedOpts)
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", e.program("revoked", leaf), qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRCertRevoked)
	if d := e.sim.Dialogs(); len(d) != 0 {
		t.Fatalf("a revoked application raised a dialog: %+v", d)
	}
}

func TestBeginSession_QuickBooksStillInitializing(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	e.sim.SetInitializing(true)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNotInitialized)
}

func TestBadTicket(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	_, err := p.ProcessRequest(ctx(t), "{not-a-ticket}", []byte(hostQuery))
	wantHR(t, err, qbd.HRInvalidTicket)
	wantHR(t, p.EndSession(ctx(t), "{not-a-ticket}"), qbd.HRInvalidTicket)

	ticket, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.EndSession(ctx(t), ticket); err != nil {
		t.Fatal(err)
	}
	_, err = p.ProcessRequest(ctx(t), ticket, []byte(hostQuery))
	wantHR(t, err, qbd.HRInvalidTicket)
	// Another connection's ticket is not valid on this one.
	ticket, _ = p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	other := e.connect("App", prog, qbd.AuthPreferences{})
	_, err = other.ProcessRequest(ctx(t), ticket, []byte(hostQuery))
	wantHR(t, err, qbd.HRInvalidTicket)
}

func TestProcessRequest_ParseErrorAndSessionInfo(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	ticket, err := p.BeginSession(ctx(t), "", qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.ProcessRequest(ctx(t), ticket, []byte("<QBXML><not closed"))
	wantHR(t, err, qbd.HRParseError)
	// A qbXML version QuickBooks does not support: 0x80040423.
	_, err = p.ProcessRequest(ctx(t), ticket, []byte(strings.Replace(hostQuery, `version="13.0"`, `version="99.0"`, 1)))
	wantHR(t, err, qbd.HRVersionNotSupported)

	resp := mustProcess(t, p, ticket)
	for _, want := range []string{"<HostRet>", "SupportedQBXMLVersion", "SingleUser"} {
		if !strings.Contains(resp, want) {
			t.Errorf("HostQuery response lacks %q:\n%s", want, resp)
		}
	}
	got, err := p.CurrentCompanyFileName(ctx(t), ticket)
	if err != nil || got != file {
		t.Fatalf("CurrentCompanyFileName = %q, %v; want %q", got, err, file)
	}
	v, err := p.QBXMLVersionsForSession(ctx(t), ticket)
	if err != nil || v[len(v)-1] != "13.0" || v[0] != "1.0" {
		t.Fatalf("QBXMLVersionsForSession = %v, %v", v, err)
	}
}

func TestQuickBooksStartsInTheBackgroundForAutomaticLogin(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceAlways)
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	ticket, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatalf("automatic login: %v", err)
	}
	st := e.sim.State()
	if !st.Running || !st.Unattended || st.CompanyFile == nil || st.CompanyFile.User != "Admin" {
		t.Fatalf("state after automatic login = %+v", st)
	}
	resp := mustProcess(t, p, ticket)
	if !strings.Contains(resp, "<IsAutomaticLogin>true</IsAutomaticLogin>") {
		t.Errorf("HostQuery does not report the automatic login:\n%s", resp)
	}
	// Nobody is at QuickBooks: an application without automatic login
	// cannot join.
	stranger := e.connect("Stranger", "", qbd.AuthPreferences{})
	_, err = stranger.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	wantHR(t, err, qbd.HRNoAutoLogin)

	if err := p.EndSession(ctx(t), ticket); err != nil {
		t.Fatal(err)
	}
	if st := e.sim.State(); st.Running || st.CompanyFile != nil {
		t.Fatalf("background QuickBooks did not close after its last session: %+v", st)
	}
}

func TestQuickBooksClosingLosesSessions(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	ticket, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	_, err = p.ProcessRequest(ctx(t), ticket, []byte(hostQuery))
	wantHR(t, err, qbd.HRCouldNotAccess)
	if err := p.EndSession(ctx(t), ticket); err != nil {
		t.Fatalf("ending a lost session: %v", err)
	}
}

func TestAuthPendingWhenTheCallEndsBeforeTheAnswer(t *testing.T) {
	e := newEnv(t)
	file := e.company("Acme.QBW", "Acme")
	e.start(qbdsim.Options{})
	if err := e.sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", "", qbd.AuthPreferences{})
	short, cancel := context.WithCancel(context.Background())
	ch := begin(short, p, file, qbd.FileModeDoNotCare)
	d, err := e.sim.WaitDialog(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	r := await(t, ch)
	if !errors.Is(r.err, qbd.ErrAuthPending) {
		t.Fatalf("err = %v, want ErrAuthPending", r.err)
	}
	if got := qbd.Diagnose(r.err).Code; got != qbd.CondAuthPending {
		t.Fatalf("Diagnose = %s, want auth_pending", got)
	}
	// The dialog stays up; the application's retry waits on the same one.
	ch = begin(ctx(t), p, file, qbd.FileModeDoNotCare)
	if _, err := e.sim.AnswerDialog(d.ID, qbdsim.Answer{Choice: qbdsim.ChoiceWheneverOpen}, true); err != nil {
		t.Fatal(err)
	}
	if r := await(t, ch); r.err != nil {
		t.Fatalf("retry after the answer: %v", r.err)
	}
	if st := e.sim.State(); len(st.Answered) != 1 {
		t.Fatalf("answered dialogs = %d, want 1 (no second dialog)", len(st.Answered))
	}
}
