package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The sync page's conformance scenario: a page's records, deletions, next
// operation and checkpoint are written together or not at all.

// testSyncPageWritesWholeOrNothing: a page starts only at the awaited
// checkpoint; its upserts (more than a batch, a repeated ID keeping the
// last), deletions, queued operation and new state commit together; a
// rolled-back page leaves nothing; a replayed page is refused.
func testSyncPageWritesWholeOrNothing(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID

	_, err := syncs.BeginSyncPage(ctx, co, "customers", store.SyncKey{RunID: "run_1"})
	wantCode(t, err, qbconnect.ENotFound)
	st := &qbconnect.SyncState{CompanyID: co, OrgID: org.ID, DataType: "customers", Status: qbconnect.SyncQueued,
		RunID: "run_1", Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
	run := &qbconnect.SyncRun{ID: "run_1", OrgID: org.ID, CompanyID: co, DataType: "customers", Mode: qbconnect.SyncFull,
		Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()}
	st, _, err = syncs.StartSyncPass(ctx, st, run)
	must(t, err)
	key := store.KeyOf(st)
	_, err = syncs.BeginSyncPage(ctx, co, "customers", store.SyncKey{RunID: "run_0"})
	wantCode(t, err, qbconnect.EConflict)

	modified := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	rec := func(i int, name string) *qbconnect.Record {
		return &qbconnect.Record{ID: fmt.Sprintf("80000%03d-1", i), EditSequence: "1", Name: name, Active: true, ModifiedAt: modified,
			Data: json.RawMessage(fmt.Sprintf(`{"fullName":%q}`, name))}
	}
	count := func() int {
		t.Helper()
		n, err := e.Records.CountRecords(ctx, co, "customers")
		must(t, err)
		return n
	}
	ops := func() int {
		t.Helper()
		n, err := store.NewWebConnectorStore(e.DB).PendingOperations(ctx, conn.ID)
		must(t, err)
		return n
	}

	// A page that fails (a record without an ID) is rolled back: nothing
	// of it stays, and the same page can begin again.
	p, err := syncs.BeginSyncPage(ctx, co, "customers", key)
	must(t, err)
	must(t, p.Upsert(rec(1, "Early")))
	_, err = p.Enqueue(&qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "<QBXML/>"})
	must(t, err)
	wantCode(t, p.Upsert(&qbconnect.Record{}), qbconnect.EInvalid)
	p.Rollback()
	p.Rollback() // twice is harmless
	if n, o := count(), ops(); n != 0 || o != 0 {
		t.Fatalf("after a rollback: %d records, %d operations; want none", n, o)
	}

	const n = 1200 // more than one batch
	p, err = syncs.BeginSyncPage(ctx, co, "customers", key)
	must(t, err)
	for i := range n {
		must(t, p.Upsert(rec(i, fmt.Sprintf("Customer %d", i))))
	}
	must(t, p.Upsert(rec(7, "Customer 7 renamed")))
	next, err := p.Enqueue(&qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "<QBXML/>"})
	must(t, err)
	st.Status, st.Pages, st.Fetched = qbconnect.SyncFetching, 1, n
	must(t, p.Commit(st, nil))
	if err := p.Commit(st, nil); err == nil {
		t.Error("a second commit of the page succeeded")
	}
	if got := count(); got != n {
		t.Errorf("records after the page = %d, want %d", got, n)
	}
	got, err := e.Records.FindRecord(ctx, org.ID, co, "customers", rec(7, "").ID)
	must(t, err)
	if got.Name != "Customer 7 renamed" || got.CompanyID != co || got.Type != "customers" {
		t.Errorf("a record repeated in the page = %+v, want the last one", got)
	}
	if _, err := e.Queue.FindOperation(ctx, org.ID, next); err != nil {
		t.Errorf("the page's queued operation: %v", err)
	}
	state, err := syncs.FindSyncState(ctx, co, "customers")
	must(t, err)
	if state.Pages != 1 || state.Fetched != n || state.Status != qbconnect.SyncFetching {
		t.Errorf("state after the page = %+v", state)
	}

	// The same page again (a duplicate result) is refused.
	_, err = syncs.BeginSyncPage(ctx, co, "customers", key)
	wantCode(t, err, qbconnect.EConflict)

	// The next page deletes a record and finishes the pass with its run.
	p, err = syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(st))
	must(t, err)
	deletedAt := modified.Add(time.Hour)
	p.Delete(rec(3, "").ID, deletedAt)
	p.Delete("unknown-id", deletedAt)
	done := e.Clock.Now()
	st.Status, st.Pages, st.LastCompleteAt = qbconnect.SyncComplete, 2, &done
	run.Status, run.Pages, run.Fetched, run.FinishedAt = qbconnect.SyncComplete, 2, n, &done
	must(t, p.Commit(st, run))
	gone, err := e.Records.FindRecord(ctx, org.ID, co, "customers", rec(3, "").ID)
	must(t, err)
	if !gone.Deleted || !gone.ModifiedAt.Equal(deletedAt) {
		t.Errorf("deleted record = %+v, want deleted at %v", gone, deletedAt)
	}
	gotRun, err := syncs.FindSyncRun(ctx, org.ID, "run_1")
	must(t, err)
	if gotRun.Status != qbconnect.SyncComplete || gotRun.Pages != 2 || gotRun.FinishedAt == nil {
		t.Errorf("run after the last page: %+v", gotRun)
	}
	if got := count(); got != n-1 {
		t.Errorf("live records after a deletion = %d, want %d", got, n-1)
	}

	// A commit whose state is of another data type fails and keeps
	// nothing of the page.
	st2 := &qbconnect.SyncState{CompanyID: co, OrgID: org.ID, DataType: "vendors", Status: qbconnect.SyncQueued,
		RunID: "run_2", Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
	run2 := &qbconnect.SyncRun{ID: "run_2", OrgID: org.ID, CompanyID: co, DataType: "vendors", Mode: qbconnect.SyncFull,
		Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()}
	st2, _, err = syncs.StartSyncPass(ctx, st2, run2)
	must(t, err)
	p, err = syncs.BeginSyncPage(ctx, co, "vendors", store.KeyOf(st2))
	must(t, err)
	must(t, p.Upsert(rec(1, "Vendor")))
	if err := p.Commit(st, nil); err == nil {
		t.Fatal("a page committed the state of another data type")
	}
	if n, err := e.Records.CountRecords(ctx, co, "vendors"); err != nil || n != 0 {
		t.Errorf("vendors after a failed commit = %d, %v; want 0", n, err)
	}
}

// testSyncPageReportsTheRecordsItChanged: with an endpoint listening to
// record events, a page's commit runs OnRecordsChanged once, in its
// transaction, with the records it created, changed and deleted (those it
// found unchanged left out); without one the hook is not run; the hook's
// error rolls the page back.
func testSyncPageReportsTheRecordsItChanged(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	var got []*qbconnect.RecordChanges
	var fail error
	syncs.OnRecordsChanged(func(_ context.Context, _ qbconnect.EventRecorder, ch *qbconnect.RecordChanges) error {
		if fail != nil {
			return fail
		}
		got = append(got, ch)
		return nil
	})
	st := startPass(t, e, syncs, org.ID, co, "customers")
	rec := func(i int, name string) *qbconnect.Record {
		return &qbconnect.Record{ID: fmt.Sprintf("80000%03d-1", i), EditSequence: "1", Name: name, Active: true, ModifiedAt: e.Clock.Now(),
			Data: json.RawMessage(fmt.Sprintf(`{"fullName":%q}`, name))}
	}
	page := func(fill func(p *store.SyncPage)) error {
		t.Helper()
		p, err := syncs.BeginSyncPage(ctx, co, "customers", store.KeyOf(st))
		must(t, err)
		fill(p)
		next := *st
		next.Status, next.Pages = qbconnect.SyncFetching, st.Pages+1
		if err := p.Commit(&next, nil); err != nil {
			return err
		}
		st = &next
		return nil
	}

	// Nobody listens: the hook is not run.
	must(t, page(func(p *store.SyncPage) {
		for i := range 3 {
			must(t, p.Upsert(rec(i, fmt.Sprintf("Customer %d", i))))
		}
	}))
	if len(got) != 0 {
		t.Fatalf("the hook ran without a listening endpoint: %+v", got)
	}

	_, err := store.NewWebhookStore(e.DB).CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/h",
		Events: []qbconnect.EventType{qbconnect.EventRecordCreated}})
	must(t, err)
	e.Clock.Advance(time.Minute)
	const n = 600 // more than one batch
	must(t, page(func(p *store.SyncPage) {
		for i := range n {
			name := fmt.Sprintf("Customer %d", i)
			if i == 1 {
				name = "Customer 1 renamed"
			}
			r := rec(i, name)
			if i < 3 {
				r.ModifiedAt = r.ModifiedAt.Add(-time.Minute)
			}
			must(t, p.Upsert(r))
		}
		p.Delete(rec(2, "").ID, e.Clock.Now())
		p.Delete("unknown-id", e.Clock.Now())
	}))
	if len(got) != 1 {
		t.Fatalf("hook runs = %d, want 1", len(got))
	}
	ch := got[0]
	if ch.OrgID != org.ID || ch.CompanyID != co || ch.DataType != "customers" || ch.RunID != "run_1" || ch.OperationID != "" {
		t.Errorf("changes of %+v", ch)
	}
	if len(ch.Created) != n-3 || ch.Created[0] != rec(3, "").ID {
		t.Errorf("created: %d records from %v, want %d from %s", len(ch.Created), ch.Created[:min(1, len(ch.Created))], n-3, rec(3, "").ID)
	}
	if diff := cmp.Diff([]string{rec(1, "").ID}, ch.Updated); diff != "" {
		t.Errorf("updated: the renamed record only (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{rec(2, "").ID}, ch.Deleted); diff != "" {
		t.Errorf("deleted: the known record only (-want +got):\n%s", diff)
	}

	// The hook's error rolls the page back.
	fail = errors.New("outbox unavailable")
	before, err := e.Records.CountRecords(ctx, co, "customers")
	must(t, err)
	if err := page(func(p *store.SyncPage) { must(t, p.Upsert(rec(n, "Late"))) }); err == nil {
		t.Fatal("the page committed although the hook failed")
	}
	after, err := e.Records.CountRecords(ctx, co, "customers")
	must(t, err)
	if after != before {
		t.Errorf("records after a rolled-back page: %d, want %d", after, before)
	}
}

// testSyncPageJoinsTheCompletionOfItsOperation: a page joined to the
// completion of its operation (JoinSyncPage in Outcome.Then) commits with
// it, and the operation keeps no result: its records are stored instead.
// Discard forgets what the page wrote but keeps it open; a page that
// rolls back keeps the result and nothing of the page; a duplicate page is
// refused, and its result is not kept either; only the store's own
// completion can be joined.
func testSyncPageJoinsTheCompletionOfItsOperation(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	st := startPass(t, e, syncs, org.ID, co, "customers")
	rec := func(i int) *qbconnect.Record {
		return &qbconnect.Record{ID: fmt.Sprintf("80000%03d-1", i), EditSequence: "1", Name: fmt.Sprintf("Customer %d", i), Active: true,
			ModifiedAt: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(`{}`)}
	}
	// complete runs a page's operation and completes it with then.
	complete := func(key int, then func(ctx context.Context, tx qbconnect.CompletionTx) error) *qbconnect.Operation {
		t.Helper()
		_, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync,
			Request: "<QBXML/>", IdempotencyKey: fmt.Sprintf("page-%d", key)})
		must(t, err)
		l, err := e.Queue.Lease(ctx, conn.ConnectorID, time.Minute)
		must(t, err)
		if l == nil {
			t.Fatal("nothing to lease")
		}
		done, applied, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<QBXML>page</QBXML>"), Then: then})
		must(t, err)
		if !applied {
			t.Fatal("the completion did not apply")
		}
		got, err := e.Queue.FindOperation(ctx, org.ID, done.ID)
		must(t, err)
		return got
	}
	count := func() int {
		t.Helper()
		n, err := e.Records.CountRecords(ctx, co, "customers")
		must(t, err)
		return n
	}

	// A page that rolls back keeps nothing, and the result is kept.
	op := complete(1, func(ctx context.Context, tx qbconnect.CompletionTx) error {
		p, err := syncs.JoinSyncPage(ctx, tx, co, "customers", store.KeyOf(st))
		if err != nil {
			return err
		}
		if !p.Joined() {
			t.Error("a joined page says it is not")
		}
		if err := p.Upsert(rec(1)); err != nil {
			return err
		}
		p.Rollback()
		return nil
	})
	if n := count(); n != 0 || string(op.Result) != "<QBXML>page</QBXML>" {
		t.Fatalf("after a rolled-back joined page: %d records, result %q; want none and the result", n, op.Result)
	}

	// A page that discards, writes again and commits: its records, the
	// next operation and the checkpoint commit with the completion.
	var next string
	op = complete(2, func(ctx context.Context, tx qbconnect.CompletionTx) error {
		p, err := syncs.JoinSyncPage(ctx, tx, co, "customers", store.KeyOf(st))
		if err != nil {
			return err
		}
		defer p.Rollback()
		if got := p.State(); store.KeyOf(got) != store.KeyOf(st) || got.RunID != "run_1" {
			t.Errorf("the joined page found state %+v", got)
		}
		for i := range 3 {
			must(t, p.Upsert(rec(i)))
		}
		p.Delete(rec(0).ID, time.Now())
		must(t, p.Discard())
		must(t, p.Upsert(rec(5)))
		if next, err = p.Enqueue(&qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "<QBXML/>",
			IdempotencyKey: "page-next"}); err != nil {
			return err
		}
		next := *st
		next.Status, next.Pages, next.Fetched = qbconnect.SyncFetching, 1, 1
		return p.Commit(&next, nil)
	})
	if len(op.Result) != 0 {
		t.Errorf("a joined page's operation kept its result %q", op.Result)
	}
	if _, err := e.Records.FindRecord(ctx, org.ID, co, "customers", rec(5).ID); err != nil || count() != 1 {
		t.Errorf("after a joined page: %d records (%v); want the one written after Discard", count(), err)
	}
	if _, err := e.Queue.FindOperation(ctx, org.ID, next); err != nil {
		t.Errorf("the joined page's next operation: %v", err)
	}
	state, err := syncs.FindSyncState(ctx, co, "customers")
	must(t, err)
	if state.Pages != 1 || state.Status != qbconnect.SyncFetching {
		t.Errorf("state after the joined page: %+v", state)
	}

	// The same page again is refused, and its result is not kept.
	must(t, e.Queue.Cancel(ctx, org.ID, next))
	op = complete(3, func(ctx context.Context, tx qbconnect.CompletionTx) error {
		_, err := syncs.JoinSyncPage(ctx, tx, co, "customers", store.KeyOf(st))
		wantCode(t, err, qbconnect.EConflict)
		return nil
	})
	if len(op.Result) != 0 {
		t.Errorf("a duplicate page's operation kept its result %q", op.Result)
	}

	// Only the store's own completion joins.
	_, err = syncs.JoinSyncPage(ctx, fakeCompletion{}, co, "customers", store.KeyOf(state))
	wantCode(t, err, qbconnect.EInvalid)
}

// testRecordsPageStoresRecordsReadOutsideAPass: a records page (the
// customers and vendors a balance refresh or a write read again) stores
// its records with the upsert of a sync page, on its own or joined to
// the completion of its operation, without a sync state; it reports to
// OnRecordsChanged, with the origin it was given, only the records that
// were created or changed, and nothing for records that came back byte
// for byte as stored. Stored reads live records of the page's company in
// the page's transaction. A records page cannot commit a state, nor a
// pass's page commit as a records page (either rolls back); an origin
// without an organisation, company or type is EInvalid. A records page
// within a pass's page (RecordsPage) commits with that page, or rolls
// back alone.
func testRecordsPageStoresRecordsReadOutsideAPass(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	var got []*qbconnect.RecordChanges
	syncs.OnRecordsChanged(func(_ context.Context, _ qbconnect.EventRecorder, ch *qbconnect.RecordChanges) error {
		got = append(got, ch)
		return nil
	})
	_, err := store.NewWebhookStore(e.DB).CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/h",
		Events: []qbconnect.EventType{qbconnect.EventRecordUpdated}})
	must(t, err)
	cust := func(i int, balance string) *qbconnect.Record {
		return &qbconnect.Record{CompanyID: co, Type: "customers", ID: fmt.Sprintf("80000%03d-1", i), EditSequence: "1", Name: fmt.Sprintf("Customer %d", i),
			Active: true, ModifiedAt: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(fmt.Sprintf(`{"balance":%q}`, balance))}
	}
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{cust(1, "10.00"), cust(2, "20.00"), cust(3, "30.00")}))
	must(t, e.Records.DeleteRecords(ctx, co, "customers", []string{cust(3, "").ID}, e.Clock.Now()))
	origin := qbconnect.RecordChanges{OrgID: org.ID, CompanyID: co, DataType: "customers", RunID: "run_7"}

	// On its own: customer 1's balance moved, customer 2 came back as
	// stored, customer 4 is new.
	p, err := syncs.BeginRecordsPage(ctx, origin)
	must(t, err)
	if p.State() != nil {
		t.Errorf("a records page has the state %+v", p.State())
	}
	stored, err := p.Stored([]string{cust(1, "").ID, cust(3, "").ID, "unknown"}, "customers", "vendors")
	must(t, err)
	if len(stored) != 1 || stored[0].ID != cust(1, "").ID || string(stored[0].Data) != `{"balance":"10.00"}` {
		t.Errorf("Stored = %+v, want the live customer 1 only", stored)
	}
	for _, r := range []*qbconnect.Record{cust(1, "15.00"), cust(2, "20.00"), cust(4, "0.00")} {
		must(t, p.Upsert(r))
	}
	if err := p.Commit(&qbconnect.SyncState{CompanyID: co, DataType: "customers"}, nil); err == nil {
		t.Error("a records page committed a sync state")
	}
	if n, err := e.Records.CountRecords(ctx, co, "customers"); err != nil || n != 2 {
		t.Errorf("customers after the records page's wrong commit = %d, %v; want the 2 live ones before it", n, err)
	}
	p, err = syncs.BeginRecordsPage(ctx, origin)
	must(t, err)
	for _, r := range []*qbconnect.Record{cust(1, "15.00"), cust(2, "20.00"), cust(4, "0.00")} {
		must(t, p.Upsert(r))
	}
	must(t, p.CommitRecords())
	if len(got) != 1 {
		t.Fatalf("hook runs = %d, want 1", len(got))
	}
	want := &qbconnect.RecordChanges{OrgID: org.ID, CompanyID: co, DataType: "customers", RunID: "run_7",
		Created: []string{cust(4, "").ID}, Updated: []string{cust(1, "").ID}}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if r, err := e.Records.FindRecord(ctx, org.ID, co, "customers", cust(1, "").ID); err != nil || string(r.Data) != `{"balance":"15.00"}` {
		t.Errorf("customer 1 after the page: %v, %v", r, err)
	}

	// Joined to a write's completion, and with nothing changed: no hook.
	_, err = e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpWrite, Request: "<QBXML/>"})
	must(t, err)
	l, err := e.Queue.Lease(ctx, conn.ConnectorID, time.Minute)
	must(t, err)
	written := origin
	written.RunID, written.OperationID = "", l.Operation.ID
	_, applied, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<QBXML/>"),
		Then: func(ctx context.Context, tx qbconnect.CompletionTx) error {
			p, err := syncs.JoinRecordsPage(ctx, tx, written)
			if err != nil {
				return err
			}
			if !p.Joined() {
				t.Error("a joined records page says it is not")
			}
			defer p.Rollback()
			if err := p.Upsert(cust(2, "20.00")); err != nil {
				return err
			}
			if err := p.Upsert(cust(5, "5.00")); err != nil {
				return err
			}
			return p.CommitRecords()
		}})
	must(t, err)
	if !applied {
		t.Fatal("the write's completion did not apply")
	}
	if len(got) != 2 || got[1].OperationID != l.Operation.ID || got[1].RunID != "" || !slices.Equal(got[1].Created, []string{cust(5, "").ID}) || len(got[1].Updated) != 0 {
		t.Errorf("the joined page's changes: %+v", got[1:])
	}
	if _, err := e.Records.FindRecord(ctx, org.ID, co, "customers", cust(5, "").ID); err != nil {
		t.Errorf("customer 5 written with the completion: %v", err)
	}

	// Bad origins and completions change nothing.
	_, err = syncs.BeginRecordsPage(ctx, qbconnect.RecordChanges{CompanyID: co, DataType: "customers"})
	wantCode(t, err, qbconnect.EInvalid)
	_, err = syncs.JoinRecordsPage(ctx, fakeCompletion{}, origin)
	wantCode(t, err, qbconnect.EInvalid)
	st := startPass(t, e, syncs, org.ID, co, "vendors")
	pass, err := syncs.BeginSyncPage(ctx, co, "vendors", store.KeyOf(st))
	must(t, err)
	if err := pass.CommitRecords(); err == nil {
		t.Error("a pass's page committed as a records page")
	}
	// It was rolled back: SQLite's one writer is free for it again. A
	// records page within it writes in its transaction, and commits with
	// it; one that rolls back leaves the pass's page as it was.
	pass, err = syncs.BeginSyncPage(ctx, co, "vendors", store.KeyOf(st))
	must(t, err)
	within := origin
	within.RunID = st.RunID
	sub, err := pass.RecordsPage(within)
	must(t, err)
	must(t, sub.Upsert(cust(6, "6.00")))
	must(t, sub.CommitRecords())
	sub, err = pass.RecordsPage(within)
	must(t, err)
	must(t, sub.Upsert(cust(7, "7.00")))
	sub.Rollback()
	_, err = pass.RecordsPage(qbconnect.RecordChanges{OrgID: org.ID, CompanyID: "cmp_other", DataType: "customers"})
	wantCode(t, err, qbconnect.EInvalid)
	must(t, pass.Upsert(&qbconnect.Record{ID: "80000100-1", EditSequence: "1", Name: "Vendor", Active: true, Data: json.RawMessage(`{}`)}))
	done := *st
	done.Status, done.Pages = qbconnect.SyncFetching, 1
	must(t, pass.Commit(&done, nil))
	if _, err := e.Records.FindRecord(ctx, org.ID, co, "customers", cust(6, "").ID); err != nil {
		t.Errorf("customer 6, of a records page within a pass's page: %v", err)
	}
	if _, err := e.Records.FindRecord(ctx, org.ID, co, "customers", cust(7, "").ID); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		t.Errorf("customer 7, of a records page rolled back within a pass's page: %v", err)
	}
	if n, err := e.Records.CountRecords(ctx, co, "vendors"); err != nil || n != 1 {
		t.Errorf("vendors of the pass's page = %d, %v; want 1", n, err)
	}
	if len(got) < 2 {
		t.Fatalf("hook runs = %d, want the records page's and the pass's page's", len(got))
	}
	if sub := got[len(got)-2]; sub.DataType != "customers" || sub.RunID != st.RunID || !slices.Equal(sub.Created, []string{cust(6, "").ID}) {
		t.Errorf("changes of the records page within the pass's page: %+v", sub)
	}
}

// fakeCompletion is a completion that is not the store's.
type fakeCompletion struct{ qbconnect.CompletionTx }

// startPass starts run_1, a full pass of the company's data type typ on
// demand, and returns its state.
func startPass(t *testing.T, e *Env, syncs *store.SyncStore, orgID, companyID, typ string) *qbconnect.SyncState {
	t.Helper()
	return startPassRun(t, e, syncs, orgID, companyID, typ, "run_1")
}

// startPassRun is startPass with the run's ID.
func startPassRun(t *testing.T, e *Env, syncs *store.SyncStore, orgID, companyID, typ, runID string) *qbconnect.SyncState {
	t.Helper()
	st := &qbconnect.SyncState{CompanyID: companyID, OrgID: orgID, DataType: typ, Status: qbconnect.SyncQueued,
		RunID: runID, Mode: qbconnect.SyncFull, Trigger: qbconnect.TriggerOnDemand}
	run := &qbconnect.SyncRun{ID: runID, OrgID: orgID, CompanyID: companyID, DataType: typ, Mode: qbconnect.SyncFull,
		Trigger: qbconnect.TriggerOnDemand, Status: qbconnect.SyncQueued, StartedAt: e.Clock.Now()}
	st, _, err := syncs.StartSyncPass(ctx, st, run)
	must(t, err)
	return st
}

// testFirstPassPageUpsertsStoredRecords: a page of a type's first pass
// (whose records are inserted without a conflict check while none is
// stored: SyncPage.insertNew on SQLite; on PostgreSQL flushArrays, which
// copies large batches and inserts small ones) still replaces a record
// stored before it, by a write or an earlier attempt, keeps an unchanged
// one's UpdatedAt, and stores the new ones, in every batch of the page:
// the batches before the first stored record, the one holding it, and
// those after it. The page's record events name every record it stored
// new as created and the changed one as updated, the unchanged one in
// neither, also where the batch holding the stored records inserted the
// others before upserting it.
func testFirstPassPageUpsertsStoredRecords(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	var events []*qbconnect.RecordChanges
	syncs.OnRecordsChanged(func(_ context.Context, _ qbconnect.EventRecorder, ch *qbconnect.RecordChanges) error {
		events = append(events, ch)
		return nil
	})
	_, err := store.NewWebhookStore(e.DB).CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: "https://example.test/h",
		Events: []qbconnect.EventType{qbconnect.EventRecordCreated}})
	must(t, err)
	modified := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		typ                     string
		n                       int // records on the page
		unchanged, changed, new int // stored before the pass and left as they were; stored and changed by the page; new
		last                    int // new, after the stored records
	}{
		// Batches of 500 (PostgreSQL: copied) or 100 (SQLite): 550 is in
		// the second or the sixth, 1100 in a later one.
		{typ: "invoices", n: 1200, unchanged: 550, changed: 1100, new: 5, last: 1150},
		// One batch of 50 (PostgreSQL: an INSERT) holding both.
		{typ: "bills", n: 50, unchanged: 20, changed: 30, new: 5, last: 45},
	} {
		rec := func(i int, seq string) *qbconnect.Record {
			return &qbconnect.Record{CompanyID: co, Type: c.typ, ID: fmt.Sprintf("%05d-1", i), EditSequence: seq, Name: fmt.Sprint(i),
				TxnDate: "2026-01-02", Active: true, ModifiedAt: modified, Data: json.RawMessage(fmt.Sprintf(`{"refNumber":"%d","editSequence":%q}`, i, seq))}
		}
		must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{rec(c.unchanged, "1"), rec(c.changed, "1")}))
		before, err := e.Records.FindRecord(ctx, org.ID, co, c.typ, rec(c.unchanged, "1").ID)
		must(t, err)
		e.Clock.Advance(time.Minute)

		st := startPassRun(t, e, syncs, org.ID, co, c.typ, "run_"+c.typ)
		p, err := syncs.BeginSyncPage(ctx, co, c.typ, store.KeyOf(st))
		must(t, err)
		defer p.Rollback() // a failed page must not keep the database busy; after Commit it does nothing
		events = nil
		for i := range c.n {
			seq := "1"
			if i == c.changed {
				seq = "2"
			}
			must(t, p.Upsert(rec(i, seq)))
		}
		next := *st
		next.Status, next.Pages, next.Fetched = qbconnect.SyncFetching, 1, c.n
		must(t, p.Commit(&next, nil))

		if got, err := e.Records.CountRecords(ctx, co, c.typ); err != nil || got != c.n {
			t.Fatalf("%s: %d records stored (%v), want %d", c.typ, got, err, c.n)
		}
		unchanged, err := e.Records.FindRecord(ctx, org.ID, co, c.typ, rec(c.unchanged, "1").ID)
		must(t, err)
		if !unchanged.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("%s: an unchanged record's UpdatedAt moved from %v to %v", c.typ, before.UpdatedAt, unchanged.UpdatedAt)
		}
		changed, err := e.Records.FindRecord(ctx, org.ID, co, c.typ, rec(c.changed, "2").ID)
		must(t, err)
		if changed.EditSequence != "2" || string(changed.Data) != string(rec(c.changed, "2").Data) || !changed.UpdatedAt.Equal(e.Clock.Now()) {
			t.Errorf("%s: the changed record is %+v, want edit sequence 2 updated now", c.typ, changed)
		}
		for _, i := range []int{c.new, c.last} {
			fresh, err := e.Records.FindRecord(ctx, org.ID, co, c.typ, rec(i, "1").ID)
			must(t, err)
			if fresh.Name != fmt.Sprint(i) || fresh.TxnDate != "2026-01-02" || !fresh.UpdatedAt.Equal(e.Clock.Now()) {
				t.Errorf("%s: a new record is %+v", c.typ, fresh)
			}
		}
		if len(events) != 1 {
			t.Fatalf("%s: the page reported its changes %d times, want once", c.typ, len(events))
		}
		var created []string
		for i := range c.n {
			if i != c.unchanged && i != c.changed {
				created = append(created, rec(i, "1").ID)
			}
		}
		got := events[0]
		slices.Sort(got.Created)
		if diff := cmp.Diff(created, got.Created); diff != "" {
			t.Errorf("%s: created: every record but the two stored before (-want +got):\n%s", c.typ, diff)
		}
		if diff := cmp.Diff([]string{rec(c.changed, "2").ID}, got.Updated); diff != "" {
			t.Errorf("%s: updated: the changed record only (-want +got):\n%s", c.typ, diff)
		}
	}
}

// testPageFindsSubElementsAndReferringRecords: StoredNames gives the
// names of the live records of one type by ID; NamedUnder finds the live
// records of the given types whose name starts with a name and a colon,
// at any depth, and nothing named alike without the colon; Referring
// finds the live records of any type of the page's company whose JSON
// names one of the IDs as a listId (not one that merely mentions it, not
// a deleted one, not another company's), each once, however many IDs it is given.
func testPageFindsSubElementsAndReferringRecords(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	syncs := store.NewSyncStore(e.DB)
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	co := conn.CompanyID
	conn2, _ := e.Linked(t, org.ID, "")
	rec := func(company, typ, id, name, data string) *qbconnect.Record {
		return &qbconnect.Record{CompanyID: company, Type: typ, ID: id, EditSequence: "1", Name: name, Active: true,
			ModifiedAt: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(data)}
	}
	ref := func(id string) string { return `{"customerRef":{"listId":"` + id + `","fullName":"x"}}` }
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{
		rec(co, "customers", "C1", "Acme", `{"listId":"C1"}`),
		rec(co, "customers", "C2", "Acme:Roof", `{"listId":"C2","parentRef":{"listId":"C1","fullName":"Acme"}}`),
		rec(co, "customers", "C3", "Acme:Roof:Phase 1", `{"listId":"C3","parentRef":{"listId":"C2","fullName":"Acme:Roof"}}`),
		rec(co, "customers", "C4", "Acme Two", `{"listId":"C4"}`),
		rec(co, "customers", "C5", "Acme:Gone", `{"listId":"C5"}`),
		rec(co, "vendors", "V1", "Acme:Vendor", `{"listId":"V1"}`),
		rec(co, "invoices", "T1", "1001", ref("C1")),
		rec(co, "invoices", "T2", "1002", ref("C3")),
		rec(co, "invoices", "T3", "1003", `{"memo":"C1"}`),
		rec(co, "invoices", "T4", "1004", ref("C1")),
		rec(conn2.CompanyID, "invoices", "T5", "1005", ref("C1")),
	}))
	must(t, e.Records.DeleteRecords(ctx, co, "customers", []string{"C5"}, e.Clock.Now()))
	must(t, e.Records.DeleteRecords(ctx, co, "invoices", []string{"T4"}, e.Clock.Now()))
	p, err := syncs.BeginRecordsPage(ctx, qbconnect.RecordChanges{OrgID: org.ID, CompanyID: co, DataType: "customers"})
	must(t, err)
	defer p.Rollback()
	ids := func(rs []*qbconnect.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Type+"/"+r.ID)
		}
		slices.Sort(out)
		return out
	}
	names, err := p.StoredNames([]string{"C1", "C2", "C5", "V1", "unknown"}, "customers")
	must(t, err)
	if diff := cmp.Diff(map[string]string{"C1": "Acme", "C2": "Acme:Roof"}, names); diff != "" {
		t.Errorf("StoredNames of live customers (-want +got):\n%s", diff)
	}
	under, err := p.NamedUnder("Acme", "customers")
	must(t, err)
	if diff := cmp.Diff([]string{"customers/C2", "customers/C3"}, ids(under)); diff != "" {
		t.Errorf("NamedUnder(Acme) (-want +got):\n%s", diff)
	}
	if under, err = p.NamedUnder("Acme", "customers", "vendors"); err != nil || len(under) != 3 {
		t.Errorf("NamedUnder(Acme) of customers and vendors = %v, %v; want 3", ids(under), err)
	}
	// 40 IDs, the ones that matter last.
	var many []string
	for i := range 38 {
		many = append(many, fmt.Sprintf("X%d", i))
	}
	referring, err := p.Referring(append(many, "C3", "C1"))
	must(t, err)
	want := []string{"customers/C1", "customers/C2", "customers/C3", "invoices/T1", "invoices/T2"}
	if diff := cmp.Diff(want, ids(referring)); diff != "" {
		t.Errorf("Referring(C1, C3) (-want +got):\n%s", diff)
	}
}
