package syncengine_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
	"github.com/qbconnect/qbconnect/syncengine/synctest"
)

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

// company20k is a company of 20,000 transactions over every transaction
// type the generator makes.
var company20k = companyfile.GenerateOptions{Seed: 20, Customers: 300, Jobs: 60, Vendors: 80, Employees: 12, Items: 60, Classes: 6,
	Invoices: 6000, Payments: 3000, SalesReceipts: 2000, CreditMemos: 800, Estimates: 1000, SalesOrders: 1000,
	Bills: 2600, BillPayments: 1200, PurchaseOrders: 900, Checks: 800, CreditCardCharges: 300, Deposits: 200, JournalEntries: 200}

func smallCompany(seed uint64) companyfile.GenerateOptions {
	return companyfile.GenerateOptions{Seed: seed, Customers: 20, Jobs: 4, Vendors: 8, Employees: 3, Items: 10, Classes: 3,
		Invoices: 300, Payments: 120, SalesReceipts: 60, CreditMemos: 20, Estimates: 30, SalesOrders: 30,
		Bills: 150, BillPayments: 60, PurchaseOrders: 30, Checks: 40, CreditCardCharges: 20, Deposits: 10, JournalEntries: 10}
}

func TestFullThenIncrementalSyncMirrorsTwentyThousandTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20,000 transactions")
	}
	h := newHarness(t, harnessOptions{Generate: company20k})
	full := h.syncNow(qbconnect.SyncRequest{})
	states := full
	allComplete(t, states)
	if got := stateOf(t, states, "invoices"); got.Mode != qbconnect.SyncFull || got.Pages < 12 || got.Fetched != 6000 {
		t.Errorf("invoices pass: mode %s, %d pages, %d fetched; want full, >= 12 pages of 500, 6000", got.Mode, got.Pages, got.Fetched)
	}
	total := h.checkMirror(5)
	if total < 20000 {
		t.Errorf("mirrored %d objects, want at least the 20,000 transactions", total)
	}
	t.Logf("full sync mirrored %d objects", total)

	// An hour later, someone works in QuickBooks.
	h.simNow.Advance(time.Hour)
	invoices := h.stored("invoices", false)
	var changed []string
	for id, r := range invoices {
		if len(changed) == 25 {
			break
		}
		h.qb(`<InvoiceModRq><InvoiceMod><TxnID>` + id + `</TxnID><EditSequence>` + r.EditSequence + `</EditSequence><Memo>changed ` + id + `</Memo></InvoiceMod></InvoiceModRq>`)
		changed = append(changed, id)
	}
	cust := h.qb(`<CustomerAddRq><CustomerAdd><Name>Zephyr Late Addition</Name></CustomerAdd></CustomerAddRq>`)
	custID, _ := cust.ChildText("ListID")
	newInv := h.qb(`<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>` + custID + `</ListID></CustomerRef><TxnDate>2026-03-02</TxnDate>
		<InvoiceLineAdd><Desc>Late work</Desc><Amount>125.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
	newInvID, _ := newInv.ChildText("TxnID")
	bills := h.stored("bills", false)
	var deletedBill string
	for id := range bills {
		if h.tryQB(`<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>` + id + `</TxnID></TxnDelRq>`) {
			deletedBill = id
			break
		}
	}
	if deletedBill == "" {
		t.Fatal("no bill could be deleted")
	}
	checks := h.stored("checks", false)
	var voided string
	for id := range checks {
		voided = id
		break
	}
	h.qb(`<TxnVoidRq><TxnVoidType>Check</TxnVoidType><TxnID>` + voided + `</TxnID></TxnVoidRq>`)

	states = h.syncNow(qbconnect.SyncRequest{})
	allComplete(t, states)
	inc := stateOf(t, states, "invoices")
	if inc.Mode != qbconnect.SyncIncremental {
		t.Fatalf("second pass mode %s, want incremental", inc.Mode)
	}
	// Each type asked only for what changed since the full sync (less the
	// 5-minute overlap): exactly what QuickBooks holds as modified since
	// then, a few dozen records, not the 20,000.
	for _, info := range h.eng.DataTypes() {
		from := stateOf(t, full, info.Name).HighWater.Add(-5 * time.Minute)
		if got, want := stateOf(t, states, info.Name).Fetched, h.modifiedSince(info, from); got != want {
			t.Errorf("incremental %s fetched %d, QuickBooks has %d modified since %s", info.Name, got, want, from)
		}
	}
	if got := fetched(states); got > 200 {
		t.Errorf("the incremental sync fetched %d records, want only the changed ones", got)
	}
	if inc.Fetched < 26 {
		t.Errorf("incremental invoices fetched %d, want at least the 25 changed and 1 new", inc.Fetched)
	}
	for _, id := range changed {
		r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "invoices", id)
		if err != nil || !strings.Contains(string(r.Data), `"memo":"changed `+id+`"`) {
			t.Errorf("changed invoice %s not updated: %v %.300s", id, err, recordData(r))
		}
	}
	if _, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "invoices", newInvID); err != nil {
		t.Errorf("new invoice: %v", err)
	}
	if r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "bills", deletedBill); err != nil || !r.Deleted {
		t.Errorf("deleted bill %s: %v, deleted=%v", deletedBill, err, r != nil && r.Deleted)
	}
	if st := stateOf(t, states, "bills"); st.Deleted != 1 {
		t.Errorf("bills pass saw %d deletions, want 1", st.Deleted)
	}
	// The changed invoices' customers (and their parents) and the
	// deleted bill's vendor were read again, once each, in one query a
	// type: the voided check moved no balance.
	got := h.refreshes()
	if want := []string{bills[deletedBill].RefID}; !slices.Equal(got["vendors"], want) {
		t.Errorf("refreshed vendors %v, want the deleted bill's %v", got["vendors"], want)
	}
	if n := len(got["customers"]); n == 0 || n > 2*len(changed)+2 || len(slices.Compact(slices.Sorted(slices.Values(got["customers"])))) != n {
		t.Errorf("refreshed %d customers %v, want the changed invoices' and their parents', once each", n, got["customers"])
	}
	// The deleted bill changed its vendor's balance and nothing else
	// about it: the vendor was read again all the same.
	synctest.Check(t, h.quickBooks, h.live, []qbconnect.DataTypeInfo{vendorsInfo(t, h)}, 80)
	h.checkMirror(3)
}

// vendorsInfo returns the engine's vendors data type.
func vendorsInfo(t *testing.T, h *harness) qbconnect.DataTypeInfo {
	for _, info := range h.eng.DataTypes() {
		if info.Name == "vendors" {
			return info
		}
	}
	t.Fatal("no vendors data type")
	return qbconnect.DataTypeInfo{}
}

func recordData(r *qbconnect.Record) string {
	if r == nil {
		return ""
	}
	return string(r.Data)
}

// tryQB runs a request and reports whether QuickBooks accepted it.
func (h *harness) tryQB(req string) bool {
	doc := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">` + req + `</QBXMLMsgsRq></QBXML>`
	resp, err := h.proc.ProcessRequest(h.ctx, h.ticket, []byte(doc))
	if err != nil {
		return false
	}
	_, err = synctest.Records(resp)
	return err == nil
}

func TestSyncSmallCompanyPagesAndHistory(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) { testSyncSmallCompany(t, dsn) })
	}
}

func testSyncSmallCompany(t *testing.T, dsn storetest.DSNFunc) {
	h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(1), Engine: syncengine.Config{MaxReturned: 50}})
	states := h.syncNow(qbconnect.SyncRequest{DataTypes: []string{"customers", "invoices", "accounts"}})
	allComplete(t, states, "customers", "invoices", "accounts")
	inv := stateOf(t, states, "invoices")
	if inv.Fetched != 300 || inv.Pages != 6 {
		t.Errorf("invoices: %d fetched in %d pages, want 300 in 6", inv.Fetched, inv.Pages)
	}
	if st := stateOf(t, states, "bills"); st.Status != qbconnect.SyncIdle {
		t.Errorf("bills were not asked for but are %s", st.Status)
	}
	runs, _, err := h.eng.SyncRuns(h.ctx, qbconnect.SyncRunFilter{OrgID: h.org.ID, CompanyID: h.conn.CompanyID, DataType: "invoices"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != qbconnect.SyncComplete || runs[0].Fetched != 300 || runs[0].FinishedAt == nil || runs[0].Mode != qbconnect.SyncFull {
		t.Errorf("history: %+v", runs)
	}
	// A record's JSON: camelCase keys, typed values, repeated children as arrays.
	for _, r := range h.stored("invoices", false) {
		var m map[string]any
		mustUnmarshal(t, r.Data, &m)
		if _, ok := m["txnId"].(string); !ok {
			t.Errorf("no txnId: %.200s", r.Data)
		}
		if _, ok := m["customerRef"].(map[string]any)["listId"]; !ok {
			t.Errorf("customerRef has no listId: %.200s", r.Data)
		}
		if _, ok := m["txnNumber"].(float64); !ok {
			t.Errorf("txnNumber is not a number: %.300s", r.Data)
		}
		if _, ok := m["isPaid"].(bool); !ok {
			t.Errorf("isPaid is not a boolean: %.300s", r.Data)
		}
		if _, ok := m["subtotal"].(string); !ok {
			t.Errorf("subtotal is not a string: %.300s", r.Data)
		}
		if lines, ok := m["invoiceLine"].([]any); !ok || len(lines) == 0 {
			t.Errorf("invoiceLine is not a non-empty array: %.300s", r.Data)
		}
		if r.RefID == "" || r.TxnDate == "" || r.Name == "" || r.ModifiedAt.IsZero() || !r.Active {
			t.Errorf("indexed columns not filled: %+v", r)
		}
		break
	}
	// A second on-demand sync with nothing changed fetches only the
	// records inside the overlap window and changes none of them.
	from := inv.HighWater.Add(-5 * time.Minute)
	inOverlap := 0
	stored := h.stored("invoices", false)
	for _, r := range stored {
		if !r.ModifiedAt.Before(from) {
			inOverlap++
		}
	}
	h.env.Clock.Advance(time.Minute)
	states = h.syncNow(qbconnect.SyncRequest{DataTypes: []string{"invoices"}})
	st := stateOf(t, states, "invoices")
	if st.Mode != qbconnect.SyncIncremental || st.Status != qbconnect.SyncComplete {
		t.Errorf("second pass %s %s", st.Mode, st.Status)
	}
	if st.Fetched != inOverlap || inOverlap > 30 {
		t.Errorf("an incremental sync with nothing changed fetched %d records, want the %d in the overlap window", st.Fetched, inOverlap)
	}
	for id, r := range h.stored("invoices", false) {
		if !r.UpdatedAt.Equal(stored[id].UpdatedAt) {
			t.Errorf("unchanged invoice %s was rewritten", id)
		}
	}
	// A forced full sync reads everything again.
	states = h.syncNow(qbconnect.SyncRequest{DataTypes: []string{"invoices"}, Full: true})
	if st := stateOf(t, states, "invoices"); st.Mode != qbconnect.SyncFull || st.Fetched != 300 {
		t.Errorf("forced full pass: %s fetched %d", st.Mode, st.Fetched)
	}
}

func TestSyncNowRejectsUnknownTypesAndUnlinkedCompanies(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	_, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: []string{"invoices", "unicorns"}})
	if qbconnect.ErrorCodeOf(err) != qbconnect.EInvalid || !strings.Contains(err.Error(), "unicorns") {
		t.Errorf("unknown type: %v", err)
	}
	other := h.env.Company(t, h.org.ID, "Not linked")
	_, err = h.eng.SyncNow(h.ctx, h.org.ID, other.ID, qbconnect.SyncRequest{})
	if qbconnect.ErrorCodeOf(err) != qbconnect.EConflict {
		t.Errorf("company without a connection: %v", err)
	}
	_, err = h.eng.SyncNow(h.ctx, "org_other", h.conn.CompanyID, qbconnect.SyncRequest{})
	if qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		t.Errorf("another org's company: %v", err)
	}
	// Nothing was queued by the rejected calls.
	ops, _, err := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID})
	if err != nil || len(ops) != 0 {
		t.Errorf("rejected syncs queued %d operations (%v)", len(ops), err)
	}
}

func TestSyncNowDoesNotStartATypeTwice(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: smallCompany(2)})
	for i := 0; i < 3; i++ {
		if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: []string{"bills"}}); err != nil {
			t.Fatal(err)
		}
	}
	ops, _, err := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID})
	if err != nil || len(ops) != 1 {
		t.Fatalf("three requests queued %d operations (%v), want 1", len(ops), err)
	}
	h.drain()
	runs, _, _ := h.eng.SyncRuns(h.ctx, qbconnect.SyncRunFilter{OrgID: h.org.ID, CompanyID: h.conn.CompanyID})
	if len(runs) != 1 {
		t.Errorf("%d runs, want 1", len(runs))
	}
}

// notSynced are the object types qbdsim implements that the engine does
// not sync, each with the reason. None today: every type the simulator
// stores has a query in qbXML 13.0 and is data a client reads.
var notSynced = map[string]string{}

func TestDataTypesCoverEverySimulatedType(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	types := h.eng.DataTypes()
	names, objects := map[string]bool{}, map[string]bool{}
	for _, d := range types {
		if names[d.Name] {
			t.Errorf("data type %s twice", d.Name)
		}
		names[d.Name] = true
		objects[d.Object] = true
	}
	f, err := companyfile.Create(filepath.Join(t.TempDir(), "types.qbw"), "Types", companyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	simulated := f.Types()
	if len(simulated) < len(types) {
		t.Errorf("the simulator lists %d types, fewer than the engine's %d", len(simulated), len(types))
	}
	var missing []string
	for _, obj := range simulated {
		if _, excluded := notSynced[obj]; !excluded && !objects[obj] {
			missing = append(missing, obj)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the simulator implements types the engine does not sync: %s", strings.Join(missing, ", "))
	}
	for obj := range notSynced {
		if objects[obj] || !slices.Contains(simulated, obj) {
			t.Errorf("%s is listed as not synced, but the engine syncs it or the simulator lacks it", obj)
		}
	}
	var got []string
	for _, d := range types {
		if d.Name == "invoices" || d.Name == "customers" || d.Name == "standardTerms" {
			got = append(got, fmt.Sprintf("%s:%v", d.Name, d.Actions))
		}
	}
	want := []string{"customers:[create update delete]", "standardTerms:[create delete]", "invoices:[create update delete void]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}
