package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/server"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// bins are the binaries built once for the package; browser is one
// Chromium shared by the tests, a tab each.
var (
	bins    *testenv.Binaries
	browser *testenv.Browser
)

func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBrowser(m, &bins, &browser))
}

// env is one business and its client on real processes: `qbconnect serve`
// with the client's organisation "Lender Inc", its company "Acme Plumbing
// LLC" (synced only when asked) and a connector connection; `qbdsim serve`
// trusting a test CA, with Acme Plumbing's file open as Admin and every
// authorization answered "Yes, always"; and `qbconnector` signed by
// "qbconnect Ltd" with its own data folder, not linked yet.
type env struct {
	tb      testing.TB
	ca      *signingtest.CA
	sim     *testenv.Sim
	plat    *testenv.Platform
	company *qbconnect.Company
	conn    *qbconnect.Connection
	agent   *testenv.Connector
}

type envOptions struct {
	// leaseTTL is how long the connector holds an item; 0 means a minute.
	leaseTTL time.Duration
}

func newEnv(tb testing.TB, opt envOptions) *env {
	tb.Helper()
	if opt.leaseTTL == 0 {
		opt.leaseTTL = time.Minute
	}
	e := &env{tb: tb, ca: signingtest.NewCA(tb, "qbconnect E2E Root")}
	e.sim = testenv.StartSim(tb, bins, testenv.SimOptions{Roots: e.ca.RootPath(), Policy: string(qbdsim.PolicyAlways)})
	e.sim.Open(testenv.AcmeFile)
	e.plat = testenv.StartPlatform(tb, bins, testenv.PlatformOptions{Args: []string{"--lease-ttl", opt.leaseTTL.String()}})
	e.company, e.conn = e.plat.CreateCompanyWith(client.CreateCompanyRequest{Name: "Acme Plumbing LLC", SyncSchedule: testenv.NoAutoSync()})
	e.agent = testenv.InstallConnector(tb, bins, e.leaf(time.Time{}))
	return e
}

// leaf issues a code-signing certificate for "qbconnect Ltd"; a zero
// notAfter takes the test CA's default validity.
func (e *env) leaf(notAfter time.Time) *signingtest.Leaf {
	opts := signingtest.Opts{Organization: "qbconnect"}
	if !notAfter.IsZero() {
		opts.NotBefore, opts.NotAfter = time.Now().Add(-time.Hour), notAfter
	}
	return e.ca.Issue(e.tb, "qbconnect Ltd", opts)
}

// link links the file open in the simulator to the connection; QuickBooks'
// policy answers the authorization.
func (e *env) link() {
	e.tb.Helper()
	e.agent.StartLink(e.plat.URL, e.plat.LinkCode(e.conn), e.sim.URL).Wait(e.tb)
}

// must fails the test when a simulator call failed.
func (e *env) must(what string, err error) {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatalf("qbdsim %s: %v", what, err)
	}
}

// health returns the connection's health as the REST API shows it.
func (e *env) health() qbconnect.Health {
	e.tb.Helper()
	return e.plat.Connection(e.conn).Health
}

// waitHealthy waits until the platform shows the connection healthy.
func (e *env) waitHealthy() {
	e.tb.Helper()
	wait.For(e.tb, "the connection to be healthy", 10*time.Second, func() (bool, string) {
		h := e.health()
		return h.Code == qbconnect.HealthOK && h.LastSuccessAt != nil, fmt.Sprintf("%+v", h)
	})
}

// press presses a button of the linked file's card through the connector's
// local API (sync, pause with a body {"for": ...}, resume), as the end user
// does, and fails the test unless it was accepted.
func (e *env) press(button string, body any) {
	e.tb.Helper()
	if code := e.agent.UI("POST", "/api/files/"+e.conn.ID+"/"+button, body, nil); code != http.StatusOK {
		e.tb.Fatalf("%s on the connector: HTTP %d", button, code)
	}
}

// file returns the connector's local status of the linked file.
func (e *env) file() *connector.FileStatus {
	e.tb.Helper()
	return e.agent.File(e.conn.ID)
}

// expectState waits until the connector's local UI and the platform's
// connection health (GET .../connections/{id}) both show code, and checks
// the message on both sides and that a state needing action says what to
// do.
func (e *env) expectState(code string, wantMessage ...string) {
	e.tb.Helper()
	// Perform Sync asks QuickBooks again at once, as the end user would
	// (whether the platform takes the sync request does not matter here).
	e.agent.UI("POST", "/api/files/"+e.conn.ID+"/sync", nil, nil)
	e.awaitState(code, 15*time.Second, wantMessage...)
}

// awaitState is expectState without pressing Perform Sync: the connector
// notices the change by itself, and no sync is queued.
func (e *env) awaitState(code string, timeout time.Duration, wantMessage ...string) {
	e.tb.Helper()
	var fs *connector.FileStatus
	var h qbconnect.Health
	wait.For(e.tb, "state "+code+" locally and on the platform", timeout, func() (bool, string) {
		fs, h = e.agent.Status().File(e.conn.ID), e.health()
		if fs == nil {
			return false, "no file"
		}
		return fs.Shown.Code == code && h.Code == code, fmt.Sprintf("local %s (%s), platform %s (%s)", fs.Shown.Code, fs.Shown.Message, h.Code, h.Message)
	})
	for _, m := range wantMessage {
		if !strings.Contains(fs.Shown.Message, m) {
			e.tb.Errorf("%s: local message %q lacks %q", code, fs.Shown.Message, m)
		}
		if !strings.Contains(h.Message, m) {
			e.tb.Errorf("%s: platform message %q lacks %q", code, h.Message, m)
		}
	}
	if code != qbd.CondOK && (fs.Shown.Resolution == "" || h.Resolution == "") {
		e.tb.Errorf("%s: no resolution: local %q, platform %q", code, fs.Shown.Resolution, h.Resolution)
	}
}

// writeCustomer sends a client's write of a new customer through the REST
// API with an idempotency key of its own and returns the operation.
func (e *env) writeCustomer(name string) *testenv.Operation {
	e.tb.Helper()
	return e.plat.CreateCustomer(e.company.ID, name, "e2e-"+strings.ReplaceAll(name, " ", "-"))
}

// checkWritten checks that a client's write of customer name succeeded
// with QuickBooks' answer for that customer (a write run twice would be
// refused as a duplicate name) and that the customer exists exactly once
// in the company file.
func (e *env) checkWritten(op *testenv.Operation, name string) {
	e.tb.Helper()
	if op.Status != sdk.OperationStatusSuccess || op.Error != nil {
		e.tb.Errorf("%s: operation %s is %s (%+v), want %s", name, op.Id, op.Status, op.Error, qbconnect.OpSucceeded)
		return
	}
	var got any
	if op.Record != nil {
		got, _ = op.Record.Get("name")
	}
	if got != name || op.RecordId == nil || *op.RecordId == "" {
		e.tb.Errorf("%s: operation %s answers record %+v (id %v)", name, op.Id, op.Record, op.RecordId)
	}
	if n := e.sim.CustomersNamed(testenv.AcmeFile, name); n != 1 {
		e.tb.Errorf("%s exists %d times in the company file, want exactly once", name, n)
	}
}

// open opens a company file in mode, closing the open one first once
// QuickBooks lets it: QuickBooks refuses while an application has a
// session on it, and the connector ends idle sessions by itself.
func (e *env) open(file, mode string) {
	e.tb.Helper()
	ctx := context.Background()
	// As a user would: close whatever is open, then open the file. The
	// connector may hold a session on the open file, or open the file
	// itself (unattended) between the two, so both are tried again until
	// the open succeeds.
	wait.For(e.tb, "QuickBooks to open "+file+" ("+mode+"-user)", 15*time.Second, func() (bool, string) {
		_, err := e.sim.OpenFile(ctx, server.OpenRequest{File: file, Mode: mode, User: "Admin"})
		if err == nil {
			return true, ""
		}
		if _, cerr := e.sim.CloseFile(ctx); cerr != nil {
			return false, fmt.Sprintf("open: %v; close: %v", err, cerr)
		}
		return false, fmt.Sprint(err)
	})
}

// app returns the running connector's entry in a company file's
// Integrated Applications: the one for the certificate it is signed with
// now (each certificate is an application of its own to QuickBooks).
func (e *env) app(file string) qbdsim.AppEntry {
	e.tb.Helper()
	thumb := e.agent.Status().Identity.Thumbprint
	a := e.sim.AppWith(file, thumb)
	if a == nil {
		e.tb.Fatalf("no entry for certificate %s in %s's Integrated Applications: %+v", thumb, file, e.sim.AppsOf(file))
	}
	return *a
}

// setApp changes the running connector's entry in Acme's Integrated
// Applications, as the administrator does in QuickBooks' preferences.
func (e *env) setApp(ch qbdsim.AppChange) {
	e.tb.Helper()
	_, err := e.sim.SetApp(context.Background(), testenv.AcmeFile, e.app(testenv.AcmeFile).Key, ch)
	e.must("set app", err)
}

// customerAdd is a qbXML request that adds a customer.
func customerAdd(name string) string {
	return `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>` +
		name + `</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>`
}
