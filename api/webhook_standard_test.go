package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
)

// The webhook features a receiver sees: Standard Webhooks signatures,
// secret rotation, updates, test events and replays.

// standardVerify is the Standard Webhooks specification's verification
// written here from the specification alone, as a receiver's library does
// it: the secret is "whsec_" and base64, the HMAC-SHA256 key its decoded
// bytes, the signed content id + "." + timestamp + "." + body, and the
// signature header space-separated "v1,<base64>" entries of which one must
// match. It returns the secrets (among those given) that one entry
// matches.
func standardVerify(tb testing.TB, h http.Header, body []byte, now time.Time, secrets ...string) []string {
	tb.Helper()
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil || sigs == "" {
		tb.Fatalf("Standard Webhooks headers missing: id %q timestamp %q signature %q", id, ts, sigs)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		tb.Errorf("webhook-timestamp %s is %s from now", ts, d)
	}
	var matched []string
	for _, secret := range secrets {
		b64, ok := strings.CutPrefix(secret, "whsec_")
		if !ok {
			tb.Fatalf("secret %q is not whsec_<base64>", secret)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			tb.Fatalf("secret %q: %v", secret, err)
		}
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		for _, got := range strings.Split(sigs, " ") {
			if hmac.Equal([]byte(got), []byte(want)) {
				matched = append(matched, secret)
				break
			}
		}
	}
	return matched
}

// hookRequest is one request a rawReceiver received.
type hookRequest struct {
	Header http.Header
	Body   []byte
}

// rawReceiver records every request whole and answers status.
type rawReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	code int
	got  chan hookRequest
}

func newRawReceiver(tb testing.TB) *rawReceiver {
	tb.Helper()
	rc := &rawReceiver{code: http.StatusNoContent, got: make(chan hookRequest, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.got <- hookRequest{Header: r.Header.Clone(), Body: body}
		rc.mu.Lock()
		code := rc.code
		rc.mu.Unlock()
		if code >= 300 {
			http.Error(w, "receiver is down", code)
			return
		}
		w.WriteHeader(code)
	}))
	tb.Cleanup(rc.srv.Close)
	return rc
}

func (rc *rawReceiver) answer(code int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.code = code
}

// next returns the next request, failing after a deadline.
func (rc *rawReceiver) next(tb testing.TB) hookRequest {
	tb.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(30 * time.Second):
		tb.Fatal("no webhook request within 30s")
		return hookRequest{}
	}
}

// createdWebhook is the answer to POST /v1/webhooks and rotate-secret.
type createdWebhook struct {
	ID                      string
	URL                     string
	Events                  []string
	Enabled                 bool
	Secret                  string
	PreviousSecretExpiresAt *time.Time
}

// deliveryView is a delivery as the API shows it.
type deliveryView struct {
	ID, WebhookID, EventID, EventType, Status, ReplayOf string
	Attempts                                            []struct {
		StatusCode int
		Error      string
	}
}

func TestWebhookDeliveryVerifiesWithStandardWebhooksLibrariesScheme(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			org, key := e.newOrg("Lender")
			rc := newRawReceiver(t)
			var hook createdWebhook
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/hooks"}, &hook)
			if !hook.Enabled {
				t.Errorf("a new endpoint is not enabled: %+v", hook)
			}

			// An event delivered by its job carries the standard headers,
			// signed with the secret as shown, besides the existing ones.
			e.startJobs(t)
			data, _ := json.Marshal(map[string]string{"note": "sync done"})
			if err := e.webhooks.Emit(context.Background(), qbconnect.Event{Type: qbconnect.EventSyncCompleted, OrgID: org.ID, Data: data}); err != nil {
				t.Fatal(err)
			}
			r := rc.next(t)
			if got := standardVerify(t, r.Header, r.Body, e.clock.Now(), hook.Secret); len(got) != 1 {
				t.Errorf("webhook-signature %q does not verify with the secret", r.Header.Get("webhook-signature"))
			}
			var body struct{ ID, Type string }
			json.Unmarshal(r.Body, &body)
			if r.Header.Get("webhook-id") != body.ID || r.Header.Get(notify.HeaderEventID) != body.ID || body.Type != "sync.completed" {
				t.Errorf("webhook-id %q, Qbconnect-Event-Id %q, body %s", r.Header.Get("webhook-id"), r.Header.Get(notify.HeaderEventID), r.Body)
			}
			if err := notify.Verify(hook.Secret, r.Header.Get(notify.HeaderSignature), r.Body, e.clock.Now(), 5*time.Minute); err != nil {
				t.Errorf("the existing Qbconnect-Signature no longer verifies: %v", err)
			}
			if err := notify.VerifyStandard(hook.Secret, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"),
				r.Body, e.clock.Now(), 5*time.Minute); err != nil {
				t.Errorf("notify.VerifyStandard: %v", err)
			}

			// A secret made before this scheme (whsec_ and 32 Crockford
			// characters) is base64 text as it is: receivers keep it.
			const oldSecret = "whsec_7k2x9q7m1t3v5b8n4k2x9q7m1t3v5b8n"
			if _, err := e.db.SQLDB().Exec("UPDATE webhook_endpoints SET secret = '" + oldSecret + "' WHERE id = '" + hook.ID + "'"); err != nil {
				t.Fatal(err)
			}
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, nil, nil)
			r = rc.next(t)
			if got := standardVerify(t, r.Header, r.Body, e.clock.Now(), oldSecret); len(got) != 1 {
				t.Errorf("a secret of the earlier form: webhook-signature %q does not verify", r.Header.Get("webhook-signature"))
			}
			if err := notify.Verify(oldSecret, r.Header.Get(notify.HeaderSignature), r.Body, e.clock.Now(), 5*time.Minute); err != nil {
				t.Errorf("a secret of the earlier form: Qbconnect-Signature: %v", err)
			}
		})
	}
}

func TestRotatedSecretSignsWithBothDuringOverlap(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			_, key := e.newOrg("Lender")
			_, otherKey := e.newOrg("Other")
			rc := newRawReceiver(t)
			var hook createdWebhook
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/hooks"}, &hook)

			var rotated createdWebhook
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", key, map[string]any{"overlap": "1h"}, &rotated)
			until := e.clock.Now().Add(time.Hour)
			if rotated.Secret == hook.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.PreviousSecretExpiresAt == nil ||
				!rotated.PreviousSecretExpiresAt.Equal(until) {
				t.Fatalf("rotated: %+v (old secret %q)", rotated, hook.Secret)
			}

			// During the overlap: two signatures, one per secret, in both
			// signature headers.
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, nil, nil)
			r := rc.next(t)
			if n := len(strings.Fields(r.Header.Get("webhook-signature"))); n != 2 {
				t.Errorf("webhook-signature during the overlap has %d entries, want 2: %q", n, r.Header.Get("webhook-signature"))
			}
			if got := standardVerify(t, r.Header, r.Body, e.clock.Now(), rotated.Secret, hook.Secret); len(got) != 2 {
				t.Errorf("during the overlap, the secrets that verify: %q, want the new and the old", got)
			}
			for _, s := range []string{rotated.Secret, hook.Secret} {
				if err := notify.Verify(s, r.Header.Get(notify.HeaderSignature), r.Body, e.clock.Now(), 5*time.Minute); err != nil {
					t.Errorf("Qbconnect-Signature during the overlap, secret %q: %v", s, err)
				}
			}

			// After it: the new secret only.
			e.clock.Advance(time.Hour + time.Second)
			var after createdWebhook
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID, key, nil, &after)
			if after.PreviousSecretExpiresAt != nil {
				t.Errorf("after the overlap the endpoint still shows it: %+v", after)
			}
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, nil, nil)
			r = rc.next(t)
			if got := standardVerify(t, r.Header, r.Body, e.clock.Now(), rotated.Secret, hook.Secret); len(got) != 1 || got[0] != rotated.Secret {
				t.Errorf("after the overlap, the secrets that verify: %q, want the new one only", got)
			}

			// No overlap: the replaced secret stops at once.
			var third createdWebhook
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", key, map[string]any{"overlap": "0s"}, &third)
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, nil, nil)
			r = rc.next(t)
			if got := standardVerify(t, r.Header, r.Body, e.clock.Now(), third.Secret, rotated.Secret); len(got) != 1 || got[0] != third.Secret {
				t.Errorf("after a rotation without overlap, the secrets that verify: %q", got)
			}

			for _, tc := range []struct {
				name, key, path string
				body            any
				status          int
				msg             string
			}{
				{"overlap too long", key, "/v1/webhooks/" + hook.ID + "/rotate-secret", map[string]any{"overlap": "200h"}, 400, `"overlap" must be between`},
				{"negative overlap", key, "/v1/webhooks/" + hook.ID + "/rotate-secret", map[string]any{"overlap": -5}, 400, `"overlap" must be between`},
				{"unknown field", key, "/v1/webhooks/" + hook.ID + "/rotate-secret", map[string]any{"grace": "1h"}, 400, "grace"},
				{"another tenant's endpoint", otherKey, "/v1/webhooks/" + hook.ID + "/rotate-secret", nil, 404, "webhook not found"},
			} {
				r := e.do("POST", tc.path, tc.key, tc.body)
				if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
					t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
				}
			}
			// The refusals changed nothing: the last secret still signs alone.
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, nil, nil)
			r = rc.next(t)
			if got := standardVerify(t, r.Header, r.Body, e.clock.Now(), third.Secret); len(got) != 1 {
				t.Error("after refused rotations the secret changed")
			}
		})
	}
}

func TestWebhookUpdateValidatesLikeCreateAndChangesNothingOnBadInput(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			org, key := e.newOrg("Lender")
			_, otherKey := e.newOrg("Other")
			rc := newRawReceiver(t)
			var hook createdWebhook
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": "https://old.example.com/hooks", "description": "ledger"}, &hook)

			var got map[string]any
			e.mustDo(200, "PATCH", "/v1/webhooks/"+hook.ID, key, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"write.failed"}}, &got)
			if got["url"] != rc.srv.URL+"/hooks" || fmt.Sprint(got["events"]) != "[write.failed]" || got["description"] != "ledger" || got["enabled"] != true {
				t.Errorf("updated: %v", got)
			}
			want := fmt.Sprint(got)

			for _, tc := range []struct {
				name, key string
				body      any
				status    int
				msg       string
			}{
				{"ftp url", key, map[string]any{"url": "ftp://x.example.com/"}, 400, "http or https"},
				{"empty url", key, map[string]any{"url": " "}, 400, `"url" is required`},
				{"credentials in url", key, map[string]any{"url": "https://u:p@x.example.com/", "enabled": false}, 400, "without credentials"},
				{"unknown event", key, map[string]any{"events": []string{"invoice.paid"}, "enabled": false}, 400, `unknown event type "invoice.paid"`},
				{"unknown field", key, map[string]any{"secret": "whsec_x"}, 400, "secret"},
				{"enabled not a boolean", key, map[string]any{"enabled": "no"}, 400, "enabled"},
				{"another tenant's endpoint", otherKey, map[string]any{"enabled": false}, 404, "webhook not found"},
				{"oversized body", key, map[string]any{"description": strings.Repeat("x", 1<<20)}, 413, "larger than"},
			} {
				r := e.do("PATCH", "/v1/webhooks/"+hook.ID, tc.key, tc.body)
				if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
					t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
				}
			}
			if r := e.do("PATCH", "/v1/webhooks/whk_0000000000000000", key, map[string]any{"enabled": false}); r.Status != 404 {
				t.Errorf("unknown endpoint: %d %s", r.Status, r.Body)
			}
			// A rotation with an oversized body changes no secret either.
			if r := e.do("POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", key, `{"overlap":"`+strings.Repeat("1", 1<<20)+`"}`); r.Status != 413 {
				t.Errorf("oversized rotation: %d %s", r.Status, r.Body)
			}
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID, key, nil, &got)
			if fmt.Sprint(got) != want {
				t.Errorf("refused updates changed the endpoint:\n got %v\nwant %s", got, want)
			}

			// Disabled, it receives nothing; enabled again, it does.
			e.mustDo(200, "PATCH", "/v1/webhooks/"+hook.ID, key, map[string]any{"enabled": false}, &got)
			if got["enabled"] != false {
				t.Errorf("disabled: %v", got)
			}
			e.startJobs(t)
			emit := func() {
				if err := e.webhooks.Emit(context.Background(), qbconnect.Event{Type: qbconnect.EventWriteFailed, OrgID: org.ID}); err != nil {
					t.Fatal(err)
				}
			}
			emit()
			var log struct{ Data []deliveryView }
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", key, nil, &log)
			if len(log.Data) != 0 {
				t.Errorf("a disabled endpoint got deliveries: %+v", log.Data)
			}
			e.mustDo(200, "PATCH", "/v1/webhooks/"+hook.ID, key, map[string]any{"enabled": true}, nil)
			emit()
			if r := rc.next(t); !strings.Contains(string(r.Body), `"write.failed"`) {
				t.Errorf("enabled again, it received %s", r.Body)
			}
		})
	}
}

func TestWebhookTestEventAnswersWithTheDeliveryResult(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			_, key := e.newOrg("Lender")
			_, otherKey := e.newOrg("Other")
			rc := newRawReceiver(t)
			var hook createdWebhook
			// Subscribed to other events and disabled: a test is sent anyway.
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"write.failed"}}, &hook)
			e.mustDo(200, "PATCH", "/v1/webhooks/"+hook.ID, key, map[string]any{"enabled": false}, nil)

			var d deliveryView
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, nil, &d)
			r := rc.next(t)
			var body struct {
				ID, Type string
				Data     struct{ WebhookID string }
			}
			json.Unmarshal(r.Body, &body)
			if d.Status != "Delivered" || d.EventType != "webhook.test_requested" || d.WebhookID != hook.ID || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 204 ||
				body.Type != "webhook.test_requested" || body.ID != d.EventID || body.Data.WebhookID != hook.ID {
				t.Errorf("test delivery %+v, body %s", d, r.Body)
			}

			// A receiver that fails: the answer says so, and nothing retries.
			rc.answer(http.StatusInternalServerError)
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/test", key, map[string]any{}, &d)
			rc.next(t)
			if d.Status != "Failed" || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 500 || !strings.Contains(d.Attempts[0].Error, "receiver is down") {
				t.Errorf("failed test delivery %+v", d)
			}
			if n, err := e.webhooks.Resend(context.Background()); err != nil || n != 0 {
				t.Errorf("resend after test deliveries: %d, %v; want nothing to send", n, err)
			}

			var log struct{ Data []deliveryView }
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", key, nil, &log)
			if len(log.Data) != 2 || log.Data[0].Status != "Failed" || log.Data[1].Status != "Delivered" {
				t.Errorf("log: %+v", log.Data)
			}
			for _, tc := range []struct {
				name, key, path string
				body            any
				status          int
			}{
				{"another tenant's endpoint", otherKey, "/v1/webhooks/" + hook.ID + "/test", nil, 404},
				{"unknown endpoint", key, "/v1/webhooks/whk_0000000000000000/test", nil, 404},
				{"a body with fields", key, "/v1/webhooks/" + hook.ID + "/test", map[string]any{"event": "sync.completed"}, 400},
			} {
				if r := e.do("POST", tc.path, tc.key, tc.body); r.Status != tc.status {
					t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
				}
			}
		})
	}
}

func TestReplayedDeliveryResendsTheSameBodyWithTheSameWebhookID(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			org, key := e.newOrg("Lender")
			_, otherKey := e.newOrg("Other")
			rc := newRawReceiver(t)
			var hook, second createdWebhook
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/hooks"}, &hook)
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/second", "events": []string{"webhook.test_requested"}}, &second)

			e.startJobs(t)
			data, _ := json.Marshal(map[string]string{"id": "op_1"})
			if err := e.webhooks.Emit(context.Background(), qbconnect.Event{Type: qbconnect.EventWriteSucceeded, OrgID: org.ID, Data: data}); err != nil {
				t.Fatal(err)
			}
			first := rc.next(t)
			var log struct{ Data []deliveryView }
			for {
				e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", key, nil, &log)
				if len(log.Data) == 1 && log.Data[0].Status == "Delivered" {
					break
				}
				<-e.attempts
			}
			orig := log.Data[0]

			e.clock.Advance(time.Minute)
			var d deliveryView
			e.mustDo(200, "POST", "/v1/webhooks/"+hook.ID+"/deliveries/"+orig.ID+"/replay", key, nil, &d)
			again := rc.next(t)
			if d.ID == orig.ID || d.ReplayOf != orig.ID || d.EventID != orig.EventID || d.Status != "Delivered" || len(d.Attempts) != 1 {
				t.Errorf("replay %+v of %+v", d, orig)
			}
			if string(again.Body) != string(first.Body) || again.Header.Get("webhook-id") != first.Header.Get("webhook-id") {
				t.Errorf("replay sent %s with webhook-id %q; first %s with %q", again.Body, again.Header.Get("webhook-id"), first.Body, first.Header.Get("webhook-id"))
			}
			if again.Header.Get(notify.HeaderDeliveryID) != d.ID || again.Header.Get("webhook-timestamp") == first.Header.Get("webhook-timestamp") {
				t.Errorf("replay's delivery ID %q (want %q), timestamp %q (first %q): a replay is signed anew",
					again.Header.Get(notify.HeaderDeliveryID), d.ID, again.Header.Get("webhook-timestamp"), first.Header.Get("webhook-timestamp"))
			}
			if got := standardVerify(t, again.Header, again.Body, e.clock.Now(), hook.Secret); len(got) != 1 {
				t.Error("the replay's signature does not verify")
			}
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", key, nil, &log)
			if len(log.Data) != 2 || log.Data[0].ID != d.ID || log.Data[0].ReplayOf != orig.ID {
				t.Errorf("log after the replay: %+v", log.Data)
			}

			for _, tc := range []struct {
				name, key, path string
			}{
				{"another tenant", otherKey, "/v1/webhooks/" + hook.ID + "/deliveries/" + orig.ID + "/replay"},
				{"another endpoint's delivery", key, "/v1/webhooks/" + second.ID + "/deliveries/" + orig.ID + "/replay"},
				{"unknown delivery", key, "/v1/webhooks/" + hook.ID + "/deliveries/dlv_0000000000000000/replay"},
			} {
				if r := e.do("POST", tc.path, tc.key, nil); r.Status != 404 {
					t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
				}
			}
		})
	}
}

func TestSyncCompletedIsSentOncePerSyncWithCountsPerDataType(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, smallCompany())
			rc := newRawReceiver(t)
			var hook createdWebhook
			e.mustDo(201, "POST", "/v1/webhooks", c.key, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"sync.completed"}}, &hook)
			e.startJobs(t)

			type summary struct {
				ID, CompanyID, Trigger, Status string
				DataTypes                      []struct {
					DataType, RunID, Status, Mode, FullReason string
					Fetched, Pages                            int
				}
			}
			syncOnce := func(types ...string) summary {
				t.Helper()
				e.mustDo(202, "POST", "/v1/companies/"+c.id+"/sync", c.key, map[string]any{"dataTypes": types}, nil)
				c.drain(t)
				r := rc.next(t)
				var ev struct {
					Type string
					Data summary
				}
				if err := json.Unmarshal(r.Body, &ev); err != nil || ev.Type != "sync.completed" {
					t.Fatalf("delivery %s: %v", r.Body, err)
				}
				return ev.Data
			}
			first := syncOnce("vendors", "customers", "invoices")
			if first.CompanyID != c.id || first.Status != "Complete" || first.Trigger != "on_demand" || len(first.DataTypes) != 3 {
				t.Fatalf("sync.completed: %+v", first)
			}
			// The counts are the passes' as the sync history shows them.
			var runs struct {
				Data []struct {
					ID, SyncID, DataType string
					Fetched              int
				}
			}
			e.mustDo(200, "GET", "/v1/companies/"+c.id+"/sync-runs", c.key, nil, &runs)
			fetched := map[string]int{}
			for _, r := range runs.Data {
				if r.SyncID == first.ID {
					fetched[r.ID] = r.Fetched
				}
			}
			want := map[string]int{"customers": 15, "invoices": 25, "vendors": 7} // as smallCompany's file holds them
			for i, d := range first.DataTypes {
				if i > 0 && first.DataTypes[i-1].DataType >= d.DataType {
					t.Errorf("data types not in name order: %+v", first.DataTypes)
				}
				if d.Status != "Complete" || d.Fetched != fetched[d.RunID] || d.Fetched != want[d.DataType] || d.Mode != "full" || d.FullReason != "first_sync" {
					t.Errorf("%s: %+v; the history says %d fetched, the company file holds %d", d.DataType, d, fetched[d.RunID], want[d.DataType])
				}
			}

			second := syncOnce("vendors")
			if second.ID == first.ID || len(second.DataTypes) != 1 || second.DataTypes[0].DataType != "vendors" ||
				second.DataTypes[0].Mode != "incremental" || second.DataTypes[0].FullReason != "" {
				t.Errorf("second sync.completed: %+v", second)
			}
			// One event per sync, not per data type: the delivery log holds two.
			var log struct{ Data []deliveryView }
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", c.key, nil, &log)
			if len(log.Data) != 2 {
				t.Errorf("deliveries of sync.completed after two syncs: %d, want 2: %+v", len(log.Data), log.Data)
			}
		})
	}
}

func TestRecordEventsComeOncePerPageAndKindFromSyncsAndWrites(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, smallCompany())
			rc := newRawReceiver(t)
			var hook createdWebhook
			e.mustDo(201, "POST", "/v1/webhooks", c.key, map[string]any{"url": rc.srv.URL + "/hooks",
				"events": []string{"record.created", "record.updated", "record.deleted"}}, &hook)
			e.startJobs(t)

			type change struct {
				Type string
				Data struct {
					DataType, Source, RunID, OperationID string
					IDs                                  []string
				}
			}
			next := func() change {
				t.Helper()
				var ch change
				r := rc.next(t)
				if err := json.Unmarshal(r.Body, &ch); err != nil {
					t.Fatalf("delivery %s: %v", r.Body, err)
				}
				return ch
			}
			logged := func() int {
				t.Helper()
				var log struct{ Data []deliveryView }
				e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries?limit=100", c.key, nil, &log)
				return len(log.Data)
			}

			// The first sync creates every record: one record.created per
			// page, carrying the page's IDs.
			e.mustDo(202, "POST", "/v1/companies/"+c.id+"/sync", c.key, map[string]any{"dataTypes": []string{"invoices"}}, nil)
			c.drain(t)
			var runs struct {
				Data []struct {
					ID             string
					Pages, Fetched int
				}
			}
			e.mustDo(200, "GET", "/v1/companies/"+c.id+"/sync-runs?dataType=invoices", c.key, nil, &runs)
			if len(runs.Data) != 1 {
				t.Fatalf("runs: %+v", runs.Data)
			}
			if n := logged(); n != runs.Data[0].Pages {
				t.Errorf("record events after the first sync: %d, want one per page (%d)", n, runs.Data[0].Pages)
			}
			ids := map[string]bool{}
			for range runs.Data[0].Pages {
				ch := next()
				if ch.Type != "record.created" || ch.Data.DataType != "invoices" || ch.Data.Source != "sync" || ch.Data.RunID != runs.Data[0].ID {
					t.Errorf("event: %+v", ch)
				}
				for _, id := range ch.Data.IDs {
					ids[id] = true
				}
			}
			if len(ids) != runs.Data[0].Fetched {
				t.Errorf("IDs in record.created: %d, want every invoice fetched (%d)", len(ids), runs.Data[0].Fetched)
			}

			// A full sync that finds nothing changed raises none.
			before := logged()
			e.mustDo(202, "POST", "/v1/companies/"+c.id+"/sync", c.key, map[string]any{"dataTypes": []string{"invoices"}, "full": true}, nil)
			c.drain(t)
			if n := logged(); n != before {
				t.Errorf("a sync that changed nothing raised %d record events", n-before)
			}

			// Writes: one event each, of the write's kind.
			c.background(t)
			op, _ := c.write(t, 200, "POST", "/v1/companies/"+c.id+"/customers?wait=30s", `{"name":"Evented Ltd"}`)
			ch := next()
			if ch.Type != "record.created" || ch.Data.Source != "write" || ch.Data.OperationID != op.ID || ch.Data.DataType != "customers" ||
				len(ch.Data.IDs) != 1 || ch.Data.IDs[0] != op.Record["id"] {
				t.Errorf("after a create: %+v (operation %+v)", ch, op)
			}
			id, seq := op.Record["id"].(string), op.Record["editSequence"].(string)
			op, _ = c.write(t, 200, "PATCH", "/v1/companies/"+c.id+"/customers/"+id+"?wait=30s", `{"editSequence":"`+seq+`","companyName":"Evented"}`)
			if ch = next(); ch.Type != "record.updated" || ch.Data.OperationID != op.ID || len(ch.Data.IDs) != 1 || ch.Data.IDs[0] != id {
				t.Errorf("after an update: %+v", ch)
			}
			op, _ = c.write(t, 200, "DELETE", "/v1/companies/"+c.id+"/customers/"+id+"?wait=30s", "")
			if ch = next(); ch.Type != "record.deleted" || ch.Data.OperationID != op.ID || len(ch.Data.IDs) != 1 || ch.Data.IDs[0] != id {
				t.Errorf("after a delete: %+v", ch)
			}
		})
	}
}
