package syncengine_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// renameCompany is a small company with customers that have jobs,
// invoices, payments and items.
var renameCompany = companyfile.GenerateOptions{Seed: 11, Customers: 4, Jobs: 4, Items: 4, Vendors: 2, Invoices: 24, Payments: 8,
	Bills: 4, BillPayments: 2}

// parentWithJobs returns a stored customer that has jobs, and its jobs.
func parentWithJobs(t testing.TB, h *harness) (*qbconnect.Record, []*qbconnect.Record) {
	t.Helper()
	customers := h.stored("customers", false)
	for _, c := range customers {
		var jobs []*qbconnect.Record
		for _, j := range customers {
			if strings.HasPrefix(j.Name, c.Name+":") {
				jobs = append(jobs, j)
			}
		}
		if len(jobs) > 0 && !strings.Contains(c.Name, ":") {
			return c, jobs
		}
	}
	t.Fatal("the generated company has no customer with jobs")
	return nil, nil
}

// otherCustomer returns the ListID of a stored customer outside the
// family of the customer named parent.
func otherCustomer(t testing.TB, h *harness, parent string) string {
	t.Helper()
	for _, c := range h.stored("customers", false) {
		if c.Name != parent && !strings.HasPrefix(c.Name, parent+":") {
			return c.ID
		}
	}
	t.Fatal("the generated company has no other customer")
	return ""
}

// invoicedItem returns the ListID of an item a stored invoice sells, and
// its data type.
func invoicedItem(t *testing.T, h *harness) (string, qbconnect.DataTypeInfo) {
	t.Helper()
	for _, inv := range h.stored("invoices", false) {
		var data struct {
			InvoiceLine []struct {
				ItemRef struct{ ListID string } `json:"itemRef"`
			} `json:"invoiceLine"`
		}
		mustUnmarshal(t, inv.Data, &data)
		for _, l := range data.InvoiceLine {
			if l.ItemRef.ListID == "" {
				continue
			}
			for _, info := range h.eng.DataTypes() {
				if strings.HasPrefix(info.Object, "Item") && h.stored(info.Name, false)[l.ItemRef.ListID] != nil {
					return l.ItemRef.ListID, info
				}
			}
		}
	}
	t.Fatal("no stored invoice sells a stored item")
	return "", qbconnect.DataTypeInfo{}
}

// namingRefs counts the stored records of types that name listID in a
// reference (an object with that listId), and how many of those give
// another fullName than want.
func namingRefs(t *testing.T, h *harness, listID, want string, types ...string) (naming, stale int) {
	t.Helper()
	var walk func(v any, top bool)
	walk = func(v any, top bool) {
		switch v := v.(type) {
		case map[string]any:
			if !top && v["listId"] == listID {
				naming++
				if v["fullName"] != want {
					stale++
				}
			}
			for _, c := range v {
				walk(c, false)
			}
		case []any:
			for _, c := range v {
				walk(c, false)
			}
		}
	}
	for _, typ := range types {
		for _, r := range h.stored(typ, false) {
			var v any
			mustUnmarshal(t, r.Data, &v)
			walk(v, true)
		}
	}
	return naming, stale
}

// rewrittenRecords returns, sorted, the IDs of the stored records of typ
// whose JSON differs from before's, the platform having rewritten them
// (renames) or read them again (merges) though QuickBooks did not mark
// them modified: each must have a later updatedAt and keep its
// editSequence and modifiedAt; the others must not have moved. It fails
// the test when none changed.
func rewrittenRecords(t *testing.T, h *harness, typ string, before map[string]*qbconnect.Record) []string {
	t.Helper()
	var changed []string
	for id, r := range h.stored(typ, false) {
		old := before[id]
		switch {
		case old == nil:
		case string(old.Data) != string(r.Data):
			changed = append(changed, id)
			if !r.UpdatedAt.After(old.UpdatedAt) || r.EditSequence != old.EditSequence || !r.ModifiedAt.Equal(old.ModifiedAt) {
				t.Errorf("%s %s: updatedAt %v (was %v), editSequence %s (was %s), modifiedAt %v (was %v): want a later updatedAt, the rest kept",
					typ, id, r.UpdatedAt, old.UpdatedAt, r.EditSequence, old.EditSequence, r.ModifiedAt, old.ModifiedAt)
			}
		case !r.UpdatedAt.Equal(old.UpdatedAt):
			t.Errorf("%s %s did not change but its updatedAt moved", typ, id)
		}
	}
	if len(changed) == 0 {
		t.Errorf("no stored %s changed", typ)
	}
	slices.Sort(changed)
	return changed
}

// QuickBooks refers to list elements by ListID: a customer renamed in
// QuickBooks shows its new name on every transaction of its own and of
// its jobs, and its jobs' full names start with it (Intuit, "Objects,
// object identifiers, fullnames, and object references"; Accounting
// Software Secrets, "Edit List Entry"; Conductor, "Jobs and customers";
// qbdsim's renames_test.go quotes them), without any of those records
// being marked modified (unverified: no source says either way; qbdsim
// keeps their TimeModified).
// An incremental sync brings only the customer. The platform follows:
// every stored record that names the customer or one of its jobs is
// stored again with the new names, so that the store holds what
// QuickBooks holds, byte for byte, and clients polling with updatedSince
// see those records.
func TestARenamedCustomerIsNamedAnewInEveryRecordThatRefersToItOrItsJobs(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: renameCompany})
			allComplete(t, h.syncNow(qbconnect.SyncRequest{}))
			parent, jobs := parentWithJobs(t, h)
			job := jobs[0]
			jobLeaf := strings.TrimPrefix(job.Name, parent.Name+":")
			// The job gets an invoice of its own, so that records name it.
			h.qb(`<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>` + job.ID + `</ListID></CustomerRef>
				<InvoiceLineAdd><Desc>Site visit</Desc><Amount>75.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
			// The last invoice QuickBooks modified is another customer's:
			// the incremental passes' overlap reads it again, and only it.
			h.later(time.Hour)
			other := otherCustomer(t, h, parent.Name)
			h.qb(`<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>` + other + `</ListID></CustomerRef>
				<InvoiceLineAdd><Desc>Unrelated</Desc><Amount>5.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
			h.later(time.Minute)
			allComplete(t, h.syncNow(qbconnect.SyncRequest{}))
			if n, _ := namingRefs(t, h, parent.ID, parent.Name, "invoices", "receivePayments", "customers"); n == 0 {
				t.Fatalf("no stored record names %s: the scenario proves nothing", parent.Name)
			}
			if n, _ := namingRefs(t, h, job.ID, job.Name, "invoices"); n == 0 {
				t.Fatalf("no stored invoice names the job %s: the scenario proves nothing", job.Name)
			}
			before := h.stored("invoices", false)

			h.later(time.Hour) // past the incremental passes' overlap
			ret := h.retOf(infoOf(t, h, "customers"), parent.ID)
			es, _ := ret.ChildText("EditSequence")
			h.qb(`<CustomerModRq><CustomerMod><ListID>` + parent.ID + `</ListID><EditSequence>` + es +
				`</EditSequence><Name>Renamed &amp; Sons</Name></CustomerMod></CustomerModRq>`)
			// And an item the invoices sell.
			item, itemInfo := invoicedItem(t, h)
			ret = h.retOf(itemInfo, item)
			es, _ = ret.ChildText("EditSequence")
			h.qb(`<` + itemInfo.Object + `ModRq><` + itemInfo.Object + `Mod><ListID>` + item + `</ListID><EditSequence>` + es +
				`</EditSequence><Name>Renamed Widget</Name></` + itemInfo.Object + `Mod></` + itemInfo.Object + `ModRq>`)
			h.later(time.Minute)
			events := h.watchRecordChanges()
			states := h.syncNow(qbconnect.SyncRequest{})
			if st := stateOf(t, states, "invoices"); st.Mode != qbconnect.SyncIncremental || st.Fetched != 1 {
				t.Fatalf("the invoices pass after the rename was %s and fetched %d, want incremental and only the other customer's last invoice: QuickBooks marks no invoice modified",
					st.Mode, st.Fetched)
			}

			newJob := "Renamed & Sons:" + jobLeaf
			if n, stale := namingRefs(t, h, item, "Renamed Widget", "invoices"); n == 0 || stale > 0 {
				t.Errorf("%d of %d invoice lines selling the renamed item keep its old name", stale, n)
			}
			for id, want := range map[string]string{parent.ID: "Renamed & Sons", job.ID: newJob} {
				if n, stale := namingRefs(t, h, id, want, "invoices", "receivePayments", "customers"); stale > 0 {
					t.Errorf("%d of %d references to %s do not read %q", stale, n, id, want)
				}
			}
			stored := h.stored("customers", false)
			if got := stored[job.ID].Name; got != newJob {
				t.Errorf("the job is stored as %q, want %q", got, newJob)
			}
			found, _, err := h.env.Records.ListRecords(h.ctx, qbconnect.RecordFilter{OrgID: h.org.ID, CompanyID: h.conn.CompanyID,
				Type: "customers", Name: newJob})
			if err != nil || len(found) != 1 || found[0].ID != job.ID {
				t.Errorf("the job is not found by its new full name: %d found, %v", len(found), err)
			}
			// The invoices that changed are newer for clients; the others
			// are as they were.
			changed := rewrittenRecords(t, h, "invoices", before)
			// Each of them, and only they, raised record.updated (the
			// overlap's invoice came back as stored), once per rename that
			// changed it: an invoice of the customer selling the item
			// changes with each of the two passes.
			if diff := cmp.Diff(changed, slices.Compact(changedSince(*events, 0, "invoices"))); diff != "" {
				t.Errorf("invoices reported updated (-changed +reported):\n%s", diff)
			}
			// Everything the store holds is what QuickBooks holds.
			h.checkMirror(1000, "customers", "invoices", "receivePayments", itemInfo.Name)
		})
	}
}

// A client renaming a customer through the API (a write) gets the same:
// the records that name the customer or its jobs are stored with the new
// names in the write's own transaction, without waiting for a sync.
func TestACustomerRenamedThroughTheAPIIsNamedAnewInStoredRecordsAtOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: renameCompany})
	allComplete(t, h.syncNow(qbconnect.SyncRequest{}))
	parent, jobs := parentWithJobs(t, h)
	body, _ := json.Marshal(map[string]any{"name": "Written Anew Co", "editSequence": parent.EditSequence})
	_, res := h.write(qbconnect.WriteRequest{DataType: "customers", Action: qbconnect.WriteUpdate, ID: parent.ID, Body: body})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("rename: %s %v", res.Status, res.Error)
	}
	if n, stale := namingRefs(t, h, parent.ID, "Written Anew Co", "invoices", "receivePayments", "customers"); n == 0 || stale > 0 {
		t.Errorf("%d of %d references to the renamed customer keep the old name", stale, n)
	}
	stored := h.stored("customers", false)
	for _, j := range jobs {
		want := "Written Anew Co" + strings.TrimPrefix(j.Name, parent.Name)
		if got := stored[j.ID].Name; got != want {
			t.Errorf("job stored as %q, want %q", got, want)
		}
	}
	h.checkMirror(1000, "customers", "invoices", "receivePayments")
}
