package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The sync store's and the link-attempt counter's conformance scenarios.

// testSyncPassLifecycle: a pass starts once per data type, its state and
// run read back (with why the pass is full), a second start while it runs changes nothing, a save
// with a stale key is a conflict, and the history lists newest first with
// other organisations kept out.
func testSyncPassLifecycle(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	co := e.Company(t, org.ID, "Harbor")

	_, err := syncs.FindSyncState(ctx, co.ID, "customers")
	wantCode(t, err, qbconnect.ENotFound)

	start := func(typ, runID string) (*qbconnect.SyncState, bool) {
		t.Helper()
		st := &qbconnect.SyncState{CompanyID: co.ID, OrgID: org.ID, DataType: typ, Status: qbconnect.SyncQueued,
			RunID: runID, Mode: qbconnect.SyncFull, FullReason: qbconnect.FullFirstSync, Trigger: qbconnect.TriggerOnDemand}
		run := &qbconnect.SyncRun{ID: runID, OrgID: org.ID, CompanyID: co.ID, DataType: typ, Mode: qbconnect.SyncFull,
			FullReason: qbconnect.FullFirstSync, Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()}
		got, started, err := syncs.StartSyncPass(ctx, st, run)
		must(t, err)
		return got, started
	}
	st, started := start("customers", "run_1")
	if !started || st.RunID != "run_1" || st.Status != qbconnect.SyncQueued {
		t.Fatalf("first start: started=%v state %+v", started, st)
	}
	if again, started := start("customers", "run_2"); started || again.RunID != "run_1" {
		t.Fatalf("a second start while the pass runs: started=%v run %q, want false and run_1", started, again.RunID)
	}
	e.Clock.Advance(time.Second)
	start("invoices", "run_3")

	active, err := syncs.ActiveSyncStates(ctx)
	must(t, err)
	if len(active) != 2 {
		t.Fatalf("active states = %d, want 2", len(active))
	}

	// The engine ingests a page: the state moves on under its key; a
	// duplicate result carrying the old key is refused.
	key := store.KeyOf(st)
	st.Status, st.Pages, st.Fetched = qbconnect.SyncFetching, 1, 10
	must(t, syncs.SaveSyncState(ctx, st, nil, key))
	wantCode(t, syncs.SaveSyncState(ctx, st, nil, key), qbconnect.EConflict)

	// The pass completes, in the state and the run at once.
	done := e.Clock.Now()
	key = store.KeyOf(st)
	st.Status, st.LastCompleteAt = qbconnect.SyncComplete, &done
	run := &qbconnect.SyncRun{ID: "run_1", OrgID: org.ID, CompanyID: co.ID, DataType: "customers", Mode: qbconnect.SyncFull,
		Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncComplete, Pages: 1, Fetched: 10, StartedAt: done, FinishedAt: &done}
	must(t, syncs.SaveSyncState(ctx, st, run, key))
	got, err := syncs.FindSyncState(ctx, co.ID, "customers")
	must(t, err)
	if got.Status != qbconnect.SyncComplete || got.Fetched != 10 || got.LastCompleteAt == nil || got.FullReason != qbconnect.FullFirstSync {
		t.Errorf("state after completion = %+v", got)
	}
	gotRun, err := syncs.FindSyncRun(ctx, org.ID, "run_1")
	must(t, err)
	if gotRun.Status != qbconnect.SyncComplete || gotRun.Fetched != 10 || gotRun.FinishedAt == nil || gotRun.FullReason != qbconnect.FullFirstSync {
		t.Errorf("run after completion = %+v", gotRun)
	}
	_, err = syncs.FindSyncRun(ctx, other.ID, "run_1")
	wantCode(t, err, qbconnect.ENotFound)

	states, err := syncs.ListSyncStates(ctx, co.ID)
	must(t, err)
	if len(states) != 2 {
		t.Errorf("states = %d, want 2", len(states))
	}
	runs, next, err := syncs.ListSyncRuns(ctx, qbconnect.SyncRunFilter{OrgID: org.ID, CompanyID: co.ID, Limit: 1})
	must(t, err)
	if len(runs) != 1 || runs[0].ID != "run_3" || next == "" {
		t.Fatalf("first page of runs = %d (next %q), want run_3 then more", len(runs), next)
	}
	runs, next, err = syncs.ListSyncRuns(ctx, qbconnect.SyncRunFilter{OrgID: org.ID, CompanyID: co.ID, Limit: 1, Cursor: next})
	must(t, err)
	if len(runs) != 1 || runs[0].ID != "run_1" {
		t.Fatalf("second page of runs = %+v, want run_1", runs)
	}
	if next != "" {
		runs, _, err = syncs.ListSyncRuns(ctx, qbconnect.SyncRunFilter{OrgID: org.ID, CompanyID: co.ID, Limit: 1, Cursor: next})
		must(t, err)
		if len(runs) != 0 {
			t.Errorf("a third page of runs: %+v", runs)
		}
	}
	_, _, err = syncs.ListSyncRuns(ctx, qbconnect.SyncRunFilter{OrgID: other.ID, CompanyID: co.ID})
	wantCode(t, err, qbconnect.ENotFound)
}

// testLinkAttemptsCountPerWindow: failures count per key within a window
// and start again from one when the window has ended.
func testLinkAttemptsCountPerWindow(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	attempts := store.NewLinkAttemptStore(e.DB)
	const window = time.Minute
	now := e.Clock.Now()
	n, ends, err := attempts.Failures(ctx, "10.0.0.1", now, window)
	must(t, err)
	if n != 0 || !ends.Equal(now.Add(window)) {
		t.Fatalf("no failures yet: %d, window ends %v", n, ends)
	}
	for range 3 {
		must(t, attempts.Fail(ctx, "10.0.0.1", now, window))
	}
	must(t, attempts.Fail(ctx, "10.0.0.2", now, window))
	if n, _, err := attempts.Failures(ctx, "10.0.0.1", now.Add(30*time.Second), window); err != nil || n != 3 {
		t.Fatalf("failures of 10.0.0.1 = %d, %v; want 3", n, err)
	}
	if n, _, err := attempts.Failures(ctx, "10.0.0.2", now, window); err != nil || n != 1 {
		t.Fatalf("failures of 10.0.0.2 = %d, %v; want 1", n, err)
	}
	later := now.Add(window)
	if n, _, err := attempts.Failures(ctx, "10.0.0.1", later, window); err != nil || n != 0 {
		t.Fatalf("failures after the window = %d, %v; want 0", n, err)
	}
	must(t, attempts.Fail(ctx, "10.0.0.1", later, window))
	if n, ends, err := attempts.Failures(ctx, "10.0.0.1", later, window); err != nil || n != 1 || !ends.Equal(later.Add(window)) {
		t.Fatalf("a failure in a new window = %d (ends %v), %v; want 1", n, ends, err)
	}
}

// testSyncPassesStartTogether: StartSyncPasses records a company's passes,
// one sync, each with its first page queued and named by its state,
// leaves a type whose pass is under way alone, and records nothing when a
// page cannot be queued.
func testSyncPassesStartTogether(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	pass := func(typ, runID, syncID string) store.PassStart {
		return store.PassStart{
			State: &qbconnect.SyncState{CompanyID: co, OrgID: org.ID, DataType: typ, Status: qbconnect.SyncQueued,
				RunID: runID, Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand},
			Run: &qbconnect.SyncRun{ID: runID, OrgID: org.ID, CompanyID: co, DataType: typ, Mode: qbconnect.SyncFull,
				Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now(), SyncID: syncID},
			Page: &qbconnect.Operation{OrgID: org.ID, CompanyID: co, Kind: qbconnect.OpSync, Request: "<page of " + typ + ">",
				IdempotencyKey: "page:" + runID},
		}
	}
	states, started, err := syncs.StartSyncPasses(ctx, []store.PassStart{pass("invoices", "run_1", "snc_1"), pass("customers", "run_2", "snc_1")})
	must(t, err)
	if started != 2 || len(states) != 2 || states[0].DataType != "invoices" || states[1].DataType != "customers" {
		t.Fatalf("started %d, states %+v", started, states)
	}
	for _, st := range states {
		op, err := e.Queue.FindOperation(ctx, org.ID, st.OpID)
		must(t, err)
		if op.Request != "<page of "+st.DataType+">" || op.Status != qbconnect.OpQueued {
			t.Errorf("%s: its state names operation %+v", st.DataType, op)
		}
		run, err := syncs.FindSyncRun(ctx, org.ID, st.RunID)
		must(t, err)
		if run.SyncID != "snc_1" || run.DataType != st.DataType {
			t.Errorf("%s: run %+v", st.DataType, run)
		}
	}
	// The connector gets the first pages in the order they were given.
	if l := e.Lease(t, conn.ConnectorID, time.Minute); l == nil || l.Operation.ID != states[0].OpID {
		t.Errorf("first lease %+v, want the invoices page %s", l, states[0].OpID)
	}

	// Invoices are under way: only bills start.
	states, started, err = syncs.StartSyncPasses(ctx, []store.PassStart{pass("invoices", "run_3", "snc_2"), pass("bills", "run_4", "snc_2")})
	must(t, err)
	if started != 1 || states[0].RunID != "run_1" || states[1].RunID != "run_4" {
		t.Errorf("started %d, runs %s and %s, want 1, run_1 and run_4", started, states[0].RunID, states[1].RunID)
	}

	// A page that cannot be queued (another organisation's company) keeps
	// every pass of the call out.
	bad := pass("vendors", "run_6", "snc_3")
	bad.Page.OrgID = e.Org(t, "Other").ID
	_, _, err = syncs.StartSyncPasses(ctx, []store.PassStart{pass("accounts", "run_5", "snc_3"), bad})
	if err == nil {
		t.Fatal("a pass whose page cannot be queued started")
	}
	for _, typ := range []string{"accounts", "vendors"} {
		_, err := syncs.FindSyncState(ctx, co, typ)
		wantCode(t, err, qbconnect.ENotFound)
	}
}

// testSyncRunEndsOnceWhenItsLastPassEnds: the passes started with one
// SyncID end as one sync: OnPassEnd runs at each pass's end, OnRunEnd once,
// at the last one's, with a count per data type and why each pass was
// full; a pass started alone
// ends no sync; a hook's error rolls the pass's end back.
func testSyncRunEndsOnceWhenItsLastPassEnds(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	co := e.Company(t, org.ID, "Harbor")
	var passes []string
	var sums []*qbconnect.SyncSummary
	var failRun error
	syncs.OnPassEnd(func(_ context.Context, _ qbconnect.EventRecorder, st *qbconnect.SyncState) error {
		passes = append(passes, st.RunID)
		return nil
	})
	syncs.OnRunEnd(func(_ context.Context, _ qbconnect.EventRecorder, s *qbconnect.SyncSummary) error {
		if failRun != nil {
			return failRun
		}
		sums = append(sums, s)
		return nil
	})
	started := e.Clock.Now()
	start := func(typ, runID, syncID string) *qbconnect.SyncState {
		t.Helper()
		st := &qbconnect.SyncState{CompanyID: co.ID, OrgID: org.ID, DataType: typ, Status: qbconnect.SyncQueued,
			RunID: runID, Mode: qbconnect.SyncFull, FullReason: qbconnect.FullRequested, Trigger: qbconnect.TriggerOnDemand}
		run := &qbconnect.SyncRun{ID: runID, OrgID: org.ID, CompanyID: co.ID, DataType: typ, Mode: qbconnect.SyncFull,
			FullReason: qbconnect.FullRequested, Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now(), SyncID: syncID}
		got, ok, err := syncs.StartSyncPass(ctx, st, run)
		must(t, err)
		if !ok {
			t.Fatalf("%s did not start", runID)
		}
		return got
	}
	end := func(st *qbconnect.SyncState, status qbconnect.SyncStatus, fetched int) error {
		t.Helper()
		key := store.KeyOf(st)
		done := e.Clock.Now()
		next := *st
		next.Status, next.Fetched, next.Pages = status, fetched, 1
		run := &qbconnect.SyncRun{ID: st.RunID, Status: status, Pages: 1, Fetched: fetched, FinishedAt: &done}
		if status == qbconnect.SyncFailed {
			run.Error = &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "QuickBooks refused"}
			next.Error = run.Error
		}
		return syncs.SaveSyncState(ctx, &next, run, key)
	}

	customers := start("customers", "run_1", "snc_1")
	invoices := start("invoices", "run_2", "snc_1")
	vendors := start("vendors", "run_3", "")
	run, err := syncs.FindSyncRun(ctx, org.ID, "run_2")
	must(t, err)
	if run.SyncID != "snc_1" {
		t.Errorf("run_2's sync = %q, want snc_1", run.SyncID)
	}

	e.Clock.Advance(time.Minute)
	must(t, end(customers, qbconnect.SyncComplete, 10))
	must(t, end(vendors, qbconnect.SyncComplete, 3))
	if len(sums) != 0 {
		t.Fatalf("a sync ended while one of its passes ran: %+v", sums)
	}
	e.Clock.Advance(time.Minute)
	must(t, end(invoices, qbconnect.SyncFailed, 4))
	if diff := cmp.Diff([]string{"run_1", "run_3", "run_2"}, passes); diff != "" {
		t.Errorf("pass ends (-want +got):\n%s", diff)
	}
	want := &qbconnect.SyncSummary{ID: "snc_1", OrgID: org.ID, CompanyID: co.ID, Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncFailed,
		StartedAt: started, FinishedAt: e.Clock.Now(), DataTypes: []qbconnect.SyncTypeSummary{
			{DataType: "customers", RunID: "run_1", Mode: qbconnect.SyncFull, FullReason: qbconnect.FullRequested, Status: qbconnect.SyncComplete, Pages: 1, Fetched: 10},
			{DataType: "invoices", RunID: "run_2", Mode: qbconnect.SyncFull, FullReason: qbconnect.FullRequested, Status: qbconnect.SyncFailed, Pages: 1, Fetched: 4,
				Error: &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "QuickBooks refused"}},
		}}
	if len(sums) != 1 {
		t.Fatalf("sync ends = %d, want 1", len(sums))
	}
	if diff := cmp.Diff(want, sums[0], cmpopts.IgnoreUnexported(qbconnect.Error{})); diff != "" {
		t.Errorf("the sync's summary (-want +got):\n%s", diff)
	}

	// A hook that fails rolls the pass's end back; the retry ends it.
	customers = start("customers", "run_4", "snc_2")
	failRun = errors.New("outbox unavailable")
	if err := end(customers, qbconnect.SyncComplete, 1); err == nil {
		t.Fatal("the pass ended although the sync's hook failed")
	}
	st, err := syncs.FindSyncState(ctx, co.ID, "customers")
	must(t, err)
	if st.Status != qbconnect.SyncQueued {
		t.Errorf("after the hook's failure the state is %s, want it unchanged (Queued)", st.Status)
	}
	failRun = nil
	must(t, end(customers, qbconnect.SyncComplete, 1))
	if len(sums) != 2 || sums[1].ID != "snc_2" || sums[1].Status != qbconnect.SyncComplete {
		t.Errorf("the second sync's end: %+v", sums[1:])
	}
}
