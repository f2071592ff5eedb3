package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The webhook store's conformance scenarios.

// testWebhookEndpoints: an endpoint reads back as created, lists oldest
// first, and another organisation's ID answers like an unknown or deleted
// one; a deleted endpoint leaves the listing.
func testWebhookEndpoints(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	hooks := store.NewWebhookStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")

	_, err := hooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID})
	wantCode(t, err, qbconnect.EInvalid)
	// The store refuses what the API refuses, whoever calls it; a refused
	// endpoint is not stored (the listing below holds two).
	for _, bad := range []*qbconnect.WebhookEndpoint{
		{OrgID: org.ID, URL: "example.test/h"},
		{OrgID: org.ID, URL: "ftp://example.test/h"},
		{OrgID: org.ID, URL: "https://user:pw@example.test/h"},
		{OrgID: org.ID, URL: "https://example.test/h#frag"},
		{OrgID: org.ID, URL: "https://example.test/h", Events: []qbconnect.EventType{"sync.exploded"}},
	} {
		_, err = hooks.CreateWebhook(ctx, bad)
		wantCode(t, err, qbconnect.EInvalid)
	}
	_, err = hooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: "org_unknown", URL: "https://example.test/h"})
	wantCode(t, err, qbconnect.ENotFound)
	_, err = hooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/h", Events: []qbconnect.EventType{"invoice.paid"}})
	wantCode(t, err, qbconnect.EInvalid)

	first := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/all", Description: "everything"}
	secret, err := hooks.CreateWebhook(ctx, first)
	must(t, err)
	if len(secret) <= len(store.WebhookSecretPrefix) || secret[:len(store.WebhookSecretPrefix)] != store.WebhookSecretPrefix {
		t.Errorf("secret %q lacks the prefix %q", secret, store.WebhookSecretPrefix)
	}
	e.Clock.Advance(time.Second)
	second := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/sync",
		Events: []qbconnect.EventType{qbconnect.EventSyncCompleted, qbconnect.EventSyncFailed}}
	secret2, err := hooks.CreateWebhook(ctx, second)
	must(t, err)
	if secret2 == secret {
		t.Errorf("two endpoints share the secret %q", secret)
	}
	want := &qbconnect.WebhookEndpoint{ID: first.ID, OrgID: org.ID, URL: first.URL, Description: "everything",
		Events: []qbconnect.EventType{}, Enabled: true, CreatedAt: NewClock().Now()}
	got, err := hooks.FindWebhook(ctx, org.ID, first.ID)
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("found endpoint (-want +got):\n%s", diff)
	}
	_, err = hooks.FindWebhook(ctx, other.ID, first.ID)
	wantCode(t, err, qbconnect.ENotFound)
	_, err = hooks.FindWebhook(ctx, org.ID, "whk_unknown")
	wantCode(t, err, qbconnect.ENotFound)

	list, err := hooks.ListWebhooks(ctx, org.ID)
	must(t, err)
	if diff := cmp.Diff([]*qbconnect.WebhookEndpoint{want, second}, list); diff != "" {
		t.Errorf("endpoints oldest first (-want +got):\n%s", diff)
	}
	list, err = hooks.ListWebhooks(ctx, other.ID)
	must(t, err)
	if len(list) != 0 {
		t.Errorf("another organisation lists %d endpoints, want none", len(list))
	}

	wantCode(t, hooks.DeleteWebhook(ctx, other.ID, first.ID), qbconnect.ENotFound)
	must(t, hooks.DeleteWebhook(ctx, org.ID, first.ID))
	wantCode(t, hooks.DeleteWebhook(ctx, org.ID, first.ID), qbconnect.ENotFound)
	_, err = hooks.FindWebhook(ctx, org.ID, first.ID)
	wantCode(t, err, qbconnect.ENotFound)
	list, err = hooks.ListWebhooks(ctx, org.ID)
	must(t, err)
	if diff := cmp.Diff([]*qbconnect.WebhookEndpoint{second}, list); diff != "" {
		t.Errorf("endpoints after a delete (-want +got):\n%s", diff)
	}
}

// testWebhookEventsFanOut: an event gets one pending delivery per live
// endpoint subscribed to its type; a delivery carries its event, URL and
// secret; the first final attempt wins; deliveries list newest first in
// pages, and a deleted endpoint's log stays readable.
func testWebhookEventsFanOut(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	hooks := store.NewWebhookStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	co := e.Company(t, org.ID, "Harbor")

	all := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/all"}
	allSecret, err := hooks.CreateWebhook(ctx, all)
	must(t, err)
	syncOnly := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/sync", Events: []qbconnect.EventType{qbconnect.EventSyncCompleted}}
	_, err = hooks.CreateWebhook(ctx, syncOnly)
	must(t, err)
	gone := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/gone"}
	_, err = hooks.CreateWebhook(ctx, gone)
	must(t, err)
	must(t, hooks.DeleteWebhook(ctx, org.ID, gone.ID))
	_, err = hooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: other.ID, URL: "https://example.test/other"})
	must(t, err)

	_, err = hooks.RecordEvent(ctx, &qbconnect.Event{OrgID: org.ID})
	wantCode(t, err, qbconnect.EInvalid)

	ev := &qbconnect.Event{Type: qbconnect.EventSyncCompleted, OrgID: org.ID, CompanyID: co.ID, Data: json.RawMessage(`{"runId":"run_1"}`)}
	ids, err := hooks.RecordEvent(ctx, ev)
	must(t, err)
	if len(ids) != 2 || ev.ID == "" {
		t.Fatalf("sync.completed: deliveries %v, event ID %q; want two deliveries (all, sync) and an ID", ids, ev.ID)
	}
	e.Clock.Advance(time.Second)
	failed := &qbconnect.Event{Type: qbconnect.EventWriteFailed, OrgID: org.ID}
	failIDs, err := hooks.RecordEvent(ctx, failed)
	must(t, err)
	if len(failIDs) != 1 {
		t.Fatalf("write.failed: deliveries %v, want one (the endpoint for every type)", failIDs)
	}

	target, err := hooks.Delivery(ctx, ids[0])
	must(t, err)
	wantTarget := &store.DeliveryTarget{
		Delivery: &qbconnect.WebhookDelivery{ID: ids[0], EndpointID: all.ID, EventID: ev.ID, EventType: qbconnect.EventSyncCompleted,
			Status: qbconnect.DeliveryPending, Attempts: []*qbconnect.WebhookAttempt{}, CreatedAt: ev.CreatedAt},
		Event: &qbconnect.Event{ID: ev.ID, Type: ev.Type, OrgID: org.ID, CompanyID: co.ID, CreatedAt: ev.CreatedAt, Data: ev.Data},
		URL:   all.URL, Secret: allSecret,
	}
	if diff := cmp.Diff(wantTarget, target); diff != "" {
		t.Errorf("delivery target (-want +got):\n%s", diff)
	}
	_, err = hooks.Delivery(ctx, "dlv_unknown")
	wantCode(t, err, qbconnect.ENotFound)

	// Attempts: a failed try keeps it pending, the success finishes it, a
	// late duplicate changes nothing.
	at := e.Clock.Now()
	try1 := qbconnect.WebhookAttempt{At: at, StatusCode: 503, DurationMS: 12}
	applied, err := hooks.RecordAttempt(ctx, ids[0], try1, qbconnect.DeliveryPending)
	must(t, err)
	if !applied {
		t.Fatal("first attempt not applied")
	}
	e.Clock.Advance(time.Minute)
	try2 := qbconnect.WebhookAttempt{At: e.Clock.Now(), StatusCode: 200, DurationMS: 8}
	if applied, err := hooks.RecordAttempt(ctx, ids[0], try2, qbconnect.DeliveryDelivered); err != nil || !applied {
		t.Fatalf("second attempt: applied=%v, %v", applied, err)
	}
	late := qbconnect.WebhookAttempt{At: e.Clock.Now(), Error: "timeout"}
	if applied, err := hooks.RecordAttempt(ctx, ids[0], late, qbconnect.DeliveryFailed); err != nil || applied {
		t.Fatalf("attempt on a delivered delivery: applied=%v, %v; want false", applied, err)
	}
	_, err = hooks.RecordAttempt(ctx, "dlv_unknown", late, qbconnect.DeliveryFailed)
	wantCode(t, err, qbconnect.ENotFound)
	target, err = hooks.Delivery(ctx, ids[0])
	must(t, err)
	delivered := e.Clock.Now()
	wantDelivery := *wantTarget.Delivery
	wantDelivery.Status, wantDelivery.DeliveredAt = qbconnect.DeliveryDelivered, &delivered
	wantDelivery.Attempts = []*qbconnect.WebhookAttempt{&try1, &try2}
	if diff := cmp.Diff(&wantDelivery, target.Delivery); diff != "" {
		t.Errorf("delivered delivery (-want +got):\n%s", diff)
	}

	// The endpoint's log: newest first, one per page, the cursor ending.
	var seen []string
	cursor := ""
	for range 3 {
		page, next, err := hooks.ListDeliveries(ctx, org.ID, all.ID, 1, cursor)
		must(t, err)
		for _, d := range page {
			seen = append(seen, d.ID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{failIDs[0], ids[0]}, seen); diff != "" {
		t.Errorf("deliveries newest first (-want +got):\n%s", diff)
	}
	_, _, err = hooks.ListDeliveries(ctx, other.ID, all.ID, 0, "")
	wantCode(t, err, qbconnect.ENotFound)
	_, _, err = hooks.ListDeliveries(ctx, org.ID, all.ID, -1, "")
	wantCode(t, err, qbconnect.EInvalid)

	// Deleting an endpoint: its log stays readable, its pending delivery
	// says so, and later events skip it.
	must(t, hooks.DeleteWebhook(ctx, org.ID, syncOnly.ID))
	page, _, err := hooks.ListDeliveries(ctx, org.ID, syncOnly.ID, 0, "")
	must(t, err)
	if len(page) != 1 || page[0].ID != ids[1] {
		t.Errorf("deleted endpoint's log = %+v, want the one delivery %s", page, ids[1])
	}
	target, err = hooks.Delivery(ctx, ids[1])
	must(t, err)
	if !target.EndpointDeleted {
		t.Error("a delivery to a deleted endpoint does not say so")
	}
	again, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventSyncCompleted, OrgID: org.ID})
	must(t, err)
	if len(again) != 1 {
		t.Errorf("after the delete, deliveries %v, want one", again)
	}
}

// testWebhookSweepFindsUnenqueuedDeliveries: pending deliveries without a
// job are found oldest first up to a limit, until marked enqueued or no
// longer pending.
func testWebhookSweepFindsUnenqueuedDeliveries(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	hooks := store.NewWebhookStore(e.DB)
	org := e.Org(t, "Lender")
	_, err := hooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/h"})
	must(t, err)
	var ids []string
	for range 4 {
		d, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventWriteSucceeded, OrgID: org.ID})
		must(t, err)
		ids = append(ids, d...)
		e.Clock.Advance(time.Second)
	}
	before := e.Clock.Now()
	newer, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventWriteSucceeded, OrgID: org.ID})
	must(t, err)

	got, err := hooks.Unenqueued(ctx, before, 3)
	must(t, err)
	if diff := cmp.Diff(ids[:3], got); diff != "" {
		t.Errorf("unenqueued, oldest first, at most 3 (-want +got):\n%s", diff)
	}
	must(t, hooks.MarkEnqueued(ctx, ids[:2]))
	must(t, hooks.MarkEnqueued(ctx, nil))
	_, err = hooks.RecordAttempt(ctx, ids[2], qbconnect.WebhookAttempt{At: before, Error: "refused"}, qbconnect.DeliveryFailed)
	must(t, err)
	got, err = hooks.Unenqueued(ctx, before.Add(time.Second), 10)
	must(t, err)
	if diff := cmp.Diff([]string{ids[3], newer[0]}, got); diff != "" {
		t.Errorf("unenqueued after marking and failing (-want +got):\n%s", diff)
	}
}

// testWebhookUpdate: an update changes the fields it holds and nothing
// else; an unknown event type or an empty URL changes nothing; another
// organisation's ID is not found; a disabled endpoint gets no deliveries
// until enabled again.
func testWebhookUpdate(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	hooks := store.NewWebhookStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	w := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/a", Description: "first"}
	_, err := hooks.CreateWebhook(ctx, w)
	must(t, err)

	url, events := "https://example.test/b", []qbconnect.EventType{qbconnect.EventWriteFailed}
	got, err := hooks.UpdateWebhook(ctx, org.ID, w.ID, qbconnect.WebhookPatch{URL: &url, Events: &events})
	must(t, err)
	want := &qbconnect.WebhookEndpoint{ID: w.ID, OrgID: org.ID, URL: url, Description: "first", Events: events, Enabled: true, CreatedAt: w.CreatedAt}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}

	bad, empty := []qbconnect.EventType{"invoice.paid"}, ""
	_, err = hooks.UpdateWebhook(ctx, org.ID, w.ID, qbconnect.WebhookPatch{Events: &bad})
	wantCode(t, err, qbconnect.EInvalid)
	_, err = hooks.UpdateWebhook(ctx, org.ID, w.ID, qbconnect.WebhookPatch{URL: &empty})
	wantCode(t, err, qbconnect.EInvalid)
	_, err = hooks.UpdateWebhook(ctx, other.ID, w.ID, qbconnect.WebhookPatch{URL: &url})
	wantCode(t, err, qbconnect.ENotFound)
	found, err := hooks.FindWebhook(ctx, org.ID, w.ID)
	must(t, err)
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("after refused updates (-want +got):\n%s", diff)
	}

	off, on := false, true
	_, err = hooks.UpdateWebhook(ctx, org.ID, w.ID, qbconnect.WebhookPatch{Enabled: &off})
	must(t, err)
	ids, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventWriteFailed, OrgID: org.ID})
	must(t, err)
	if len(ids) != 0 {
		t.Errorf("a disabled endpoint got deliveries %v", ids)
	}
	got, err = hooks.UpdateWebhook(ctx, org.ID, w.ID, qbconnect.WebhookPatch{Enabled: &on})
	must(t, err)
	if !got.Enabled || got.URL != url {
		t.Errorf("enabled again: %+v", got)
	}
	ids, err = hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventWriteFailed, OrgID: org.ID})
	must(t, err)
	if len(ids) != 1 {
		t.Errorf("an enabled endpoint got deliveries %v, want one", ids)
	}
}

// testWebhookSecretRotation: a rotation returns a new secret; deliveries
// carry the previous one until the overlap ends, and the endpoint shows
// when; a rotation without overlap drops it; another organisation's ID is
// not found.
func testWebhookSecretRotation(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	hooks := store.NewWebhookStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	w := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/a"}
	first, err := hooks.CreateWebhook(ctx, w)
	must(t, err)

	_, _, err = hooks.RotateWebhookSecret(ctx, other.ID, w.ID, time.Hour)
	wantCode(t, err, qbconnect.ENotFound)
	second, rotated, err := hooks.RotateWebhookSecret(ctx, org.ID, w.ID, time.Hour)
	must(t, err)
	until := e.Clock.Now().Add(time.Hour)
	if second == first || !strings.HasPrefix(second, store.WebhookSecretPrefix) || rotated.PreviousSecretExpiresAt == nil || !rotated.PreviousSecretExpiresAt.Equal(until) {
		t.Fatalf("rotated: secret %q (was %q), endpoint %+v", second, first, rotated)
	}
	ids, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventWriteFailed, OrgID: org.ID})
	must(t, err)
	target, err := hooks.Delivery(ctx, ids[0])
	must(t, err)
	if target.Secret != second || target.PreviousSecret != first || target.PreviousSecretExpiresAt == nil || !target.PreviousSecretExpiresAt.Equal(until) {
		t.Errorf("during the overlap: secret %q, previous %q until %v", target.Secret, target.PreviousSecret, target.PreviousSecretExpiresAt)
	}

	e.Clock.Advance(time.Hour + time.Second)
	found, err := hooks.FindWebhook(ctx, org.ID, w.ID)
	must(t, err)
	if found.PreviousSecretExpiresAt != nil {
		t.Errorf("after the overlap the endpoint still shows it until %v", found.PreviousSecretExpiresAt)
	}

	third, rotated, err := hooks.RotateWebhookSecret(ctx, org.ID, w.ID, 0)
	must(t, err)
	if rotated.PreviousSecretExpiresAt != nil {
		t.Errorf("no overlap, yet the endpoint shows one until %v", rotated.PreviousSecretExpiresAt)
	}
	target, err = hooks.Delivery(ctx, ids[0])
	must(t, err)
	if target.Secret != third || target.PreviousSecret != "" {
		t.Errorf("after a rotation without overlap: secret %q, previous %q", target.Secret, target.PreviousSecret)
	}
	_, _, err = hooks.RotateWebhookSecret(ctx, org.ID, w.ID, -time.Second)
	wantCode(t, err, qbconnect.EInvalid)
}

// testWebhookTestEventsAndReplays: a test event goes to the one endpoint
// asked (disabled or not subscribed to it), a replay is a new delivery of
// the same event naming the one it replays; neither waits for the sweep;
// another endpoint's delivery or organisation is not found.
func testWebhookTestEventsAndReplays(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	hooks := store.NewWebhookStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	a := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/a", Events: []qbconnect.EventType{qbconnect.EventWriteFailed}}
	_, err := hooks.CreateWebhook(ctx, a)
	must(t, err)
	b := &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/b"}
	_, err = hooks.CreateWebhook(ctx, b)
	must(t, err)
	off := false
	_, err = hooks.UpdateWebhook(ctx, org.ID, a.ID, qbconnect.WebhookPatch{Enabled: &off})
	must(t, err)

	ev := &qbconnect.Event{Type: qbconnect.EventWebhookTest, OrgID: org.ID, Data: json.RawMessage(`{"webhookId":"` + a.ID + `"}`)}
	testID, err := hooks.RecordTestEvent(ctx, a.ID, ev)
	must(t, err)
	target, err := hooks.Delivery(ctx, testID)
	must(t, err)
	if target.Delivery.EndpointID != a.ID || target.Event.ID != ev.ID || target.Event.Type != qbconnect.EventWebhookTest || target.Delivery.Status != qbconnect.DeliveryPending {
		t.Errorf("test delivery: %+v of %+v", target.Delivery, target.Event)
	}
	_, err = hooks.RecordTestEvent(ctx, a.ID, &qbconnect.Event{Type: qbconnect.EventWebhookTest, OrgID: other.ID})
	wantCode(t, err, qbconnect.ENotFound)

	ids, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventWriteFailed, OrgID: org.ID})
	must(t, err)
	if len(ids) != 1 {
		t.Fatalf("deliveries %v, want one (to b)", ids)
	}
	must(t, hooks.MarkEnqueued(ctx, ids))
	_, err = hooks.RecordAttempt(ctx, ids[0], qbconnect.WebhookAttempt{At: e.Clock.Now(), StatusCode: 500}, qbconnect.DeliveryFailed)
	must(t, err)
	e.Clock.Advance(time.Second)
	replayID, err := hooks.ReplayDelivery(ctx, org.ID, b.ID, ids[0])
	must(t, err)
	replay, err := hooks.Delivery(ctx, replayID)
	must(t, err)
	first, err := hooks.Delivery(ctx, ids[0])
	must(t, err)
	if replayID == ids[0] || replay.Delivery.ReplayOf != ids[0] || replay.Event.ID != first.Event.ID || string(replay.Event.Data) != string(first.Event.Data) ||
		replay.Delivery.Status != qbconnect.DeliveryPending || len(replay.Delivery.Attempts) != 0 {
		t.Errorf("replay %+v of %+v", replay.Delivery, first.Delivery)
	}
	_, err = hooks.ReplayDelivery(ctx, org.ID, a.ID, ids[0])
	wantCode(t, err, qbconnect.ENotFound)
	_, err = hooks.ReplayDelivery(ctx, other.ID, b.ID, ids[0])
	wantCode(t, err, qbconnect.ENotFound)
	_, err = hooks.ReplayDelivery(ctx, org.ID, b.ID, "dlv_unknown")
	wantCode(t, err, qbconnect.ENotFound)

	page, _, err := hooks.ListDeliveries(ctx, org.ID, b.ID, 0, "")
	must(t, err)
	if len(page) != 2 || page[0].ID != replayID || page[0].ReplayOf != ids[0] || page[1].ReplayOf != "" {
		t.Errorf("b's log: %+v", page)
	}
	unqueued, err := hooks.Unenqueued(ctx, e.Clock.Now().Add(time.Hour), 10)
	must(t, err)
	if len(unqueued) != 0 {
		t.Errorf("the sweep would start %v; test events and replays are sent by their caller", unqueued)
	}
}
