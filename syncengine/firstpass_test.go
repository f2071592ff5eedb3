package syncengine_test

import (
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
)

// A type's first pass inserts its records without the upsert's conflict
// handling (INSERT OR IGNORE on SQLite, COPY or INSERT on PostgreSQL)
// until a page finds one stored already. A client's write during the
// first sync stores its record before the pass's page that holds it, and
// QuickBooks changes it again before answering: the page upserts it
// instead, and the store holds what QuickBooks holds, every record once.
func TestARecordWrittenDuringTheFirstSyncIsStoredOnce(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(9)})
			types := []string{"customers"}
			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: types}); err != nil {
				t.Fatal(err)
			}
			l, err := h.env.Queue.Lease(h.ctx, h.connID, time.Minute)
			if err != nil || l == nil {
				t.Fatalf("lease: %v %v", l, err)
			}
			// A client's write adds a customer, stored as the write's
			// completion stores it, before QuickBooks answers the page.
			written, es := h.writeCustomer("Written During Co")
			// Someone at QuickBooks then renames it: the page must replace
			// the stored record, not keep it.
			h.simNow.Advance(time.Second)
			renamed := h.qb(`<CustomerModRq><CustomerMod><ListID>` + written + `</ListID><EditSequence>` + es +
				`</EditSequence><Name>Renamed During Co</Name></CustomerMod></CustomerModRq>`)
			es, _ = renamed.ChildText("EditSequence")
			answer, err := h.process(l.Operation.Request)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := h.env.Control.Complete(h.ctx, l.Operation, control.Report{LeaseID: l.LeaseID, Response: answer}); err != nil {
				t.Fatal(err)
			}
			h.drain()

			states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
			allComplete(t, states, types...)
			r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "customers", written)
			if err != nil {
				t.Fatal(err)
			}
			if r.Deleted || r.EditSequence != es || r.Name != "Renamed During Co" {
				t.Errorf("the customer written during the first sync is stored as %q at edit sequence %s (deleted %v); want %q at %s",
					r.Name, r.EditSequence, r.Deleted, "Renamed During Co", es)
			}
			h.checkMirror(3, types...)
		})
	}
}
