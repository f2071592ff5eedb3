package qbdsim_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// env is a simulator with its own trusted CA, company files directory and
// clock.
type env struct {
	tb    testing.TB
	sim   *qbdsim.Simulator
	dir   string
	clock *clocktest.Clock
	ca    *signingtest.CA
	// verifier trusts ca; it is built lazily so that tests can revoke
	// certificates first.
	verifier *signing.Verifier
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{tb: tb, dir: tb.TempDir(), clock: clocktest.New(time.Now()), ca: signingtest.NewCA(tb, "qbdsim Test Root")}
	return e
}

// start creates the simulator (after the test issued its certificates, so
// the verifier sees the CA's revocations).
func (e *env) start(opt qbdsim.Options) *qbdsim.Simulator {
	e.tb.Helper()
	e.verifier = e.ca.Verifier(e.tb)
	opt.Dir, opt.Now, opt.Verifier = e.dir, e.clock.Now, e.verifier
	sim, err := qbdsim.New(opt)
	if err != nil {
		e.tb.Fatalf("qbdsim.New: %v", err)
	}
	// Programs are verified by the simulator's clock (SetClock moves it).
	e.verifier.Now = sim.Now
	e.tb.Cleanup(func() { sim.Close() })
	e.sim = sim
	return sim
}

// company creates a company file with extra users besides Admin and returns
// its absolute path.
func (e *env) company(file, name string, users ...string) string {
	e.tb.Helper()
	p := filepath.Join(e.dir, file)
	f, err := companyfile.Create(p, name, companyfile.Options{Now: e.clock.Now})
	if err != nil {
		e.tb.Fatalf("companyfile.Create: %v", err)
	}
	for _, u := range users {
		if err := f.AddUser(u); err != nil {
			e.tb.Fatalf("AddUser: %v", err)
		}
	}
	if err := f.Close(); err != nil {
		e.tb.Fatal(err)
	}
	return p
}

// program writes a small Windows executable signed with leaf (unsigned
// when leaf is nil) and returns its path.
func (e *env) program(name string, leaf *signingtest.Leaf) string {
	e.tb.Helper()
	p := signingtest.TinyPE(e.tb, name)
	if leaf != nil {
		e.sign(p, leaf)
	}
	return p
}

// sign (re-)signs the program at p with leaf.
func (e *env) sign(p string, leaf *signingtest.Leaf) {
	e.tb.Helper()
	if _, _, err := leaf.Signer().SignFile(context.Background(), p); err != nil {
		e.tb.Fatalf("signing %s: %v", p, err)
	}
}

// connect opens a processor as app name running program, with prefs.
func (e *env) connect(name, program string, prefs qbd.AuthPreferences) *qbdsim.Processor {
	e.tb.Helper()
	p := e.sim.NewProcessor()
	if err := p.OpenConnection(context.Background(), qbd.App{Name: name, ConnectionType: qbd.ConnectionLocalQBD, Program: program}); err != nil {
		e.tb.Fatalf("OpenConnection: %v", err)
	}
	if err := p.SetAuthPreferences(context.Background(), prefs); err != nil {
		e.tb.Fatalf("SetAuthPreferences: %v", err)
	}
	e.tb.Cleanup(func() { p.CloseConnection(context.Background()) })
	return p
}

// begin runs BeginSession in the background and returns a channel with its
// outcome.
type beginResult struct {
	ticket string
	err    error
}

func begin(ctx context.Context, p *qbdsim.Processor, file string, mode qbd.FileMode) <-chan beginResult {
	ch := make(chan beginResult, 1)
	go func() {
		t, err := p.BeginSession(ctx, file, mode)
		ch <- beginResult{t, err}
	}()
	return ch
}

// await waits for a BeginSession outcome.
func await(tb testing.TB, ch <-chan beginResult) beginResult {
	tb.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		tb.Fatal("BeginSession did not return")
		return beginResult{}
	}
}

// ctx returns a context bounded for the test.
func ctx(tb testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return c
}

// authorize runs a BeginSession that raises the authorization dialog,
// answers it, and returns the session outcome and the dialog.
func (e *env) authorize(p *qbdsim.Processor, file string, a qbdsim.Answer) (beginResult, qbdsim.Dialog) {
	e.tb.Helper()
	c := ctx(e.tb)
	ch := begin(c, p, file, qbd.FileModeDoNotCare)
	d, err := e.sim.WaitDialog(c)
	if err != nil {
		e.tb.Fatal(err)
	}
	if _, err := e.sim.AnswerDialog(d.ID, a, true); err != nil {
		e.tb.Fatalf("AnswerDialog: %v", err)
	}
	return await(e.tb, ch), d
}

// wantHR checks that err is QuickBooks' error hr with its exact message.
func wantHR(tb testing.TB, err error, hr uint32) {
	tb.Helper()
	var qe *qbd.Error
	if !errors.As(err, &qe) {
		tb.Fatalf("got error %v, want QuickBooks error %s", err, qbd.FormatHRESULT(hr))
	}
	if qe.HRESULT != hr {
		tb.Fatalf("got HRESULT %s (%s), want %s (%s)", qbd.FormatHRESULT(qe.HRESULT), qe.Message, qbd.FormatHRESULT(hr), qbd.Message(hr))
	}
	if qe.Message != qbd.Message(hr) {
		tb.Fatalf("message = %q, want %q", qe.Message, qbd.Message(hr))
	}
}

const hostQuery = `<?xml version="1.0" encoding="utf-8"?>
<?qbxml version="13.0"?>
<QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>`

// mustProcess runs a HostQuery in the session and returns the response.
func mustProcess(tb testing.TB, p *qbdsim.Processor, ticket string) string {
	tb.Helper()
	resp, err := p.ProcessRequest(context.Background(), ticket, []byte(hostQuery))
	if err != nil {
		tb.Fatalf("ProcessRequest: %v", err)
	}
	return string(resp)
}
