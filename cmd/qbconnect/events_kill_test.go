package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// receiver is a webhook endpoint that refuses every delivery (503) until
// up, then counts the deliveries it accepted, by event ID.
type receiver struct {
	mu       sync.Mutex
	up       bool
	refused  map[string]bool // event IDs attempted while down
	accepted map[string]int  // event ID -> deliveries accepted
	types    map[string]string
	changed  chan struct{}
}

func newReceiver() *receiver {
	return &receiver{refused: map[string]bool{}, accepted: map[string]int{}, types: map[string]string{}, changed: make(chan struct{}, 1000)}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct{ ID, Type string }
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		http.Error(w, "no event", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer func() {
		rc.mu.Unlock()
		select {
		case rc.changed <- struct{}{}:
		default:
		}
	}()
	rc.types[ev.ID] = ev.Type
	if !rc.up {
		rc.refused[ev.ID] = true
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.accepted[ev.ID]++
	w.WriteHeader(http.StatusNoContent)
}

// waitFor waits until cond holds (checked under the receiver's lock after
// each delivery attempt), failing after d.
func (rc *receiver) waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		rc.mu.Lock()
		ok := cond()
		rc.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-rc.changed:
		case <-deadline:
			t.Fatalf("within %s: %s", d, what)
		}
	}
}

// TestEveryChangeIsDeliveredOnceAfterASIGKILL: changes made while the
// client's webhook endpoint is down have their events recorded with the
// change (an outbox); `qbconnect serve` is then killed with SIGKILL before
// delivering any of them, and after a restart every event is delivered
// exactly once.
func TestEveryChangeIsDeliveredOnceAfterASIGKILL(t *testing.T) {
	bin := qbconnectBinary(t)
	path := filepath.Join(t.TempDir(), "qbconnect.db")
	dsn := "sqlite:" + path
	_, key := adminSetup(t, bin, dsn, "Lender")
	rc := newReceiver()
	hooks := httptest.NewServer(rc)
	t.Cleanup(hooks.Close)
	// A refused delivery is tried again 3 s later: long enough for the
	// test to kill the process while no delivery is running.
	flags := []string{"--allow-private-webhooks", "--job-retry-base", "3s"}
	first := startServe(t, bin, dsn, flags...)
	ctx := context.Background()

	api := client.New(first.url, key)
	hook, err := api.CreateWebhook(ctx, sdk.CreateWebhookJSONRequestBody{Url: hooks.URL + "/hooks", Events: &[]sdk.EventType{}})
	mustOK(t, "create webhook", err)
	c, _, code := newLinkable(t, api, "Acme", true)
	gw, _ := gatewayclient.New(first.url, gatewayclient.Options{})
	if _, err := gw.Link(ctx, gateway.LinkRequest{Code: code, File: gateway.FileIdentity{Path: `C:\acme.qbw`},
		Connector: gateway.ConnectorInfo{Version: "1.0"}}); err != nil {
		t.Fatal(err)
	}

	// Writes, each run by this test's connector with QuickBooks' answer.
	const writes = 5
	for i := range writes {
		op, err := api.CreateCustomer(ctx, c.ID, sdk.CustomerCreate{Name: fmt.Sprintf("Kill Test %d", i)})
		if err != nil || op.Status != client.OperationPending {
			t.Fatalf("write %d: %+v %v", i, op, err)
		}
		p, err := gw.Poll(ctx, gateway.PollRequest{Wait: 10 * time.Second})
		if err != nil || p.Item == nil || p.Item.ID != op.Id {
			t.Fatalf("poll for write %d: %+v %v", i, p, err)
		}
		answer := fmt.Sprintf(`<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerAddRs requestID="w" statusCode="0" statusSeverity="Info" statusMessage="Status OK">`+
			`<CustomerRet><ListID>8000000%d-1772438400</ListID><TimeCreated>2026-03-02T09:00:00-05:00</TimeCreated><TimeModified>2026-03-02T09:00:00-05:00</TimeModified>`+
			`<EditSequence>1772438400</EditSequence><Name>Kill Test %d</Name><FullName>Kill Test %d</FullName><IsActive>true</IsActive><Sublevel>0</Sublevel></CustomerRet>`+
			`</CustomerAddRs></QBXMLMsgsRs></QBXML>`, i, i, i)
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: answer})
		if err != nil || !ack.Applied || ack.Status != string(qbconnect.OpSucceeded) {
			t.Fatalf("result of write %d: %+v %v", i, ack, err)
		}
	}
	// Every write's event was recorded and its delivery tried (and
	// refused): the process dies between the changes and their delivery.
	rc.waitFor(t, 30*time.Second, "every write's event attempted", func() bool {
		n := 0
		for id := range rc.refused {
			if rc.types[id] == string(qbconnect.EventWriteSucceeded) {
				n++
			}
		}
		return n == writes
	})
	// Kill while no delivery job runs: each is recorded, refused once and
	// waiting for its retry (River keeps a job that was running in a
	// killed process until its rescue, an hour later by default).
	jobs, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var running int
		if err := jobs.QueryRow("SELECT COUNT(*) FROM river_job WHERE state = 'running'").Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d delivery jobs still running", running)
		}
		select {
		case <-rc.changed:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.done

	rc.mu.Lock()
	rc.up = true
	if len(rc.accepted) != 0 {
		t.Fatalf("events delivered before the kill: %v", rc.accepted)
	}
	rc.mu.Unlock()
	second := startServe(t, bin, dsn, flags...)

	// Every event the platform recorded is delivered once, and nothing
	// remains to deliver.
	var deliveries *client.Page[qbconnect.WebhookDelivery]
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		deliveries, err = client.New(second.url, key).ListWebhookDeliveries(ctx, hook.Id, client.ListParams{Limit: 100})
		mustOK(t, "list deliveries", err)
		pending := 0
		for _, d := range deliveries.Data {
			if d.Status != qbconnect.DeliveryDelivered {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			data, _ := json.MarshalIndent(deliveries.Data, "", " ")
			t.Fatalf("%d of %d deliveries not delivered 60 s after the restart:\n%s\nserve:\n%s", pending, len(deliveries.Data), data, second.stderr)
		}
		select { // the next attempt, or a second to look again
		case <-rc.changed:
		case <-time.After(time.Second):
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	writesDelivered := 0
	for _, d := range deliveries.Data {
		if n := rc.accepted[d.EventID]; n != 1 {
			t.Errorf("event %s (%s) delivered %d times, want once", d.EventID, d.EventType, n)
		}
		if d.EventType == qbconnect.EventWriteSucceeded {
			writesDelivered++
		}
	}
	if writesDelivered != writes {
		t.Errorf("%d write.succeeded events delivered, want %d", writesDelivered, writes)
	}
	if len(rc.accepted) != len(deliveries.Data) {
		t.Errorf("the endpoint accepted %d events; the platform recorded %d deliveries", len(rc.accepted), len(deliveries.Data))
	}
	second.stop(t)
}
