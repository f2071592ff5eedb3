package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/store"
)

// TestAWebhookDeliveryRunningWhenItsProcessDiedIsRetriedWithinMinutes: a
// process died while its River client ran a webhook delivery, five
// minutes ago: the job is still marked running. After a restart, River's
// rescuer takes it for stuck (running longer than the job timeout plus a
// minute, not River's default hour) and the delivery is sent.
func TestAWebhookDeliveryRunningWhenItsProcessDiedIsRetriedWithinMinutes(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "hooks.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	got := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(notify.HeaderDeliveryID)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	org, err := store.NewOrgStore(db).CreateOrg(ctx, "Lender")
	if err != nil {
		t.Fatal(err)
	}
	newWebhooks := func() (*notify.Jobs, *notify.Webhooks) {
		t.Helper()
		// The rescue time is the default one: only the scheduling of
		// retries is quickened.
		jobs, err := notify.NewJobs(notify.JobsConfig{SQLite: db.SQLDB(), PollInterval: 50 * time.Millisecond,
			RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		hooks, err := notify.NewWebhooks(notify.WebhooksConfig{Store: store.NewWebhookStore(db), Jobs: jobs, AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		return jobs, hooks
	}

	// The process that died: its jobs' tables, an endpoint, an event with
	// its delivery, and the delivery's job as River left it running.
	jobs, hooks := newWebhooks()
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := hooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: receiver.URL + "/hooks"}); err != nil {
		t.Fatal(err)
	}
	ids, err := hooks.RecordEvent(ctx, &qbconnect.Event{Type: qbconnect.EventSyncCompleted, OrgID: org.ID, Data: []byte(`{}`)})
	if err != nil || len(ids) != 1 {
		t.Fatalf("record event = %v, %v", ids, err)
	}
	if _, err := db.SQLDB().ExecContext(ctx, `INSERT INTO river_job (args, attempt, attempted_at, attempted_by, kind, max_attempts, state, scheduled_at)
		VALUES (jsonb(json_object('deliveryId', ?)), 1, datetime('now', '-5 minutes', 'subsec'), jsonb('["the-dead-process"]'),
		'qbconnect_webhook_delivery', 4, 'running', datetime('now', '-5 minutes', 'subsec'))`, ids[0]); err != nil {
		t.Fatal(err)
	}

	// The restart. Its sweep, which starts deliveries without a job, does
	// not run (Webhooks.Start is not called): the rescue alone delivers.
	jobs, _ = newWebhooks()
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jobs.Stop(context.Background()) })
	select {
	case id := <-got:
		if id != ids[0] {
			t.Errorf("delivered %q, want %q", id, ids[0])
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the delivery whose job was running when its process died was not retried within 90 s")
	}
}

// TestJobsRefuseARescueTimeShorterThanTheJobTimeout: River would rescue
// jobs that still run.
func TestJobsRefuseARescueTimeShorterThanTheJobTimeout(t *testing.T) {
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "jobs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, err = notify.NewJobs(notify.JobsConfig{SQLite: db.SQLDB(), JobTimeout: 2 * time.Minute, RescueAfter: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "RescueAfter") {
		t.Errorf("NewJobs with RescueAfter < JobTimeout = %v, want an error naming RescueAfter", err)
	}
}
