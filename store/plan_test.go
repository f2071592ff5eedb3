package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// TestLookupsByIDReadOneRowBeforeTheTablesAreAnalysed: PostgreSQL plans a
// statement the store runs often once for all its parameters (a generic
// plan), and before autovacuum has analysed a new table it cannot tell an
// index led by org_id from the unique index on id: a lookup by
// organisation and ID then walked every row of the organisation (7,500
// buffers per operation lookup in the 10,000-connector benchmark). With
// generic plans forced on a fresh schema, looking operations, connections
// and companies up by ID, and queueing work for a connection named by its
// ID, scans only each table's unique ID index.
func TestLookupsByIDReadOneRowBeforeTheTablesAreAnalysed(t *testing.T) {
	dsn := postgresDSN(t)(t)
	e := storetest.NewEnv(t, dsn+"&plan_cache_mode=force_generic_plan", store.Options{})
	ctx := context.Background()
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, 1, "<CustomerQueryRq/>")

	admin, schema := statsReader(t, dsn)
	scans := func(index string) int64 {
		var n int64
		if err := admin.QueryRow(`SELECT COALESCE(SUM(idx_scan), 0) FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname = $2`,
			schema, index).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const lookups = 200
	type table struct {
		name, byOrg string
		// find looks a row of the table up by its ID perFind times.
		find                func() error
		perFind             int64
		idBefore, orgBefore int64
	}
	tables := []*table{
		{name: "operations", byOrg: "operations_org", perFind: 1, find: func() error { _, err := e.Queue.FindOperation(ctx, org.ID, op.ID); return err }},
		{name: "connections", byOrg: "connections_company", perFind: 2, find: func() error {
			if _, err := e.Connections.FindConnection(ctx, org.ID, conn.ID); err != nil {
				return err
			}
			_, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpQBXML, Request: "<CustomerQueryRq/>"})
			return err
		}},
		{name: "companies", byOrg: "companies_org", perFind: 1, find: func() error { _, err := e.Companies.FindCompany(ctx, org.ID, conn.CompanyID); return err }},
	}
	for _, tab := range tables {
		tab.idBefore, tab.orgBefore = scans(tab.name+"_id_key"), scans(tab.byOrg)
		for range lookups {
			if err := tab.find(); err != nil {
				t.Fatalf("find in %s: %v", tab.name, err)
			}
		}
	}
	// An idle connection publishes its statistics within about ten
	// seconds.
	wait.For(t, "every lookup counted", 30*time.Second, func() (bool, string) {
		for _, tab := range tables {
			id, byOrg := scans(tab.name+"_id_key")-tab.idBefore, scans(tab.byOrg)-tab.orgBefore
			if id+byOrg < lookups*tab.perFind {
				return false, fmt.Sprintf("%d lookups in %s scanned %s_id_key %d times and %s %d times", lookups*tab.perFind, tab.name, tab.name, id, tab.byOrg, byOrg)
			}
		}
		return true, ""
	})
	for _, tab := range tables {
		if got := scans(tab.byOrg) - tab.orgBefore; got >= lookups {
			t.Errorf("%d lookups in %s scanned %s %d times; want them all through %s_id_key", lookups*tab.perFind, tab.name, tab.byOrg, got, tab.name)
		}
	}
}

// TestTheEndOfAPassFindsTheOtherPassesOfItsSyncByIndex: when a pass ends,
// the store checks whether the other passes of its company's sync are
// over (to end the sync once). sync_runs holds every pass ever run, and
// its index on the sync is partial (for a non-empty group_id): under a generic
// plan, a lookup by group_id alone cannot use it and read the whole
// table at every pass's end. With generic plans forced, ending 30 passes
// of a 31-pass sync goes through the index.
func TestTheEndOfAPassFindsTheOtherPassesOfItsSyncByIndex(t *testing.T) {
	dsn := postgresDSN(t)(t)
	e := storetest.NewEnv(t, dsn+"&plan_cache_mode=force_generic_plan", store.Options{})
	ctx := context.Background()
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	syncs := store.NewSyncStore(e.DB)
	syncs.OnRunEnd(func(context.Context, qbconnect.EventRecorder, *qbconnect.SyncSummary) error { return nil })

	admin, schema := statsReader(t, dsn)
	counts := func() (seq, byGroup int64) {
		if err := admin.QueryRow(`SELECT t.seq_scan, COALESCE(i.idx_scan, 0) FROM pg_stat_user_tables t
			LEFT JOIN pg_stat_user_indexes i ON i.relid = t.relid AND i.indexrelname = 'sync_runs_group'
			WHERE t.schemaname = $1 AND t.relname = 'sync_runs'`, schema).Scan(&seq, &byGroup); err != nil {
			t.Fatal(err)
		}
		return seq, byGroup
	}

	const passes = 31
	var states []*qbconnect.SyncState
	for i := range passes {
		typ := fmt.Sprintf("type%02d", i)
		st := &qbconnect.SyncState{CompanyID: conn.CompanyID, OrgID: org.ID, DataType: typ, Status: qbconnect.SyncQueued,
			RunID: "run_" + typ, Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
		run := &qbconnect.SyncRun{ID: st.RunID, OrgID: org.ID, CompanyID: conn.CompanyID, DataType: typ, Mode: qbconnect.SyncFull,
			Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now(), SyncID: "sync_1"}
		st, _, err := syncs.StartSyncPass(ctx, st, run)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	seqBefore, groupBefore := counts()
	for _, st := range states[:passes-1] {
		done := *st
		done.Status = qbconnect.SyncComplete
		now := e.Clock.Now()
		if err := syncs.SaveSyncState(ctx, &done, &qbconnect.SyncRun{ID: st.RunID, Status: qbconnect.SyncComplete, FinishedAt: &now},
			store.KeyOf(st)); err != nil {
			t.Fatal(err)
		}
	}
	// An idle connection publishes its statistics within about ten
	// seconds.
	wait.For(t, "every pass end counted", 30*time.Second, func() (bool, string) {
		seq, byGroup := counts()
		if seq-seqBefore+byGroup-groupBefore < passes-1 {
			return false, fmt.Sprintf("%d pass ends scanned sync_runs %d times and sync_runs_group %d times", passes-1, seq-seqBefore, byGroup-groupBefore)
		}
		return true, ""
	})
	if seq, _ := counts(); seq-seqBefore >= passes-1 {
		t.Errorf("%d pass ends read the whole of sync_runs %d times; want them to go through sync_runs_group", passes-1, seq-seqBefore)
	}
}

// statsReader opens a connection to the test server outside the schema of
// dsn, for reading PostgreSQL's statistics of that schema (its name is
// returned too); it is closed when the test ends.
func statsReader(t *testing.T, dsn string) (*sql.DB, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv("QBCONNECT_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin, u.Query().Get("search_path")
}
