package store_test

import (
	"context"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// TestOnDemandTriggerIsMigratedToSnakeCase: sync states and runs that an
// earlier version stored with the trigger "onDemand" read back as
// "on_demand" once migration 01030 ran (so do the sync events' stored
// payloads), and a row an earlier process writes after the migration
// (during a rolling upgrade) reads back the same way.
func TestOnDemandTriggerIsMigratedToSnakeCase(t *testing.T) {
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		ctx := context.Background()
		dsn := newDSN(t)
		e := storetest.NewEnv(t, dsn, store.Options{})
		syncs := store.NewSyncStore(e.DB)
		org := e.Org(t, "Acme")
		co := e.Company(t, org.ID, "Harbor")
		st := &qbconnect.SyncState{CompanyID: co.ID, OrgID: org.ID, DataType: "customers", Status: qbconnect.SyncQueued,
			RunID: "run_1", Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
		run := &qbconnect.SyncRun{ID: "run_1", OrgID: org.ID, CompanyID: co.ID, DataType: "customers", Mode: qbconnect.SyncFull,
			Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()}
		if _, _, err := syncs.StartSyncPass(ctx, st, run); err != nil {
			t.Fatal(err)
		}

		// The database as a version before the migration left it.
		raw := rawDB(t, dsn)
		exec := func(q string) {
			t.Helper()
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`UPDATE sync_states SET trigger_by = 'onDemand'`)
		exec(`UPDATE sync_runs SET trigger_by = 'onDemand'`)
		exec(`INSERT INTO webhook_events (id, org_id, company_id, type, data, created_at)
			VALUES ('evt_old', 'org', 'cmp', 'sync.completed', '{"dataType":"customers","status":"Complete","trigger":"onDemand"}', 0)`)
		if err := store.MigrateDownTo(ctx, e.DB, 1029); err != nil { // 01030 and those after it, which apply again as they are
			t.Fatal(err)
		}

		storetest.OpenEnv(t, dsn, store.Options{}, e.Clock) // applies 01030 (and the later ones) again
		for _, table := range []string{"sync_states", "sync_runs"} {
			var got string
			if err := raw.QueryRowContext(ctx, "SELECT trigger_by FROM "+table).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != "on_demand" {
				t.Errorf("%s.trigger_by after the migration = %q, want on_demand", table, got)
			}
		}

		var data string
		if err := raw.QueryRowContext(ctx, "SELECT data FROM webhook_events WHERE id = 'evt_old'").Scan(&data); err != nil {
			t.Fatal(err)
		}
		if want := `{"dataType":"customers","status":"Complete","trigger":"on_demand"}`; data != want {
			t.Errorf("a stored sync.completed payload after the migration = %s, want %s", data, want)
		}

		exec(`UPDATE sync_states SET trigger_by = 'onDemand'`)
		exec(`UPDATE sync_runs SET trigger_by = 'onDemand'`)
		gotState, err := syncs.FindSyncState(ctx, co.ID, "customers")
		if err != nil {
			t.Fatal(err)
		}
		gotRun, err := syncs.FindSyncRun(ctx, org.ID, "run_1")
		if err != nil {
			t.Fatal(err)
		}
		if gotState.Trigger != qbconnect.TriggerOnDemand || gotRun.Trigger != qbconnect.TriggerOnDemand {
			t.Errorf("an earlier version's row reads as state %q, run %q; want %q", gotState.Trigger, gotRun.Trigger, qbconnect.TriggerOnDemand)
		}
	})
}
