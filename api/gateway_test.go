package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
)

// transports are the two implementations of gateway.Service that connector
// code may run against: the HTTP client and the in-process service.
var transports = map[string]func(e *env, credential string) gateway.Service{
	"http":      func(e *env, cred string) gateway.Service { return e.client(cred) },
	"inprocess": func(e *env, cred string) gateway.Service { return e.api.GatewayService(cred) },
}

// eachSetup runs fn for every database and transport.
func eachSetup(t *testing.T, fn func(t *testing.T, e *env, svc func(credential string) gateway.Service)) {
	for dbName, dsn := range databases(t) {
		for trName, tr := range transports {
			t.Run(dbName+"/"+trName, func(t *testing.T) {
				e := newEnv(t, dsn(t))
				fn(t, e, func(cred string) gateway.Service { return tr(e, cred) })
			})
		}
	}
}

func TestConnectorLinksPollsAndPostsResult(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key := e.newOrg("Lender")
		companyID, connID, code := e.linkedCompany(key, "Acme Plumbing")

		gw := svc("")
		linked, err := gw.Link(ctx, linkRequest(code, `C:\Company Files\Acme.qbw`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(linked.Credential, gateway.CredentialPrefix) || linked.Connection.ID != connID ||
			linked.Connection.CompanyID != companyID || linked.Connection.Status != "Linked" || linked.Connection.File.FileID == "" {
			t.Fatalf("link answer: %+v", linked)
		}

		// The REST API shows the connection linked.
		var conn qbconnect.Connection
		e.mustDo(200, "GET", "/v1/companies/"+companyID+"/connections/"+connID, key, nil, &conn)
		if conn.Status != qbconnect.StatusLinked || conn.ConnectorID != linked.ConnectorID || conn.File.Path != `C:\Company Files\Acme.qbw` {
			t.Errorf("connection after link: %+v", conn)
		}

		gw = svc(linked.Credential)
		op := e.enqueue(org.ID, companyID, connID, "<QBXML><CustomerQueryRq/></QBXML>")
		polled, err := gw.Poll(ctx, gateway.PollRequest{Wait: 0})
		if err != nil {
			t.Fatal(err)
		}
		item := polled.Item
		if item == nil {
			t.Fatal("poll: no item, want the enqueued operation")
		}
		want := gateway.WorkItem{ID: op.ID, ConnectionID: connID, CompanyID: companyID,
			File: linked.Connection.File, Kind: "qbxml", Request: "<QBXML><CustomerQueryRq/></QBXML>", Attempt: 1,
			LeaseExpiresAt: e.clock.Now().Add(10 * time.Minute)}
		got := *item
		got.LeaseID = ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("work item (-want +got):\n%s", diff)
		}

		// One in flight per connector: a second item waits. A connector
		// polls only between items, so a poll while it holds one means it
		// lost it: it gets the same item again, not the second one.
		e.enqueue(org.ID, companyID, connID, "<QBXML><VendorQueryRq/></QBXML>")
		if again, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || again.Item == nil || again.Item.ID != item.ID || again.Item.Attempt != 2 {
			t.Errorf("second poll while one is in flight = %+v, %v; want the first item again (attempt 2)", again, err)
		}

		resp := "<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode=\"0\"/></QBXMLMsgsRs></QBXML>"
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: item.ID, LeaseID: item.LeaseID, Response: resp})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&gateway.ResultAck{Applied: true, Status: "Success"}, ack); diff != "" {
			t.Errorf("ack (-want +got):\n%s", diff)
		}
		done := e.operation(org.ID, op.ID)
		if done.Status != qbconnect.OpSucceeded || string(done.Result) != resp {
			t.Errorf("operation after result: status %s, result %q", done.Status, done.Result)
		}

		// The same result again (its answer was lost): recorded, not applied.
		ack, err = gw.PostResult(ctx, gateway.Result{ItemID: item.ID, LeaseID: item.LeaseID, Response: "<QBXML>other</QBXML>"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&gateway.ResultAck{Applied: false, Status: "Success"}, ack); diff != "" {
			t.Errorf("duplicate ack (-want +got):\n%s", diff)
		}
		if done := e.operation(org.ID, op.ID); string(done.Result) != resp {
			t.Errorf("duplicate result changed the operation: %q", done.Result)
		}
		outcomes, err := e.queue.Outcomes(ctx, org.ID, op.ID)
		if err != nil || len(outcomes) != 2 {
			t.Errorf("outcomes recorded = %d (%v), want 2", len(outcomes), err)
		}

		// The connector is free again: the second item comes.
		next, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || next.Item == nil || next.Item.Request != "<QBXML><VendorQueryRq/></QBXML>" {
			t.Errorf("poll after result = %+v, %v; want the second item", next, err)
		}
	})
}

func TestLongPollReturnsAsSoonAsWorkIsEnqueued(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key := e.newOrg("Lender")
		companyID, connID, code := e.linkedCompany(key, "Acme")
		linked, err := svc("").Link(ctx, linkRequest(code, `C:\a.qbw`))
		if err != nil {
			t.Fatal(err)
		}
		gw := svc(linked.Credential)

		type result struct {
			resp *gateway.PollResponse
			err  error
		}
		done := make(chan result, 1)
		go func() {
			// If the poll were not woken it would answer "no work" after
			// 30 seconds, and the test would fail on the missing item.
			resp, err := gw.Poll(ctx, gateway.PollRequest{Wait: 30 * time.Second})
			done <- result{resp, err}
		}()
		select {
		case id := <-e.pollWaits:
			if id != linked.ConnectorID {
				t.Fatalf("poll waiting for %s, want %s", id, linked.ConnectorID)
			}
		case r := <-done:
			t.Fatalf("poll answered before any work: %+v, %v", r.resp, r.err)
		}
		op := e.enqueue(org.ID, companyID, connID, "<QBXML/>")
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.resp.Item == nil || r.resp.Item.ID != op.ID {
			t.Fatalf("poll = %+v, want item %s", r.resp.Item, op.ID)
		}
	})
}

func TestResultForReofferedLeaseIsRecordedNotAppliedTwice(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key := e.newOrg("Lender")
		companyID, connID, code := e.linkedCompany(key, "Acme")
		linked, err := svc("").Link(ctx, linkRequest(code, `C:\a.qbw`))
		if err != nil {
			t.Fatal(err)
		}
		gw := svc(linked.Credential)
		op := e.enqueue(org.ID, companyID, connID, "<QBXML><InvoiceAddRq/></QBXML>")

		first, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || first.Item == nil {
			t.Fatalf("first poll: %+v, %v", first, err)
		}
		e.clock.Advance(11 * time.Minute) // past the 10-minute lease
		second, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || second.Item == nil {
			t.Fatalf("poll after the lease expired: %+v, %v", second, err)
		}
		if second.Item.ID != op.ID || second.Item.LeaseID == first.Item.LeaseID || second.Item.Attempt != 2 {
			t.Fatalf("re-offer: %+v; want the same item with a new lease, attempt 2", second.Item)
		}

		// The late answer under the old lease: QuickBooks did the work, so
		// it decides the operation once.
		ack1, err := gw.PostResult(ctx, gateway.Result{ItemID: op.ID, LeaseID: first.Item.LeaseID, Response: "<QBXML>first</QBXML>"})
		if err != nil {
			t.Fatal(err)
		}
		ack2, err := gw.PostResult(ctx, gateway.Result{ItemID: op.ID, LeaseID: second.Item.LeaseID, Response: "<QBXML>second</QBXML>"})
		if err != nil {
			t.Fatal(err)
		}
		if !ack1.Applied || ack2.Applied {
			t.Errorf("applied: first lease %v, second lease %v; want exactly the first", ack1.Applied, ack2.Applied)
		}
		got := e.operation(org.ID, op.ID)
		if got.Status != qbconnect.OpSucceeded || string(got.Result) != "<QBXML>first</QBXML>" {
			t.Errorf("operation: %s %q", got.Status, got.Result)
		}
		outcomes, err := e.queue.Outcomes(ctx, org.ID, op.ID)
		if err != nil || len(outcomes) != 2 {
			t.Errorf("outcomes = %d (%v), want both recorded", len(outcomes), err)
		}

		// A lease never issued for the item is a conflict and changes nothing.
		_, err = gw.PostResult(ctx, gateway.Result{ItemID: op.ID, LeaseID: "lse_forged", Response: "<x/>"})
		if gateway.CodeOf(err) != gateway.CodeConflict {
			t.Errorf("forged lease: %v, want conflict", err)
		}
	})
}

func TestFailureNeedingTheUserHoldsWorkUntilStateClears(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key := e.newOrg("Lender")
		companyID, connID, code := e.linkedCompany(key, "Acme")
		linked, err := svc("").Link(ctx, linkRequest(code, `C:\a.qbw`))
		if err != nil {
			t.Fatal(err)
		}
		gw := svc(linked.Credential)
		op := e.enqueue(org.ID, companyID, connID, "<QBXML/>")
		p, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item == nil {
			t.Fatalf("poll: %+v, %v", p, err)
		}
		failure := &gateway.Failure{HResult: "0x80040408", Message: "Could not start QuickBooks.", Condition: "qb_closed",
			UserMessage: "QuickBooks is not running on FRONT-DESK.", Resolution: "Open QuickBooks.", NeedsUser: true, Retryable: true}
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: op.ID, LeaseID: p.Item.LeaseID, Failure: failure})
		if err != nil || !ack.Applied || ack.Status != string(qbconnect.OpQueued) {
			t.Fatalf("failure ack = %+v, %v; want applied, back to Queued", ack, err)
		}
		conn := e.connection(org.ID, connID)
		wantHealth := qbconnect.Health{Code: "qb_closed", Message: "QuickBooks is not running on FRONT-DESK.",
			Resolution: "Open QuickBooks.", QBCode: "0x80040408", NeedsUser: true}
		gotHealth := conn.Health
		gotHealth.Since, gotHealth.LastRequestAt, gotHealth.LastSuccessAt = time.Time{}, nil, nil
		if diff := cmp.Diff(wantHealth, gotHealth); diff != "" {
			t.Errorf("health after failure (-want +got):\n%s", diff)
		}
		// The REST API shows it too.
		var viaAPI qbconnect.Connection
		e.mustDo(200, "GET", "/v1/companies/"+companyID+"/connections/"+connID, key, nil, &viaAPI)
		if viaAPI.Health.Code != "qb_closed" || !viaAPI.Health.NeedsUser {
			t.Errorf("REST health: %+v", viaAPI.Health)
		}
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item != nil {
			t.Errorf("poll while QuickBooks is closed = %+v, %v; want no item", p, err)
		}

		// The user opens QuickBooks; the connector reports it.
		st, err := gw.ReportState(ctx, gateway.State{Connector: gateway.ConnectorInfo{Version: "1.3.0", Signer: "CN=New Cert", Thumbprint: "FFEE"},
			Files: []gateway.FileState{
				{ConnectionID: connID, File: linked.Connection.File, Condition: "ok"},
				{ConnectionID: "con_not_mine", Condition: "ok"},
			}})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Connections) != 1 || st.Connections[0].ID != connID {
			t.Errorf("state answer lists %+v, want only %s", st.Connections, connID)
		}
		if h := e.connection(org.ID, connID).Health; h.Code != qbconnect.HealthOK || h.NeedsUser {
			t.Errorf("health after state ok: %+v", h)
		}
		ctr, err := e.connections.FindConnector(ctx, linked.ConnectorID)
		if err != nil || ctr.Version != "1.3.0" || ctr.Signer != "CN=New Cert" || ctr.Thumbprint != "ffee" {
			t.Errorf("connector after state: %+v, %v", ctr, err)
		}
		p, err = gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item == nil || p.Item.ID != op.ID {
			t.Fatalf("poll after QuickBooks opened = %+v, %v; want the held item", p, err)
		}
		if p.Item.Attempt != 1 {
			t.Errorf("attempt = %d; a failure that needs the user must not use up an attempt", p.Item.Attempt)
		}
	})
}

// pausedConnector links a company file and returns what a pause test
// needs: the organisation, its key, the company and connection IDs and the
// connector's gateway.
func pausedConnector(t *testing.T, e *env, svc func(string) gateway.Service) (org *qbconnect.Org, key, companyID, connID string, gw gateway.Service) {
	t.Helper()
	org, key = e.newOrg("Lender Inc.")
	companyID, connID, code := e.linkedCompany(key, "Acme Bakery")
	linked, err := svc("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	return org, key, companyID, connID, svc(linked.Credential)
}

// report sends one state report for connID and returns the platform's view
// of the connection.
func report(t *testing.T, gw gateway.Service, connID string, change *gateway.PauseChange) gateway.Connection {
	t.Helper()
	resp, err := gw.ReportState(context.Background(), gateway.State{Connector: testConnector,
		Files: []gateway.FileState{{ConnectionID: connID, PauseChange: change, Condition: "ok"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Connections {
		if c.ID == connID {
			return c
		}
	}
	t.Fatalf("the state answer lacks %s: %+v", connID, resp.Connections)
	return gateway.Connection{}
}

func TestPauseOnTheConnectorHoldsWorkUntilResumedThere(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, _, companyID, connID, gw := pausedConnector(t, e, svc)
		t0 := e.clock.Now()
		until := t0.Add(8 * time.Hour)
		if c := report(t, gw, connID, &gateway.PauseChange{Paused: true, Until: &until, At: t0}); !c.Paused || c.PausedUntil == nil || !c.PausedUntil.Equal(until) {
			t.Fatalf("after the connector's pause the platform answers %+v, want paused until %s", c, until)
		}
		conn := e.connection(org.ID, connID)
		if !conn.Paused || conn.Health.Code != qbconnect.HealthPaused || !strings.Contains(conn.Health.Message, "QuickBooks computer") {
			t.Errorf("after pause: paused=%v health=%+v", conn.Paused, conn.Health)
		}
		e.enqueue(org.ID, companyID, connID, "<QBXML/>")
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item != nil {
			t.Errorf("poll while paused = %+v, %v; want nothing", p, err)
		}
		// Heartbeats carry no level: the pause stays.
		if c := report(t, gw, connID, nil); !c.Paused {
			t.Errorf("a heartbeat resumed the connection: %+v", c)
		}

		e.clock.Advance(time.Minute)
		if c := report(t, gw, connID, &gateway.PauseChange{Paused: false, At: e.clock.Now()}); c.Paused {
			t.Errorf("after the connector's resume the platform answers %+v", c)
		}
		// The pause sent again (its answer was lost before the resume) is
		// a repeat, not a new pause.
		if c := report(t, gw, connID, &gateway.PauseChange{Paused: true, Until: &until, At: t0}); c.Paused {
			t.Errorf("a repeated, older pause change paused again: %+v", c)
		}
		if h := e.connection(org.ID, connID).Health; h.Code != qbconnect.HealthOK {
			t.Errorf("health after resume = %+v", h)
		}
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item == nil {
			t.Errorf("poll after resume = %+v, %v; want the item", p, err)
		}
	})
}

func TestHeartbeatDoesNotUndoAPauseSetThroughTheAPI(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key, companyID, connID, gw := pausedConnector(t, e, svc)
		base := "/v1/companies/" + companyID + "/connections/" + connID

		// A poll that waits is told to report at once when the client
		// pauses, so that the connector's card shows it.
		type result struct {
			resp *gateway.PollResponse
			err  error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := gw.Poll(ctx, gateway.PollRequest{Wait: 30 * time.Second})
			done <- result{resp, err}
		}()
		<-e.pollWaits
		var conn qbconnect.Connection
		e.mustDo(200, "POST", base+"/pause", key, nil, &conn)
		if !conn.Paused || conn.Health.Code != qbconnect.HealthPaused || !strings.Contains(conn.Health.Message, "API") {
			t.Errorf("pause answer = paused %v, health %+v", conn.Paused, conn.Health)
		}
		if r := <-done; r.err != nil || r.resp.Item != nil || !r.resp.ReportState {
			t.Errorf("the waiting poll answered %+v, %v; want a request to report the state", r.resp, r.err)
		}

		// The connector reports (with or without the legacy level): the
		// pause stays, and the answer shows it with the names for the card.
		got := report(t, gw, connID, nil)
		want := gateway.Connection{ID: connID, CompanyID: companyID, CompanyName: "Acme Bakery", OrgName: "Lender Inc.",
			Status: "Linked", File: got.File, Paused: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("state answer (-want +got):\n%s", diff)
		}
		notPaused := false
		if _, err := gw.ReportState(ctx, gateway.State{Connector: testConnector,
			Files: []gateway.FileState{{ConnectionID: connID, Paused: &notPaused, Condition: "ok"}}}); err != nil {
			t.Fatal(err)
		}
		c := e.connection(org.ID, connID)
		if !c.Paused || c.Health.Code != qbconnect.HealthPaused || !strings.Contains(c.Health.Message, "API") {
			t.Errorf("after heartbeats: paused=%v health=%+v; want the API's pause", c.Paused, c.Health)
		}
		e.enqueue(org.ID, companyID, connID, "<QBXML/>")
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item != nil {
			t.Errorf("poll while paused through the API = %+v, %v; want nothing", p, err)
		}

		// Resuming through the API lets the work go and the connector sees it.
		e.mustDo(200, "POST", base+"/resume", key, nil, &conn)
		if conn.Paused || conn.Health.Code == qbconnect.HealthPaused {
			t.Errorf("resume answer = paused %v, health %+v", conn.Paused, conn.Health)
		}
		if got := report(t, gw, connID, nil); got.Paused {
			t.Errorf("state answer after resume: %+v", got)
		}
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item == nil {
			t.Errorf("poll after resume = %+v, %v; want the item", p, err)
		}
	})
}

func TestPauseThroughTheAPIReachesABusyConnectorAtItsNextPoll(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		_, key, companyID, connID, gw := pausedConnector(t, e, svc)
		report(t, gw, connID, nil) // what the connector was told: not paused
		// The client pauses while the connector runs an item (no poll waits).
		e.mustDo(200, "POST", "/v1/companies/"+companyID+"/connections/"+connID+"/pause", key, nil, nil)
		p, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item != nil || !p.ReportState {
			t.Fatalf("next poll = %+v, %v; want a request to report the state", p, err)
		}
		// Asked once: a connector whose report fails is not asked in a loop.
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.ReportState {
			t.Errorf("the poll after = %+v, %v; want no work", p, err)
		}
		if got := report(t, gw, connID, nil); !got.Paused {
			t.Errorf("state answer = %+v, want paused", got)
		}
	})
}

func TestLegacyConnectorLevelChangesStillPauseAndResume(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	org, _, _, connID, gw := pausedConnector(t, e, func(c string) gateway.Service { return e.client(c) })
	level := func(paused bool) {
		t.Helper()
		if _, err := gw.ReportState(context.Background(), gateway.State{Connector: testConnector,
			Files: []gateway.FileState{{ConnectionID: connID, Paused: &paused, Condition: "ok"}}}); err != nil {
			t.Fatal(err)
		}
	}
	level(false)
	level(true)
	if !e.connection(org.ID, connID).Paused {
		t.Fatal("a legacy connector's pause did not pause")
	}
	level(true)
	level(false)
	if c := e.connection(org.ID, connID); c.Paused || c.Health.Code != qbconnect.HealthOK {
		t.Fatalf("a legacy connector's resume: paused=%v health=%s", c.Paused, c.Health.Code)
	}
}

func TestPauseThroughTheAPIRefusesBadRequests(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	org, key, companyID, connID, _ := pausedConnector(t, e, func(c string) gateway.Service { return e.client(c) })
	_, otherKey := e.newOrg("Other Lender")
	base := "/v1/companies/" + companyID + "/connections/" + connID
	past := e.clock.Now().Add(-time.Minute)
	for _, tc := range []struct {
		name, path, key string
		body            any
		status          int
		code            string
	}{
		{"until in the past", base + "/pause", key, map[string]any{"until": past}, 400, "invalid"},
		{"unknown field", base + "/pause", key, map[string]any{"for": "1h"}, 400, "invalid"},
		{"body on resume", base + "/resume", key, map[string]any{"paused": false}, 400, "invalid"},
		{"no key", base + "/pause", "", nil, 401, "unauthorized"},
		{"another organisation", base + "/pause", otherKey, nil, 404, "not_found"},
		{"unknown connection", "/v1/companies/" + companyID + "/connections/con_nope/resume", key, nil, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", tc.path, tc.key, tc.body)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("status %d code %q, want %d %q: %s", r.Status, r.ErrorCode(), tc.status, tc.code, r.Body)
			}
		})
	}
	if c := e.connection(org.ID, connID); c.Paused {
		t.Error("a refused request paused the connection")
	}
	// A pause with an end, then the connection unlinked: nothing to pause.
	until := e.clock.Now().Add(time.Hour).Truncate(time.Second)
	var conn qbconnect.Connection
	e.mustDo(200, "POST", base+"/pause", key, map[string]any{"until": until}, &conn)
	if !conn.Paused || conn.PausedUntil == nil || !conn.PausedUntil.Equal(until) {
		t.Errorf("pause until %s answered paused=%v until=%v", until, conn.Paused, conn.PausedUntil)
	}
	e.mustDo(200, "DELETE", base, key, nil, nil)
	for _, action := range []string{"pause", "resume"} {
		if r := e.do("POST", base+"/"+action, key, nil); r.Status != 409 || r.ErrorCode() != "conflict" {
			t.Errorf("%s of an unlinked connection: %d %s", action, r.Status, r.Body)
		}
	}
}

func TestLinkCodeIsSingleUseAndExpires(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	ctx := context.Background()
	org, key := e.newOrg("Lender")
	companyID, connID, code := e.linkedCompany(key, "Acme")
	if _, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`)); err != nil {
		t.Fatal(err)
	}
	_, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
	var ge *gateway.Error
	if !errors.As(err, &ge) || ge.Status != 401 || ge.Code != gateway.CodeUnauthorized || ge.UserMessage == "" {
		t.Errorf("second use of a code: %v; want 401 unauthorized with a user message", err)
	}

	// A code for a second connection, used after its hour.
	var conn2 qbconnect.Connection
	var c2 qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Beta"}, &c2)
	e.mustDo(201, "POST", "/v1/companies/"+c2.ID+"/connections", key, nil, &conn2)
	var lc qbconnect.LinkCode
	e.mustDo(201, "POST", "/v1/companies/"+c2.ID+"/connections/"+conn2.ID+"/link-codes", key, nil, &lc)
	if got := lc.ExpiresAt.Sub(e.clock.Now()); got != time.Hour {
		t.Errorf("default expiry in %s, want 1h", got)
	}
	e.clock.Advance(time.Hour + time.Second)
	if _, err := e.client("").Link(ctx, linkRequest(lc.Code, `C:\b.qbw`)); gateway.CodeOf(err) != gateway.CodeUnauthorized {
		t.Errorf("expired code: %v, want unauthorized", err)
	}
	if got := e.connection(org.ID, conn2.ID); got.Status != qbconnect.StatusPendingAuth {
		t.Errorf("a failed link changed the connection: %s", got.Status)
	}
	// Custom lifetime, and bounds.
	e.mustDo(201, "POST", "/v1/companies/"+companyID+"/connections/"+connID+"/link-codes", key, map[string]any{"expiresIn": "15m"}, &lc)
	if got := lc.ExpiresAt.Sub(e.clock.Now()); got != 15*time.Minute {
		t.Errorf("expiresIn 15m gave %s", got)
	}
	r := e.do("POST", "/v1/companies/"+companyID+"/connections/"+connID+"/link-codes", key, map[string]any{"expiresIn": "30d"})
	if r.Status != 400 {
		t.Errorf("expiresIn 30d: %d %s", r.Status, r.Body)
	}
}

func TestOneConnectorServesSeveralCompanyFiles(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	ctx := context.Background()
	org, key := e.newOrg("Accountant")
	c1, conn1, code1 := e.linkedCompany(key, "Client One")
	c2, conn2, code2 := e.linkedCompany(key, "Client Two")
	gw := e.client("")
	first, err := gw.Link(ctx, linkRequest(code1, `C:\one.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	second, err := gw.Link(ctx, linkRequest(code2, `C:\two.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	if second.ConnectorID != first.ConnectorID || second.Credential != "" {
		t.Errorf("second link: connector %s (want %s), credential %q (want none)", second.ConnectorID, first.ConnectorID, second.Credential)
	}
	op1 := e.enqueue(org.ID, c1, conn1, "<one/>")
	op2 := e.enqueue(org.ID, c2, conn2, "<two/>")
	seen := map[string]string{}
	for range 2 {
		p, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item == nil {
			t.Fatalf("poll: %+v, %v", p, err)
		}
		seen[p.Item.ID] = p.Item.File.Path
		if _, err := gw.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: "<ok/>"}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]string{op1.ID: `C:\one.qbw`, op2.ID: `C:\two.qbw`}, seen); diff != "" {
		t.Errorf("items served (-want +got):\n%s", diff)
	}
}

func TestExtendLease(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	ctx := context.Background()
	org, key := e.newOrg("Lender")
	companyID, connID, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	gw := e.client(linked.Credential)
	e.enqueue(org.ID, companyID, connID, "<big/>")
	p, err := gw.Poll(ctx, gateway.PollRequest{})
	if err != nil || p.Item == nil {
		t.Fatal(p, err)
	}
	e.clock.Advance(8 * time.Minute)
	ext, err := gw.ExtendLease(ctx, gateway.LeaseRequest{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(10 * time.Minute); !ext.LeaseExpiresAt.Equal(want) {
		t.Errorf("extended to %s, want %s", ext.LeaseExpiresAt, want)
	}
	e.clock.Advance(8 * time.Minute) // 16 minutes after the lease: still held
	if n, err := e.queue.ExpireDeadlines(ctx); err != nil || n != 0 {
		t.Errorf("sweep during the extended lease expired %d (%v); want none", n, err)
	}
	if op := e.operation(org.ID, p.Item.ID); op.Status != qbconnect.OpInFlight || op.LeaseID != p.Item.LeaseID {
		t.Errorf("during the extended lease: %s under %s, want InFlight under %s", op.Status, op.LeaseID, p.Item.LeaseID)
	}
	if _, err := gw.ExtendLease(ctx, gateway.LeaseRequest{ItemID: p.Item.ID, LeaseID: "lse_other"}); gateway.CodeOf(err) != gateway.CodeConflict {
		t.Errorf("extending a lease that is not current: %v, want conflict", err)
	}
}

func TestSilentConnectorIsMarkedOfflineAndBackOnPoll(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	ctx := context.Background()
	org, key := e.newOrg("Lender")
	_, connID, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.api.Control().SweepOffline(ctx); err != nil || n != 0 {
		t.Fatalf("sweep right after link = %d, %v; want 0", n, err)
	}
	e.clock.Advance(3 * time.Minute)
	if n, err := e.api.Control().SweepOffline(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after 3 silent minutes = %d, %v; want 1", n, err)
	}
	if h := e.connection(org.ID, connID).Health; h.Code != qbconnect.HealthConnectorOffline || h.Resolution == "" {
		t.Errorf("health: %+v", h)
	}
	if _, err := e.client(linked.Credential).Poll(ctx, gateway.PollRequest{}); err != nil {
		t.Fatal(err)
	}
	if h := e.connection(org.ID, connID).Health; h.Code != qbconnect.HealthOK {
		t.Errorf("health after the connector came back: %+v", h)
	}
}

func TestShutdownEndsPendingPolls(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	ctx := context.Background()
	_, key := e.newOrg("Lender")
	_, _, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *gateway.PollResponse, 1)
	go func() {
		p, err := e.client(linked.Credential).Poll(ctx, gateway.PollRequest{Wait: 30 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	<-e.pollWaits
	e.api.Close()
	if p := <-done; p == nil || p.Item != nil {
		t.Errorf("poll at shutdown = %+v, want an empty answer", p)
	}
	r := e.do("GET", "/readyz", "", nil)
	if r.Status != 503 {
		t.Errorf("readyz while shutting down: %d", r.Status)
	}
}

// TestEveryServerProcessAgreesOnWhoPausedAndAppliesAChangeOnce runs a
// second server on the same database, as a deployment with several
// processes does: a connector's pause change that it sends again to the
// other process after a lost answer must not undo the client's resume, and
// both processes word the health after who paused last.
func TestEveryServerProcessAgreesOnWhoPausedAndAppliesAChangeOnce(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		org, key := e.newOrg("Lender Inc.")
		companyID, connID, code := e.linkedCompany(key, "Acme Bakery")
		linked, err := svc("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
		if err != nil {
			t.Fatal(err)
		}
		gwA := svc(linked.Credential)
		otherCfg := e.cfg
		otherCfg.Control, otherCfg.Metrics = nil, nil // another process: a control plane of its own
		other, err := api.New(otherCfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other.Close)
		gwB := other.GatewayService(linked.Credential)
		base := "/v1/companies/" + companyID + "/connections/" + connID

		t0 := e.clock.Now()
		if c := report(t, gwA, connID, &gateway.PauseChange{Paused: true, At: t0}); !c.Paused {
			t.Fatalf("the connector's pause was not applied: %+v", c)
		}
		var conn qbconnect.Connection
		e.mustDo(200, "POST", base+"/resume", key, nil, &conn)
		if conn.Paused || conn.PausedBy != "" {
			t.Fatalf("resume answer: %+v", conn)
		}
		// The same change again, through the other process.
		if c := report(t, gwB, connID, &gateway.PauseChange{Paused: true, At: t0}); c.Paused {
			t.Errorf("the pause change sent again undid the client's resume: %+v", c)
		}

		e.clock.Advance(time.Minute)
		if c := report(t, gwB, connID, &gateway.PauseChange{Paused: true, At: e.clock.Now()}); !c.Paused {
			t.Fatalf("a new pause on the connector was not applied: %+v", c)
		}
		e.mustDo(200, "GET", base, key, nil, &conn)
		if conn.PausedBy != qbconnect.PausedByConnector || !strings.Contains(conn.Health.Message, "QuickBooks computer") || !conn.Health.NeedsUser {
			t.Errorf("paused on the connector, through the other process: pausedBy %q, health %+v", conn.PausedBy, conn.Health)
		}
		e.mustDo(200, "POST", base+"/pause", key, nil, &conn)
		report(t, gwB, connID, nil) // a heartbeat, to the other process
		c := e.connection(org.ID, connID)
		if c.PausedBy != qbconnect.PausedByAPI || !strings.Contains(c.Health.Message, "API") {
			t.Errorf("paused through the API, then a heartbeat to the other process: pausedBy %q, health %+v", c.PausedBy, c.Health)
		}
	})
}
