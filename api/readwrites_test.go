package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
)

// TestAGetRightAfterAWaitedWriteShowsItsResult: once a write answered with
// ?wait=30s says Success, a GET of the record shows QuickBooks' new state
// (new amounts and editSequence after an update or a void, deleted after a
// delete) without a sync in between, and each operation carries the
// record it changed. Runs on SQLite and, when QBCONNECT_TEST_POSTGRES is
// set, on PostgreSQL.
func TestAGetRightAfterAWaitedWriteShowsItsResult(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, smallCompany())
			c.syncAll(t)
			r := c.refs(t)
			c.background(t)
			runs := func() int {
				n := 0
				for _, dt := range []string{"invoices"} {
					got, _, err := e.engine.SyncRuns(context.Background(), qbconnect.SyncRunFilter{OrgID: c.org.ID, CompanyID: c.id, DataType: dt, Limit: 1000})
					if err != nil {
						t.Fatal(err)
					}
					n += len(got)
				}
				return n
			}
			passes := runs()
			base := "/v1/companies/" + c.id + "/invoices"
			body := r.expand(`{"customerRef":{"listId":"{customer}"},"txnDate":"2026-02-10","refNumber":"RYW-1",` +
				`"invoiceLine":[{"itemRef":{"listId":"{item}"},"desc":"Consulting","quantity":"2","rate":"75.00"}]}`)
			created, _ := c.write(t, 200, "POST", base+"?wait=30s", body)
			id, _ := created.Record["id"].(string)
			var stored map[string]any
			c.get(t, base+"/"+id, &stored)
			if stored["editSequence"] != created.Record["editSequence"] || stored["subtotal"] != "150.00" {
				t.Fatalf("after the create, GET shows editSequence %v subtotal %v; the write answered %v",
					stored["editSequence"], stored["subtotal"], created.Record["editSequence"])
			}

			// Update: the new memo and editSequence, at once.
			upd := `{"editSequence":"` + stored["editSequence"].(string) + `","memo":"updated right now"}`
			updated, _ := c.write(t, 200, "PATCH", base+"/"+id+"?wait=30s", upd)
			c.get(t, base+"/"+id, &stored)
			if stored["memo"] != "updated right now" || stored["editSequence"] != updated.Record["editSequence"] {
				t.Errorf("after the update, GET shows memo %v editSequence %v, want the update's (editSequence %v)",
					stored["memo"], stored["editSequence"], updated.Record["editSequence"])
			}

			// Void: zero amounts, the VOID memo and the new editSequence,
			// which the void's operation carries too.
			beforeVoid := stored["editSequence"]
			voided, _ := c.write(t, 200, "POST", base+"/"+id+"/void?wait=30s", "")
			if voided.Status != "Success" || voided.Record == nil || voided.RecordID != id {
				t.Fatalf("the void's operation carries no record: %+v", voided)
			}
			c.get(t, base+"/"+id, &stored)
			memo, _ := stored["memo"].(string)
			if stored["editSequence"] == beforeVoid || stored["editSequence"] != voided.Record["editSequence"] ||
				!strings.HasPrefix(memo, "VOID:") || stored["subtotal"] != "0.00" {
				t.Errorf("after the void, GET shows editSequence %v (was %v, the void answered %v), memo %q, subtotal %v",
					stored["editSequence"], beforeVoid, voided.Record["editSequence"], memo, stored["subtotal"])
			}
			var op operation
			c.get(t, "/v1/operations/"+voided.ID, &op)
			if op.Record == nil || op.Record["editSequence"] != stored["editSequence"] {
				t.Errorf("GET of the void's operation: %+v", op)
			}

			// Delete: the record reads as deleted and leaves the list.
			deleted, _ := c.write(t, 200, "DELETE", base+"/"+id+"?wait=30s", "")
			if deleted.Status != "Success" || deleted.RecordID != id {
				t.Errorf("the delete's operation: %+v", deleted)
			}
			c.get(t, base+"/"+id, &stored)
			if stored["deleted"] != true {
				t.Errorf("after the delete, GET shows deleted %v", stored["deleted"])
			}
			for _, rec := range c.listAll(t, "invoices", "", 1000) {
				if rec["id"] == id {
					t.Error("the deleted invoice is still listed")
				}
			}
			if got := runs(); got != passes {
				t.Errorf("%d sync passes ran during the writes; the test must show the writes' own results", got-passes)
			}
		})
	}
}
