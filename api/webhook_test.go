package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/notify"
)

// receiver is a client's webhook endpoint on loopback: it verifies every
// delivery's signature, fails the first failures requests, and reports
// each verified event.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	secrets  map[string]string // by path
	failures int
	hits     int
	bad      []string
	events   chan hookEvent
}

type hookEvent struct {
	ID, Type, DeliveryID string
	Data                 map[string]any
}

func newReceiver(tb testing.TB, failures int, now func() time.Time) *receiver {
	tb.Helper()
	rc := &receiver{failures: failures, events: make(chan hookEvent, 100), secrets: map[string]string{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.hits++
		fail := rc.hits <= rc.failures
		secret := rc.secrets[r.URL.Path]
		rc.mu.Unlock()
		if fail {
			http.Error(w, "temporarily down", http.StatusInternalServerError)
			return
		}
		if err := notify.Verify(secret, r.Header.Get(notify.HeaderSignature), body, now(), 5*time.Minute); err != nil {
			rc.mu.Lock()
			rc.bad = append(rc.bad, err.Error())
			rc.mu.Unlock()
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var ev hookEvent
		json.Unmarshal(body, &ev)
		if ev.ID != r.Header.Get(notify.HeaderEventID) || ev.Type != r.Header.Get(notify.HeaderEventType) {
			http.Error(w, "headers disagree with the body", http.StatusBadRequest)
			return
		}
		ev.DeliveryID = r.Header.Get(notify.HeaderDeliveryID)
		rc.events <- ev
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setSecret(path, secret string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secrets[path] = secret
}

// next returns the next verified event, failing after a deadline.
func (rc *receiver) next(tb testing.TB) hookEvent {
	tb.Helper()
	select {
	case ev := <-rc.events:
		return ev
	case <-time.After(30 * time.Second):
		rc.mu.Lock()
		defer rc.mu.Unlock()
		tb.Fatalf("no webhook within 30s (%d requests, bad signatures: %v)", rc.hits, rc.bad)
		return hookEvent{}
	}
}

// startJobs starts the env's River client until the test ends.
func (e *env) startJobs(tb testing.TB) {
	tb.Helper()
	if err := e.jobs.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.jobs.Stop(context.Background()) })
}

func TestWebhooksAreSignedRetriedAndDeliveredOnce(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) { testWebhooks(t, dsn(t)) })
	}
}

func testWebhooks(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	rc := newReceiver(t, 2, e.clock.Now)

	var created struct {
		ID, URL, Secret string
		Events          []string
	}
	// The event types this scenario follows (record.* events, which the
	// writes raise too, have their own scenario).
	followed := []string{"connection.status_changed", "sync.completed", "sync.failed", "write.succeeded", "write.failed"}
	e.mustDo(201, "POST", "/v1/webhooks", c.key, map[string]any{"url": rc.srv.URL + "/hooks", "description": "ledger sync", "events": followed}, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || len(created.Events) != len(followed) {
		t.Fatalf("created: %+v", created)
	}
	rc.setSecret("/hooks", created.Secret)
	var listed struct{ Data []map[string]any }
	e.mustDo(200, "GET", "/v1/webhooks", c.key, nil, &listed)
	if len(listed.Data) != 1 || listed.Data[0]["secret"] != nil {
		t.Errorf("listed (the secret must not be shown again): %v", listed.Data)
	}
	// A second endpoint subscribes to writes only.
	var onlyFailed struct{ ID, Secret string }
	e.mustDo(201, "POST", "/v1/webhooks", c.key, map[string]any{"url": rc.srv.URL + "/failed", "events": []string{"write.failed"}}, &onlyFailed)
	rc.setSecret("/failed", onlyFailed.Secret)

	e.startJobs(t)
	c.background(t)
	op, _ := c.write(t, 200, "POST", "/v1/companies/"+c.id+"/customers?wait=30s", `{"name":"Hooked Ltd"}`)

	ev := rc.next(t) // after two failed attempts
	if ev.Type != "write.succeeded" || ev.Data["id"] != op.ID || ev.Data["record"].(map[string]any)["name"] != "Hooked Ltd" {
		t.Errorf("event: %+v", ev)
	}
	var log struct {
		Data []struct {
			ID, EventID, EventType, Status string
			Attempts                       []struct {
				StatusCode int
				Error      string
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		e.mustDo(200, "GET", "/v1/webhooks/"+created.ID+"/deliveries", c.key, nil, &log)
		if len(log.Data) == 1 && log.Data[0].Status == "Delivered" || time.Now().After(deadline) {
			break
		}
		<-e.attempts
	}
	if len(log.Data) != 1 {
		t.Fatalf("deliveries: %+v", log.Data)
	}
	d := log.Data[0]
	if d.Status != "Delivered" || d.EventID != ev.ID || len(d.Attempts) != 3 || d.Attempts[0].StatusCode != 500 ||
		!strings.Contains(d.Attempts[0].Error, "temporarily down") || d.Attempts[2].StatusCode != 204 {
		t.Errorf("delivery log: %+v", d)
	}

	// A write QuickBooks rejects goes to both endpoints.
	c.write(t, 502, "POST", "/v1/companies/"+c.id+"/customers?wait=30s", `{"name":"Hooked Ltd"}`)
	got := map[string]int{}
	for range 2 {
		got[rc.next(t).Type]++
	}
	if got["write.failed"] != 2 {
		t.Errorf("write.failed deliveries: %v", got)
	}

	// The connection's health changes: QuickBooks was closed.
	c.failWith(&gateway.Failure{HResult: "0x80040408", Message: "Could not start QuickBooks.", Condition: "qb_not_running", NeedsUser: true, Retryable: true,
		UserMessage: "QuickBooks is not running."})
	c.write(t, 202, "POST", "/v1/companies/"+c.id+"/customers?wait=1s", `{"name":"While Closed"}`)
	ev = rc.next(t)
	if ev.Type != "connection.status_changed" || ev.Data["previousHealthCode"] != "ok" ||
		ev.Data["connection"].(map[string]any)["health"].(map[string]any)["code"] != "qb_not_running" {
		t.Errorf("status change: %+v", ev)
	}
	c.failWith(nil)
	// QuickBooks is open again: the connector says so, and the queued
	// write runs.
	if _, err := c.gw.ReportState(context.Background(), gateway.State{Connector: testConnector,
		Files: []gateway.FileState{{ConnectionID: c.connID, Condition: "ok"}}}); err != nil {
		t.Fatal(err)
	}
	// Two events follow, in either order (each delivery is its own job):
	// the health back to ok, and the queued write's success.
	got = map[string]int{}
	for range 2 {
		ev = rc.next(t)
		got[ev.Type]++
		switch ev.Type {
		case "connection.status_changed":
			if ev.Data["previousHealthCode"] != "qb_not_running" {
				t.Errorf("back to ok: %+v", ev)
			}
		case "write.succeeded":
			if ev.Data["record"].(map[string]any)["name"] != "While Closed" {
				t.Errorf("queued write: %+v", ev)
			}
		}
	}
	if got["connection.status_changed"] != 1 || got["write.succeeded"] != 1 {
		t.Errorf("after QuickBooks came back: %v, want one status change and one write.succeeded", got)
	}

	// A sync completes.
	e.mustDo(202, "POST", "/v1/companies/"+c.id+"/sync", c.key, map[string]any{"dataTypes": []string{"vendors"}}, nil)
	for {
		ev = rc.next(t)
		if ev.Type == "sync.completed" {
			break
		}
	}
	if types, _ := ev.Data["dataTypes"].([]any); len(types) != 1 || types[0].(map[string]any)["dataType"] != "vendors" || ev.Data["status"] != "Complete" {
		t.Errorf("sync.completed: %+v", ev)
	}

	// Nothing is delivered twice: resending finds nothing to send, and the
	// receiver saw each event once.
	if n, err := e.webhooks.Resend(context.Background()); err != nil || n != 0 {
		t.Errorf("resend: %d %v", n, err)
	}
	e.mustDo(200, "GET", "/v1/webhooks/"+created.ID+"/deliveries?limit=100", c.key, nil, &log)
	seen := map[string]bool{}
	for _, d := range log.Data {
		if seen[d.EventID] {
			t.Errorf("event %s delivered twice to one endpoint", d.EventID)
		}
		seen[d.EventID] = true
	}

	// Deleting the endpoint stops deliveries; its log stays readable.
	e.mustDo(204, "DELETE", "/v1/webhooks/"+onlyFailed.ID, c.key, nil, nil)
	if r := e.do("GET", "/v1/webhooks/"+onlyFailed.ID, c.key, nil); r.Status != 404 {
		t.Errorf("deleted endpoint: %d", r.Status)
	}
	e.mustDo(200, "GET", "/v1/webhooks/"+onlyFailed.ID+"/deliveries", c.key, nil, nil)

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"no url", "POST", "/v1/webhooks", map[string]any{}, 400, `"url" is required`},
		{"ftp url", "POST", "/v1/webhooks", map[string]any{"url": "ftp://x.example.com/"}, 400, "http or https"},
		{"credentials in url", "POST", "/v1/webhooks", map[string]any{"url": "https://u:p@x.example.com/"}, 400, "without credentials"},
		{"unknown event", "POST", "/v1/webhooks", map[string]any{"url": "https://x.example.com/", "events": []string{"invoice.paid"}}, 400, `unknown event type "invoice.paid"`},
		{"too large", "POST", "/v1/webhooks", map[string]any{"url": "https://x.example.com/" + strings.Repeat("x", 1<<20)}, 413, "larger than"},
		{"list query", "GET", "/v1/webhooks?x=1", nil, 400, "unknown query parameter \"x\""},
		{"deliveries bad limit", "GET", "/v1/webhooks/" + created.ID + "/deliveries?limit=0", nil, 400, "limit must be"},
		{"unknown webhook", "GET", "/v1/webhooks/whk_0000000000000000", nil, 404, "webhook not found"},
		{"delete unknown", "DELETE", "/v1/webhooks/whk_0000000000000000", nil, 404, "webhook not found"},
		{"deliveries of unknown", "GET", "/v1/webhooks/whk_0000000000000000/deliveries", nil, 404, "webhook not found"},
	} {
		r := e.do(tc.method, tc.path, c.key, tc.body)
		if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
}

func TestWebhookSignature(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1"}`)
	h := notify.Sign("whsec_abc", now, body)
	if !strings.HasPrefix(h, "t=1772442000,v1=") {
		t.Errorf("header %q", h)
	}
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		ok                   bool
	}{
		{"valid", "whsec_abc", h, body, now, true},
		{"within tolerance", "whsec_abc", h, body, now.Add(4 * time.Minute), true},
		{"other secret", "whsec_abd", h, body, now, false},
		{"tampered body", "whsec_abc", h, []byte(`{"id":"evt_2"}`), now, false},
		{"replayed later", "whsec_abc", h, body, now.Add(6 * time.Minute), false},
		{"malformed", "whsec_abc", "v1=00", body, now, false},
		{"rotated secrets: one matches", "whsec_abc", h + ",v1=deadbeef", body, now, true},
	} {
		err := notify.Verify(tc.secret, tc.header, tc.body, tc.at, 5*time.Minute)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
