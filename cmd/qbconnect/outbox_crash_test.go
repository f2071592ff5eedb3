package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/webconnector"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// crashFixture is a platform whose webhook endpoint subscribes to every
// event and whose connection is linked to this test's connector.
type crashFixture struct {
	bin, dsn, key string
	companyID     string
	connectionID  string
	hookID        string
	credential    string
	rc            *receiver
}

// newCrashFixture sets the platform up with a serve process of its own,
// waits until the link's event was delivered, and stops that process.
func newCrashFixture(t *testing.T) *crashFixture {
	t.Helper()
	f := &crashFixture{bin: qbconnectBinary(t), dsn: "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db"), rc: newReceiver()}
	f.rc.up = true
	hooks := newHookServer(t, f.rc)
	_, f.key = adminSetup(t, f.bin, f.dsn, "Lender")
	s := startServe(t, f.bin, f.dsn, "--allow-private-webhooks")
	api := client.New(s.url, f.key)
	hook, err := api.CreateWebhook(context.Background(), sdk.CreateWebhookJSONRequestBody{Url: hooks + "/hooks", Events: &[]sdk.EventType{}})
	mustOK(t, "create webhook", err)
	f.hookID = hook.Id
	c, conn, code := newLinkable(t, api, "Acme", true)
	f.companyID, f.connectionID = c.ID, conn.ID
	gw, _ := gatewayclient.New(s.url, gatewayclient.Options{})
	if _, err := gw.Link(context.Background(), gateway.LinkRequest{Code: code, File: gateway.FileIdentity{Path: `C:\acme.qbw`},
		Connector: gateway.ConnectorInfo{Version: "1.0"}}); err != nil {
		t.Fatal(err)
	}
	f.credential = gw.Credential()
	f.rc.waitFor(t, 30*time.Second, "the link's event delivered", func() bool { return f.delivered(qbconnect.EventConnectionStatusChanged) == 1 })
	// Stopped once the delivery is recorded: a delivery still running at
	// a shutdown is sent again after it (at least once).
	f.waitAllDelivered(t, s.url)
	s.stop(t)
	return f
}

// waitAllDelivered waits until the platform at url recorded every
// delivery of the endpoint delivered, and returns them.
func (f *crashFixture) waitAllDelivered(t *testing.T, url string) []qbconnect.WebhookDelivery {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		deliveries, err := client.New(url, f.key).ListWebhookDeliveries(context.Background(), f.hookID, client.ListParams{Limit: 100})
		mustOK(t, "list deliveries", err)
		pending := 0
		for _, d := range deliveries.Data {
			if d.Status != qbconnect.DeliveryDelivered {
				pending++
			}
		}
		if pending == 0 {
			return deliveries.Data
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries not delivered within 30 s: %+v", pending, len(deliveries.Data), deliveries.Data)
		}
		select { // a delivery's outcome is recorded once it answered
		case <-f.rc.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// delivered counts the events of type typ the endpoint accepted; call it
// with the receiver's lock held.
func (f *crashFixture) delivered(typ qbconnect.EventType) int {
	n := 0
	for id := range f.rc.accepted {
		if f.rc.types[id] == string(typ) {
			n++
		}
	}
	return n
}

// gateway returns this test's connector's client of the platform at url.
// It does not retry: the platform may die under a call.
func (f *crashFixture) gateway(t *testing.T, url string) *gatewayclient.Client {
	gw, err := gatewayclient.New(url, gatewayclient.Options{Credential: f.credential, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

// answer polls the next work item, which must be of kind, and posts
// QuickBooks' answer to it; the platform may die while recording it.
func (f *crashFixture) answer(t *testing.T, gw *gatewayclient.Client, response string) {
	t.Helper()
	ctx := context.Background()
	p, err := gw.Poll(ctx, gateway.PollRequest{Wait: 10 * time.Second})
	if err != nil || p.Item == nil {
		t.Fatalf("poll: %+v %v", p, err)
	}
	_, _ = gw.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: response})
}

// webConnector adds a company with a Web Connector connection, never
// updated yet, to the platform at url, and returns its Web Connector,
// with QuickBooks (a simulator) running a company file of its own.
func (f *crashFixture) webConnector(t *testing.T, url string) *webconnector.Client {
	t.Helper()
	ctx := context.Background()
	api := client.New(url, f.key)
	c, err := api.CreateCompany(ctx, client.CreateCompanyRequest{Name: "Bakery", SyncSchedule: client.Schedule("-1s")})
	mustOK(t, "create company", err)
	conn, err := api.CreateConnection(ctx, c.ID, qbconnect.KindWebConnector)
	mustOK(t, "create Web Connector connection", err)
	// Work waits, so that the Web Connector's update goes on to
	// sendRequestXML.
	_, err = api.StartSync(ctx, c.ID, qbconnect.SyncRequest{DataTypes: []string{"vendors"}})
	mustOK(t, "sync", err)
	// The .qwc of a plain-HTTP platform names localhost, which the Web
	// Connector accepts without TLS.
	file, err := client.New(strings.Replace(url, "127.0.0.1", "localhost", 1), f.key).GetQwcFile(ctx, c.ID, conn.ID)
	mustOK(t, "GET .qwc", err)
	qwc, err := webconnector.ParseQWC(strings.NewReader(file.QWC))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bakery.qbw")
	cf, err := companyfile.Create(path, "Bakery Trading", companyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cf.Close()
	sim, err := qbdsim.New(qbdsim.Options{Dir: dir, Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if err := sim.OpenFile(path, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}
	wc, err := webconnector.New(webconnector.Config{QWC: qwc, Password: file.Password, Hostname: "BAKERY-PC",
		Processor: func() qbd.RequestProcessor { return sim.NewProcessor() }})
	if err != nil {
		t.Fatal(err)
	}
	return wc
}

// TestAnEventIsDeliveredOnceWhenServeDiesRightAfterItsChangeCommits: for
// each kind of change (a write's completion, a connection's health from
// the connector's state report, a sync pass's end, the Web Connector's
// link at its first update), `qbconnect serve` is
// made to exit abruptly right after the change's transaction commits,
// before it starts delivering anything (QBCONNECT_TEST_CRASH). The event
// was recorded with the change (an outbox): after a restart it is
// delivered, exactly once.
func TestAnEventIsDeliveredOnceWhenServeDiesRightAfterItsChangeCommits(t *testing.T) {
	const customer = `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerAddRs requestID="w" statusCode="0" statusSeverity="Info" statusMessage="Status OK">` +
		`<CustomerRet><ListID>80000001-1772438400</ListID><TimeCreated>2026-03-02T09:00:00-05:00</TimeCreated><TimeModified>2026-03-02T09:00:00-05:00</TimeModified>` +
		`<EditSequence>1772438400</EditSequence><Name>Crash Test</Name><FullName>Crash Test</FullName><IsActive>true</IsActive><Sublevel>0</Sublevel></CustomerRet>` +
		`</CustomerAddRs></QBXMLMsgsRs></QBXML>`
	const vendors = `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><VendorQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{a1}">` +
		`<VendorRet><ListID>80000002-1772438400</ListID><TimeCreated>2026-03-02T09:00:00-05:00</TimeCreated><TimeModified>2026-03-02T09:00:00-05:00</TimeModified>` +
		`<EditSequence>1772438400</EditSequence><Name>Crash Supplies</Name><IsActive>true</IsActive></VendorRet>` +
		`</VendorQueryRs></QBXMLMsgsRs></QBXML>`
	for _, tc := range []struct {
		name   string
		event  qbconnect.EventType
		before int // events of the type delivered before the change
		change func(t *testing.T, f *crashFixture, url string)
	}{
		{"a write completes", qbconnect.EventWriteSucceeded, 0, func(t *testing.T, f *crashFixture, url string) {
			if op, err := client.New(url, f.key).CreateCustomer(context.Background(), f.companyID, sdk.CustomerCreate{Name: "Crash Test"}); err != nil || op.Status != client.OperationPending {
				t.Fatalf("write: %+v %v", op, err)
			}
			f.answer(t, f.gateway(t, url), customer)
		}},
		{"the connector reports a health change", qbconnect.EventConnectionStatusChanged, 1, func(t *testing.T, f *crashFixture, url string) {
			_, _ = f.gateway(t, url).ReportState(context.Background(), gateway.State{Connector: gateway.ConnectorInfo{Version: "1.0"},
				Files: []gateway.FileState{{ConnectionID: f.connectionID, File: gateway.FileIdentity{Path: `C:\acme.qbw`},
					Condition: qbconnect.HealthFileMismatch, Message: "another company file is open", NeedsUser: true}}})
		}},
		{"a sync pass completes", qbconnect.EventSyncCompleted, 0, func(t *testing.T, f *crashFixture, url string) {
			_, err := client.New(url, f.key).StartSync(context.Background(), f.companyID, qbconnect.SyncRequest{DataTypes: []string{"vendors"}})
			mustOK(t, "sync", err)
			f.answer(t, f.gateway(t, url), vendors)
		}},
		{"the Web Connector links at its first update", qbconnect.EventConnectionStatusChanged, 1, func(t *testing.T, f *crashFixture, url string) {
			// The link is the first change of the update's first
			// sendRequestXML: serve dies under it.
			_, _ = f.webConnector(t, url).Update(context.Background())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCrashFixture(t)
			crashing := startServeEnv(t, []string{testCrashEnv + "=after-commit:" + string(tc.event)}, f.bin, f.dsn, "--allow-private-webhooks")
			tc.change(t, f, crashing.url)
			select {
			case err := <-crashing.done:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != testCrashStatus {
					t.Fatalf("serve exited with %v, want the test crash (status %d):\n%s", err, testCrashStatus, crashing.stderr)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not crash after the change:\n%s", crashing.stderr)
			}
			f.rc.mu.Lock()
			if n := f.delivered(tc.event); n != tc.before {
				t.Fatalf("%d %s events delivered before the crash, want %d", n, tc.event, tc.before)
			}
			f.rc.mu.Unlock()

			restarted := startServe(t, f.bin, f.dsn, "--allow-private-webhooks")
			f.rc.waitFor(t, 60*time.Second, "the event of the change delivered after the restart", func() bool {
				return f.delivered(tc.event) == tc.before+1
			})
			// Nothing is left to deliver, and nothing was delivered twice.
			deliveries := f.waitAllDelivered(t, restarted.url)
			restarted.stop(t)
			f.rc.mu.Lock()
			defer f.rc.mu.Unlock()
			for _, d := range deliveries {
				if n := f.rc.accepted[d.EventID]; n != 1 {
					t.Errorf("event %s (%s) delivered %d times, want once", d.EventID, d.EventType, n)
				}
			}
			if n := f.delivered(tc.event); n != tc.before+1 {
				t.Errorf("%d %s events delivered, want %d", n, tc.event, tc.before+1)
			}
		})
	}
}

// newHookServer serves rc on loopback for the test and returns its URL.
func newHookServer(t *testing.T, rc *receiver) string {
	s := httptest.NewServer(rc)
	t.Cleanup(s.Close)
	return s.URL
}
