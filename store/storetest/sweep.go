package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// testAFullPassSweepsTheRecordsItDidNotReturn: the last page of a full
// pass marks deleted the records of its company and type that no page of
// the pass returned (SyncPage.SweepUnseen), but not those written since
// the pass started (a client's write), not those another attempt of the
// pass returned, not another type's; the records it returned keep their
// UpdatedAt when unchanged, inactive ones included. A page of an
// incremental pass sweeps nothing.
func testAFullPassSweepsTheRecordsItDidNotReturn(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	rec := func(typ, id, seq string, active bool) *qbconnect.Record {
		return &qbconnect.Record{CompanyID: co, Type: typ, ID: id, EditSequence: seq, Name: id, Active: active,
			ModifiedAt: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(fmt.Sprintf(`{"listId":%q,"editSequence":%q}`, id, seq))}
	}
	// pass runs a pass of customers whose pages upsert pages[i], and
	// sweeps on its last page; it returns what the sweep marked.
	pass := func(run string, mode qbconnect.SyncMode, pages ...[]*qbconnect.Record) int {
		t.Helper()
		st := &qbconnect.SyncState{CompanyID: co, OrgID: org.ID, DataType: "customers", Status: qbconnect.SyncQueued, RunID: run, Mode: mode,
			Trigger: qbconnect.TriggerOnDemand}
		st, started, err := syncs.StartSyncPass(ctx, st, &qbconnect.SyncRun{ID: run, OrgID: org.ID, CompanyID: co, DataType: "customers",
			Mode: mode, Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()})
		must(t, err)
		if !started {
			t.Fatalf("pass %s did not start", run)
		}
		swept := 0
		for i, page := range pages {
			p, err := syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(st))
			must(t, err)
			for _, r := range page {
				must(t, p.Upsert(r))
			}
			next := *st
			next.Status, next.Pages = qbconnect.SyncFetching, st.Pages+1
			if i == len(pages)-1 {
				ids, err := p.SweepUnseen()
				must(t, err)
				swept = len(ids)
				next.Status = qbconnect.SyncComplete
			}
			must(t, p.Commit(&next, nil))
			st = &next
		}
		return swept
	}
	live := func() []string {
		t.Helper()
		list, _, err := e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: org.ID, CompanyID: co, Type: "customers", Limit: 100})
		must(t, err)
		var ids []string
		for _, r := range list {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		return ids
	}

	// The first pass stores A to E (E inactive) and sweeps nothing: every
	// record is its own.
	if n := pass("run_1", qbconnect.SyncFull, []*qbconnect.Record{rec("customers", "A", "1", true), rec("customers", "B", "1", true)},
		[]*qbconnect.Record{rec("customers", "C", "1", true), rec("customers", "D", "1", true), rec("customers", "E", "1", false)}); n != 0 {
		t.Errorf("a first pass swept %d records", n)
	}
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{rec("vendors", "V", "1", true)}))
	before, err := e.Records.FindRecord(ctx, org.ID, co, "customers", "A")
	must(t, err)

	// A day later an incremental pass returns only B: it sweeps nothing.
	e.Clock.Advance(24 * time.Hour)
	if n := pass("run_2", qbconnect.SyncIncremental, []*qbconnect.Record{rec("customers", "B", "1", true)}); n != 0 {
		t.Errorf("an incremental pass swept %d records", n)
	}

	// A full pass returns A (unchanged), B (changed) and E (inactive);
	// between its pages a client's write stores F, which QuickBooks
	// holds but the pass does not return. C and D are gone.
	e.Clock.Advance(time.Hour)
	st := &qbconnect.SyncState{CompanyID: co, OrgID: org.ID, DataType: "customers", Status: qbconnect.SyncQueued, RunID: "run_3",
		Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
	st, _, err = syncs.StartSyncPass(ctx, st, &qbconnect.SyncRun{ID: "run_3", OrgID: org.ID, CompanyID: co, DataType: "customers",
		Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()})
	must(t, err)
	p, err := syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(st))
	must(t, err)
	must(t, p.Upsert(rec("customers", "A", "1", true)))
	must(t, p.Upsert(rec("customers", "B", "2", true)))
	next := *st
	next.Status, next.Pages = qbconnect.SyncFetching, 1
	must(t, p.Commit(&next, nil))
	e.Clock.Advance(time.Minute)
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{rec("customers", "F", "1", true)}))
	p, err = syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(&next))
	must(t, err)
	must(t, p.Upsert(rec("customers", "E", "1", false)))
	ids, err := p.SweepUnseen()
	must(t, err)
	slices.Sort(ids)
	last := next
	last.Status, last.Pages = qbconnect.SyncComplete, 2
	must(t, p.Commit(&last, nil))
	if want := []string{"C", "D"}; !slices.Equal(ids, want) {
		t.Errorf("the full pass swept %v, want %v", ids, want)
	}
	if got, want := live(), []string{"A", "B", "E", "F"}; !slices.Equal(got, want) {
		t.Errorf("live customers %v, want %v", got, want)
	}
	gone, err := e.Records.FindRecord(ctx, org.ID, co, "customers", "C")
	must(t, err)
	if !gone.Deleted || !gone.UpdatedAt.Equal(e.Clock.Now()) || !gone.ModifiedAt.Equal(before.ModifiedAt) {
		t.Errorf("swept C is %+v, want deleted, updated now, its ModifiedAt kept", gone)
	}
	a, err := e.Records.FindRecord(ctx, org.ID, co, "customers", "A")
	must(t, err)
	if !a.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("an unchanged record the full pass returned moved its UpdatedAt from %v to %v", before.UpdatedAt, a.UpdatedAt)
	}
	if v, err := e.Records.FindRecord(ctx, org.ID, co, "vendors", "V"); err != nil || v.Deleted {
		t.Errorf("another type's record: %v, %+v", err, v)
	}

	// A pass that restarts keeps what its earlier attempt returned: at
	// worst a deletion waits for the next full pass, never too much.
	e.Clock.Advance(time.Hour)
	st = &qbconnect.SyncState{CompanyID: co, OrgID: org.ID, DataType: "customers", Status: qbconnect.SyncQueued, RunID: "run_4",
		Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
	st, _, err = syncs.StartSyncPass(ctx, st, &qbconnect.SyncRun{ID: "run_4", OrgID: org.ID, CompanyID: co, DataType: "customers",
		Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()})
	must(t, err)
	p, err = syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(st))
	must(t, err)
	for _, id := range []string{"A", "B", "E", "F"} {
		must(t, p.Upsert(rec("customers", id, map[string]string{"B": "2"}[id]+"1", id != "E")))
	}
	next = *st
	next.Status, next.Pages = qbconnect.SyncFetching, 1
	must(t, p.Commit(&next, nil))
	restarted := next
	restarted.Restarts, restarted.Pages = 1, 0
	must(t, syncs.SaveSyncState(ctx, &restarted, nil, store.KeyOf(&next)))
	p, err = syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(&restarted))
	must(t, err)
	must(t, p.Upsert(rec("customers", "A", "1", true)))
	if ids, err = p.SweepUnseen(); err != nil || len(ids) != 0 {
		t.Errorf("the restarted pass swept %v (%v), want none", ids, err)
	}
	p.Rollback()
}
