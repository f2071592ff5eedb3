package syncengine_test

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/syncengine"

	_ "modernc.org/sqlite" // the simulator's company files, opened as QuickBooks' own window would change them
)

// QuickBooks' ListDeletedQuery and TxnDeletedQuery report the deletions
// of the last 90 days only ("A ListDeletedQuery will return all list
// elements deleted within the last 90 days", QuBe Sync's reference;
// "Lists deleted transactions ... in the last 90 days", Conductor's API
// reference; the simulator does the same), and some types have no
// deleted query at all: only a full pass, which marks deleted what it
// did not find, learns of those deletions.

// deleteOne deletes in QuickBooks one stored record of a type that
// QuickBooks lets go of (a transaction no other links to) and returns
// its ID.
func (h *harness) deleteOne(typ, delType string) string {
	h.tb.Helper()
	ids := make([]string, 0)
	for id := range h.stored(typ, false) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if h.tryQB(`<TxnDelRq><TxnDelType>` + delType + `</TxnDelType><TxnID>` + id + `</TxnID></TxnDelRq>`) {
			return id
		}
	}
	h.tb.Fatalf("no %s could be deleted", typ)
	return ""
}

// deleteInQuickBooksWindow deletes an object as a user does in
// QuickBooks' window, for a type the SDK cannot delete (TxnDelRq and
// ListDelRq have no Transfer, Lead or Template): it is gone from the
// company file, and no deleted query reports it.
func (h *harness) deleteInQuickBooksWindow(id string) {
	h.tb.Helper()
	db, err := sql.Open("sqlite", "file:"+h.file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		h.tb.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(h.ctx, `DELETE FROM objects WHERE id = ?`, id)
	if err != nil {
		h.tb.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		h.tb.Fatalf("the company file has no object %s", id)
	}
}

// deletedEvents returns the IDs of a type that record changes reported
// deleted.
func deletedEvents(all []*qbconnect.RecordChanges, typ string) []string {
	var ids []string
	for _, ch := range all {
		if ch.DataType == typ {
			ids = append(ids, ch.Deleted...)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestARecordDeletedWhileTheConnectorWasOfflineForMonthsIsDeletedByTheNextSync(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(5), Engine: syncengine.Config{MaxReturned: 100}})
			types := []string{"customers", "invoices"}
			allComplete(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), types...)

			// Someone deletes an invoice; the connector stays offline for
			// 100 days, so QuickBooks no longer reports the deletion.
			gone := h.deleteOne("invoices", "Invoice")
			h.later(100 * 24 * time.Hour)
			changes := h.watchRecordChanges()
			states := h.syncNow(qbconnect.SyncRequest{DataTypes: types})
			allComplete(t, states, types...)

			st := stateOf(t, states, "invoices")
			if st.Mode != qbconnect.SyncFull || st.Deleted != 1 {
				t.Errorf("invoices pass after 100 days offline: mode %s, %d deleted; want a full pass that deleted 1", st.Mode, st.Deleted)
			}
			r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "invoices", gone)
			if err != nil || !r.Deleted {
				t.Fatalf("invoice %s deleted in QuickBooks 100 days ago: %v, stored deleted=%v", gone, err, r != nil && r.Deleted)
			}
			if got := deletedEvents(*changes, "invoices"); !slices.Equal(got, []string{gone}) {
				t.Errorf("record.deleted for invoices %v, want [%s]", got, gone)
			}
			h.checkMirror(3, types...)

			// The next sync is incremental again.
			h.later(time.Hour)
			if st := stateOf(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), "invoices"); st.Mode != qbconnect.SyncIncremental {
				t.Errorf("the sync after the full pass is %s, want incremental", st.Mode)
			}
		})
	}
}

// QuickBooks reports no deletions of transfers (TxnDeletedQuery's
// TxnDelType has no Transfer): a transfer deleted in QuickBooks is found
// by the type's full pass, once its last one is Config.FullEvery old.
func TestATransferDeletedInQuickBooksIsDeletedByTheNextSync(t *testing.T) {
	h := newHarness(t, harnessOptions{Engine: syncengine.Config{FullEvery: 24 * time.Hour}})
	for _, name := range []string{"Harbor Checking", "Harbor Savings"} {
		h.qb(`<AccountAddRq><AccountAdd><Name>` + name + `</Name><AccountType>Bank</AccountType></AccountAdd></AccountAddRq>`)
	}
	var ids []string
	for _, amount := range []string{"100.00", "250.00"} {
		ids = append(ids, txnID(h.qb(`<TransferAddRq><TransferAdd><TxnDate>2026-03-02</TxnDate>
			<TransferFromAccountRef><FullName>Harbor Checking</FullName></TransferFromAccountRef>
			<TransferToAccountRef><FullName>Harbor Savings</FullName></TransferToAccountRef><Amount>`+amount+`</Amount></TransferAdd></TransferAddRq>`)))
	}
	types := []string{"transfers"}
	allComplete(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), types...)
	h.deleteInQuickBooksWindow(ids[0])

	// An hour later the pass is incremental and cannot see it.
	h.later(time.Hour)
	if st := stateOf(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), "transfers"); st.Mode != qbconnect.SyncIncremental {
		t.Errorf("an hour after the full pass the transfers pass is %s, want incremental", st.Mode)
	}
	// A day after the full pass, the pass is full and finds it gone.
	h.later(24 * time.Hour)
	changes := h.watchRecordChanges()
	st := stateOf(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), "transfers")
	if st.Mode != qbconnect.SyncFull || st.Deleted != 1 {
		t.Errorf("a day later the transfers pass is %s with %d deleted, want full with 1", st.Mode, st.Deleted)
	}
	if got := deletedEvents(*changes, "transfers"); !slices.Equal(got, ids[:1]) {
		t.Errorf("record.deleted for transfers %v, want %v", got, ids[:1])
	}
	h.checkMirror(2, types...)
}

// A full pass spares a record stored since it started that it did not
// return: here a customer created through the platform's API after the
// pass's last page was read, which QuickBooks holds.
func TestAFullPassKeepsARecordWrittenDuringIt(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(6)})
			spare := listID(h.qb(`<CustomerAddRq><CustomerAdd><Name>Spare Co</Name></CustomerAdd></CustomerAddRq>`))
			types := []string{"customers"}
			allComplete(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), types...)
			h.qb(`<ListDelRq><ListDelType>Customer</ListDelType><ListID>` + spare + `</ListID></ListDelRq>`)
			h.later(100 * 24 * time.Hour)

			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: types, Full: true}); err != nil {
				t.Fatal(err)
			}
			// The connector runs the pass's only page; before its answer
			// is in, a client's write adds a customer, stored as the
			// write's completion stores it.
			l, err := h.env.Queue.Lease(h.ctx, h.connID, time.Minute)
			if err != nil || l == nil {
				t.Fatalf("lease: %v %v", l, err)
			}
			answer, err := h.process(l.Operation.Request)
			if err != nil {
				t.Fatal(err)
			}
			h.env.Clock.Advance(time.Second)
			written, _ := h.writeCustomer("Written During Co")
			if _, _, err := h.env.Control.Complete(h.ctx, l.Operation, control.Report{LeaseID: l.LeaseID, Response: answer}); err != nil {
				t.Fatal(err)
			}
			h.drain()

			states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
			allComplete(t, states, types...)
			if r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "customers", written); err != nil || r.Deleted {
				t.Errorf("the customer written during the full pass: %v, deleted=%v; want it kept", err, r != nil && r.Deleted)
			}
			if r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "customers", spare); err != nil || !r.Deleted {
				t.Errorf("the customer deleted in QuickBooks 100 days ago: %v, deleted=%v; want it deleted", err, r != nil && r.Deleted)
			}
			h.checkMirror(2, types...)
		})
	}
}

// A full pass asks for inactive list elements too (ActiveStatus All), so
// it does not take an inactive customer for a deleted one.
func TestAFullPassKeepsInactiveRecords(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: smallCompany(7)})
	types := []string{"customers"}
	allComplete(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), types...)
	var id string
	for cid, r := range h.stored("customers", false) {
		if r.RefID == "" { // a customer, not a job
			id = cid
			h.qb(`<CustomerModRq><CustomerMod><ListID>` + cid + `</ListID><EditSequence>` + r.EditSequence + `</EditSequence><IsActive>false</IsActive></CustomerMod></CustomerModRq>`)
			break
		}
	}
	h.later(time.Hour)
	allComplete(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types, Full: true}), types...)
	r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "customers", id)
	if err != nil || r.Deleted || r.Active {
		t.Fatalf("inactive customer %s after a full pass: %v, deleted=%v active=%v; want it stored inactive, not deleted", id, err, r != nil && r.Deleted, r != nil && r.Active)
	}
	h.checkMirror(0, types...)
}

// A full pass that QuickBooks interrupts (it closes, the iterator is
// gone) and the platform's restart in between still sweeps what it did
// not find, once its restarted attempt reads the last page.
func TestAnInterruptedFullPassStillDeletesWhatItDidNotFind(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: smallCompany(8), Engine: syncengine.Config{MaxReturned: 40}})
	types := []string{"invoices"}
	allComplete(t, h.syncNow(qbconnect.SyncRequest{DataTypes: types}), types...)
	gone := h.deleteOne("invoices", "Invoice")
	h.later(100 * 24 * time.Hour)

	if _, err := h.sim.InjectFault(qbdsim.Fault{Method: "ProcessRequest", After: 3, CloseQuickBooks: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: types}); err != nil {
		t.Fatal(err)
	}
	h.drain() // stops when QuickBooks closes
	h.restartPlatform()
	h.openQuickBooks()
	h.drain()

	states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	st := stateOf(t, states, "invoices")
	if st.Status != qbconnect.SyncComplete || st.Mode != qbconnect.SyncFull || st.Restarts != 1 || st.Deleted != 1 {
		t.Fatalf("invoices: %s %s pass, %d restarts, %d deleted (%v); want a complete full pass, 1 restart, 1 deleted",
			st.Status, st.Mode, st.Restarts, st.Deleted, st.Error)
	}
	if r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "invoices", gone); err != nil || !r.Deleted {
		t.Errorf("invoice %s: %v, deleted=%v; want deleted", gone, err, r != nil && r.Deleted)
	}
	h.checkMirror(3, types...)
}
