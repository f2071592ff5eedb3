package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/server"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

const hostQuery = `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>`

type fixture struct {
	sim     *qbdsim.Simulator
	srv     *httptest.Server
	ctl     *server.Client
	file    string
	program string
}

// newFixture serves a simulator with one company file, Acme.QBW, open as
// the administrator, and a program signed by a CA the simulator trusts.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "Acme.QBW")
	f, err := companyfile.Create(file, "Acme Supplies", companyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.AddUser("Bob")
	f.Close()
	ca := signingtest.NewCA(t, "Server Test Root")
	leaf := ca.Issue(t, "Acme Connector Inc", signingtest.Opts{})
	prog := signingtest.TinyPE(t, "connector")
	if _, _, err := leaf.Signer().SignFile(context.Background(), prog); err != nil {
		t.Fatal(err)
	}
	sim, err := qbdsim.New(qbdsim.Options{Dir: dir, Verifier: ca.Verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if err := sim.OpenFile("Acme.QBW", qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(sim, nil))
	t.Cleanup(srv.Close)
	ctl, err := server.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, srv: srv, ctl: ctl, file: file, program: prog}
}

func (fx *fixture) client(t *testing.T) *simclient.Client {
	t.Helper()
	c, err := simclient.New(fx.srv.URL, simclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.OpenConnection(context.Background(), qbd.App{Name: "Acme Connector", Program: fx.program}); err != nil {
		t.Fatalf("OpenConnection: %v", err)
	}
	t.Cleanup(func() { c.CloseConnection(context.Background()) })
	return c
}

// noRedirect is an HTTP client that shows redirects instead of following.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
	}
	return string(body)
}

func postForm(t *testing.T, u string, v url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirect.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func wantContains(t *testing.T, page string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(page, p) {
			t.Errorf("page lacks %q", p)
		}
	}
}

func TestConnectorAuthorisedThroughTheWebUI(t *testing.T) {
	fx := newFixture(t)
	c := fx.client(t)

	// The connector's first try ends while the dialog is up: auth_pending.
	short, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pending := make(chan error, 1)
	go func() {
		_, err := c.BeginSession(short, "", qbd.FileModeDoNotCare)
		pending <- err
	}()
	d, err := fx.sim.WaitDialog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = <-pending
	if !errors.Is(err, qbd.ErrAuthPending) {
		t.Fatalf("BeginSession = %v, want ErrAuthPending", err)
	}

	// The administrator sees it on the home page and opens it.
	home := get(t, fx.srv.URL+"/")
	wantContains(t, home, `id="qb-state"`, `data-running="true"`, `class="dialog-link"`, "Acme Connector", `id="open-file"`)
	page := get(t, fx.srv.URL+"/dialogs/"+d.ID)
	wantContains(t, page, "QuickBooks - Application Certificate", `id="dialog-app-name"`, "Acme Connector Inc",
		`id="choice-always"`, `id="choice-whenever-open"`, `id="choice-prompt-each-time"`, `id="choice-no"`,
		`id="login-as"`, `<option value="Bob"`, `id="personal-data"`, `id="continue"`, "Acme Supplies")

	// The connector tries again while the administrator answers.
	ok := make(chan error, 1)
	var ticket string
	go func() {
		var err error
		ticket, err = c.BeginSession(context.Background(), fx.file, qbd.FileModeDoNotCare)
		ok <- err
	}()
	// "always" without Login as is refused: the file has two users.
	resp := postForm(t, fx.srv.URL+"/dialogs/"+d.ID+"/answer", url.Values{"choice": {"always"}, "loginAs": {""}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("incomplete answer: %s", resp.Status)
	}
	resp = postForm(t, fx.srv.URL+"/dialogs/"+d.ID+"/answer", url.Values{"choice": {"always"}, "loginAs": {"Bob"}, "personalData": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: %s", resp.Status)
	}
	wantContains(t, get(t, fx.srv.URL+"/dialogs/"+d.ID), "Access Confirmation", `id="done"`, "Bob")
	resp = postForm(t, fx.srv.URL+"/dialogs/"+d.ID+"/done", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("done: %s", resp.Status)
	}
	if err := <-ok; err != nil {
		t.Fatalf("BeginSession after the answer: %v", err)
	}
	wantContains(t, get(t, fx.srv.URL+"/dialogs/"+d.ID), `id="closed-window"`)

	resp2, err := c.ProcessRequest(context.Background(), ticket, []byte(hostQuery))
	if err != nil || !strings.Contains(string(resp2), "<HostRet>") {
		t.Fatalf("ProcessRequest: %v\n%s", err, resp2)
	}
	name, err := c.CurrentCompanyFileName(context.Background(), ticket)
	if err != nil || name != fx.file {
		t.Fatalf("CurrentCompanyFileName = %q, %v", name, err)
	}
	v, err := c.QBXMLVersionsForSession(context.Background(), ticket)
	if err != nil || len(v) != 16 {
		t.Fatalf("QBXMLVersionsForSession = %v, %v", v, err)
	}

	// The grant is in the preferences page and the control API.
	apps := get(t, fx.srv.URL+"/files/Acme.QBW/apps")
	wantContains(t, apps, `id="apps"`, `class="app"`, "automatic login as Bob", `class="allow-toggle"`, `class="remove"`, `class="properties"`)
	ia, err := fx.ctl.Apps(context.Background(), "Acme.QBW")
	if err != nil || len(ia.Apps) != 1 || !ia.Apps[0].AutoLogin || ia.Apps[0].LoginAs != "Bob" || !ia.Apps[0].PersonalData {
		t.Fatalf("apps = %+v, %v", ia, err)
	}
	wantContains(t, get(t, fx.srv.URL+"/files/Acme.QBW/apps/"+ia.Apps[0].Key), `id="properties-window"`, `id="auto-login"`, `id="developed-by"`)

	if err := c.EndSession(context.Background(), ticket); err != nil {
		t.Fatal(err)
	}
	_, err = c.ProcessRequest(context.Background(), ticket, []byte(hostQuery))
	var qe *qbd.Error
	if !errors.As(err, &qe) || qe.HRESULT != qbd.HRInvalidTicket || qe.Message != qbd.Message(qbd.HRInvalidTicket) {
		t.Fatalf("after EndSession: %v", err)
	}
}

func TestErrorsCrossHTTPWithTheirHRESULTAndMessage(t *testing.T) {
	fx := newFixture(t)
	if err := fx.sim.SetPolicy(qbdsim.Policy{Mode: qbdsim.PolicyWheneverOpen}); err != nil {
		t.Fatal(err)
	}
	c := fx.client(t)
	ticket, err := c.BeginSession(context.Background(), "", qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.ctl.ShowModal(context.Background(), "Write Checks"); err != nil {
		t.Fatal(err)
	}
	_, err = c.ProcessRequest(context.Background(), ticket, []byte(hostQuery))
	var qe *qbd.Error
	if !errors.As(err, &qe) || qe.HRESULT != qbd.HRModalDialog || qe.Message != qbd.Message(qbd.HRModalDialog) {
		t.Fatalf("with a modal dialog: %v", err)
	}
	if cond := qbd.Diagnose(err); cond.Code != qbd.CondModalDialog || !cond.NeedsUser {
		t.Fatalf("Diagnose = %+v", cond)
	}
	if err := fx.ctl.DismissModal(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ProcessRequest(context.Background(), ticket, []byte("<QBXML><broken")); !errors.Is(err, qbd.NewError(qbd.HRParseError)) {
		t.Fatalf("parse error: %v", err)
	}

	// Faults from the control API: QuickBooks closes after one more request.
	if _, err := fx.ctl.InjectFault(context.Background(), qbdsim.Fault{Method: "ProcessRequest", After: 1, CloseQuickBooks: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ProcessRequest(context.Background(), ticket, []byte(hostQuery)); err != nil {
		t.Fatalf("request before the fault: %v", err)
	}
	_, err = c.ProcessRequest(context.Background(), ticket, []byte(hostQuery))
	if !errors.Is(err, qbd.NewError(qbd.HRCouldNotAccess)) {
		t.Fatalf("request when QuickBooks closed: %v", err)
	}
	st, _ := fx.ctl.State(context.Background())
	if st.Running || len(st.Faults) != 0 {
		t.Fatalf("state after the fault: %+v", st)
	}

	// A simulator that cannot be reached is a QuickBooks that cannot be.
	fx.srv.Close()
	_, err = c.BeginSession(context.Background(), "", qbd.FileModeDoNotCare)
	if cond := qbd.Diagnose(err); cond.Code != qbd.CondQBNotResponding || cond.Message != qbd.TimedOutMessage {
		t.Fatalf("unreachable simulator: %v -> %+v", err, cond)
	}
}

func TestWebUIRefusesCrossSitePosts(t *testing.T) {
	fx := newFixture(t)
	req, _ := http.NewRequest(http.MethodPost, fx.srv.URL+"/qb/stop", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %s", resp.Status)
	}
	if !fx.sim.State().Running {
		t.Fatal("a cross-site post closed QuickBooks")
	}
	req, _ = http.NewRequest(http.MethodPost, fx.srv.URL+"/qb/stop", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Origin: %s", resp.Status)
	}
}

func TestControlAPIRejectsBadInputAndChangesNothing(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	if _, err := fx.ctl.OpenFile(ctx, server.OpenRequest{File: "../outside.QBW"}); err == nil {
		t.Error("opened a file outside the directory")
	}
	if _, err := fx.ctl.OpenFile(ctx, server.OpenRequest{File: "Acme.QBW", User: "Mallory"}); err == nil {
		t.Error("logged in as an unknown user")
	}
	if _, err := fx.ctl.InjectFault(ctx, qbdsim.Fault{Method: "Nope", HRESULT: qbd.HRModalDialog}); err == nil {
		t.Error("accepted a fault on an unknown method")
	}
	if err := fx.ctl.SetPolicy(ctx, qbdsim.Policy{Mode: "sometimes"}); err == nil {
		t.Error("accepted an unknown policy")
	}
	if _, err := fx.ctl.Answer(ctx, "nope", server.AnswerRequest{Answer: qbdsim.Answer{Choice: qbdsim.ChoiceNo}}); err == nil {
		t.Error("answered an unknown dialog")
	}
	st, err := fx.ctl.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.CompanyFile == nil || st.CompanyFile.User != "Admin" || len(st.Faults) != 0 || st.Policy.Mode != "" {
		t.Fatalf("state changed by refused calls: %+v", st)
	}
	files, err := fx.ctl.Files(ctx)
	if err != nil || len(files.Files) != 1 || files.Files[0] != "Acme.QBW" {
		t.Fatalf("files = %+v, %v", files, err)
	}
	resp, err := fx.ctl.Exec(ctx, "Acme.QBW", []byte(hostQuery))
	if err != nil || !strings.Contains(string(resp), "<HostRet>") {
		t.Fatalf("exec: %v\n%s", err, resp)
	}
}
