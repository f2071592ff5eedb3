package syncengine_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
)

// Whether QuickBooks marks a customer or vendor modified (a new
// TimeModified and EditSequence) when a transaction moves its Balance is
// documented nowhere we found (Intuit's qbXML reference and the
// developer forums we searched say nothing either way); qbdsim does not.
// These scenarios hold against both: the customers and vendors whose
// balances an incremental pass's transactions moved are read again by
// ListID, unless the store holds them as modified after the change.

// balanceHarness is a harness on dsn with a parent customer and its job,
// a second customer and a vendor, synced once (customers, vendors and
// the transactions the scenario names) before the scenario changes
// anything.
type balanceHarness struct {
	*harness
	types              []string
	parent, job, other string // customers' ListIDs
	vendor             string
	changes            *[]*qbconnect.RecordChanges
}

func newBalanceHarness(t *testing.T, dsn storetest.DSNFunc, types ...string) *balanceHarness {
	return newBalanceHarnessWith(t, harnessOptions{DSN: dsn(t)}, types...)
}

func newBalanceHarnessWith(t *testing.T, o harnessOptions, types ...string) *balanceHarness {
	h := &balanceHarness{harness: newHarness(t, o), types: append([]string{"customers", "vendors"}, types...)}
	h.parent = listID(h.qb(`<CustomerAddRq><CustomerAdd><Name>Harbor Parent</Name></CustomerAdd></CustomerAddRq>`))
	h.job = listID(h.qb(`<CustomerAddRq><CustomerAdd><Name>Dock Job</Name><ParentRef><ListID>` + h.parent + `</ListID></ParentRef></CustomerAdd></CustomerAddRq>`))
	h.other = listID(h.qb(`<CustomerAddRq><CustomerAdd><Name>Other Customer</Name></CustomerAdd></CustomerAddRq>`))
	h.vendor = listID(h.qb(`<VendorAddRq><VendorAdd><Name>Rope Supply</Name></VendorAdd></VendorAddRq>`))
	// A customer and a vendor added a day later move the passes' high
	// water: an incremental pass reads again what was modified within
	// its overlap of it, and the scenario's customers and vendors are
	// not.
	h.simNow.Advance(24 * time.Hour)
	h.qb(`<CustomerAddRq><CustomerAdd><Name>Later Customer</Name></CustomerAdd></CustomerAddRq>`)
	h.qb(`<VendorAddRq><VendorAdd><Name>Later Vendor</Name></VendorAdd></VendorAddRq>`)
	h.changes = h.watchRecordChanges()
	return h
}

func listID(n *qbxml.Node) string {
	id, _ := n.ChildText("ListID")
	return id
}

func txnID(n *qbxml.Node) string {
	id, _ := n.ChildText("TxnID")
	return id
}

// sync runs a sync of the harness's types and fails unless each pass
// completed in mode.
func (h *balanceHarness) sync(mode qbconnect.SyncMode) {
	h.tb.Helper()
	states := h.syncNow(qbconnect.SyncRequest{DataTypes: h.types})
	allComplete(h.tb, states, h.types...)
	for _, typ := range h.types {
		if st := stateOf(h.tb, states, typ); st.Mode != mode {
			h.tb.Fatalf("%s pass %s, want %s", typ, st.Mode, mode)
		}
	}
}

// invoice adds an invoice of one line in QuickBooks, as a user would.
func (h *balanceHarness) invoice(customer, amount string) string {
	h.tb.Helper()
	return txnID(h.qb(`<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>` + customer + `</ListID></CustomerRef><TxnDate>2026-03-02</TxnDate>
		<InvoiceLineAdd><Desc>Dock work</Desc><Amount>` + amount + `</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`))
}

// watchRecordChanges subscribes the organisation to record events and
// collects what the engine reports as created, changed or deleted (in
// place of the control plane's events, which record the same).
func (h *harness) watchRecordChanges() *[]*qbconnect.RecordChanges {
	h.tb.Helper()
	if _, err := store.NewWebhookStore(h.env.DB).CreateWebhook(h.ctx, &qbconnect.WebhookEndpoint{OrgID: h.org.ID, URL: "https://hooks.example.com/qb",
		Events: []qbconnect.EventType{qbconnect.EventRecordUpdated}, Enabled: true}); err != nil {
		h.tb.Fatal(err)
	}
	var got []*qbconnect.RecordChanges
	h.eng.OnRecordsChanged(func(_ context.Context, _ qbconnect.EventRecorder, ch *qbconnect.RecordChanges) error {
		c := *ch
		got = append(got, &c)
		return nil
	})
	return &got
}

// changed returns the IDs of a type that record changes since the n-th
// reported as updated.
func changedSince(all []*qbconnect.RecordChanges, n int, typ string) []string {
	var ids []string
	for _, ch := range all[n:] {
		if ch.DataType == typ {
			ids = append(ids, ch.Updated...)
		}
	}
	slices.Sort(ids)
	return ids
}

// refreshes returns the ListIDs of every balance refresh queued so far,
// by data type.
func (h *harness) refreshes() map[string][]string {
	h.tb.Helper()
	out := map[string][]string{}
	cursor := ""
	for {
		ops, next, err := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID, Kind: qbconnect.OpSync, Limit: 1000, Cursor: cursor})
		if err != nil {
			h.tb.Fatal(err)
		}
		for _, op := range ops {
			var m struct{ Refresh bool }
			if json.Unmarshal(op.Meta, &m) != nil || !m.Refresh {
				continue
			}
			for typ, ids := range readBacks(op.Request) {
				out[typ] = append(out[typ], ids...)
			}
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// readBacks returns the ListIDs a message set's queries of customers,
// vendors and inventory items name, by data type.
func readBacks(request string) map[string][]string {
	out := map[string][]string{}
	for _, q := range refreshQuery.FindAllStringSubmatch(request, -1) {
		typ := map[string]string{"Customer": "customers", "Vendor": "vendors",
			"ItemInventory": "inventoryItems", "ItemInventoryAssembly": "inventoryAssemblyItems"}[q[1]]
		for _, id := range listIDs.FindAllStringSubmatch(q[2], -1) {
			out[typ] = append(out[typ], id[1])
		}
	}
	return out
}

var (
	refreshQuery = regexp.MustCompile(`<(Customer|Vendor|ItemInventory|ItemInventoryAssembly)QueryRq[^>]*>(.*?)</(?:Customer|Vendor|ItemInventory|ItemInventoryAssembly)QueryRq>`)
	listIDs      = regexp.MustCompile(`<ListID>([^<]*)</ListID>`)
)

// balances returns a stored customer's or vendor's balance and total
// balance.
func (h *harness) balances(typ, id string) (string, string) {
	h.tb.Helper()
	r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, typ, id)
	if err != nil {
		h.tb.Fatalf("%s %s: %v", typ, id, err)
	}
	bal, _ := field(h.tb, r, "balance").(string)
	total, _ := field(h.tb, r, "totalBalance").(string)
	return bal, total
}

// wantBalance fails unless the store holds a customer's or vendor's
// balance (and, for a customer, total balance) as want, and the record
// as QuickBooks holds it, field by field.
func (h *harness) wantBalance(typ, id, balance, total string) {
	h.tb.Helper()
	gotBal, gotTotal := h.balances(typ, id)
	if gotBal != balance || typ == "customers" && gotTotal != total {
		h.tb.Errorf("stored %s %s: balance %s, total %s; want %s, %s", typ, id, gotBal, gotTotal, balance, total)
	}
	info := qbconnect.DataTypeInfo{Object: "Customer"}
	if typ == "vendors" {
		info.Object = "Vendor"
	}
	r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, typ, id)
	if err != nil {
		h.tb.Fatal(err)
	}
	var wantJSON, gotJSON any
	mustUnmarshal(h.tb, syncengine.RecordJSON(h.retOf(info, id)), &wantJSON)
	mustUnmarshal(h.tb, r.Data, &gotJSON)
	if diff := cmpDiff(wantJSON, gotJSON); diff != "" {
		h.tb.Errorf("stored %s %s differs from QuickBooks (-QuickBooks +stored):\n%s", typ, id, diff)
	}
}

func TestACustomersBalanceFollowsAnInvoiceAddedInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "invoices")
			h.invoice(h.job, "40.00")
			h.sync(qbconnect.SyncFull)
			if got := h.refreshes(); len(got) != 0 {
				t.Errorf("the first, full sync queued refreshes %v; it reads every customer anyway", got)
			}
			h.wantBalance("customers", h.job, "40.00", "40.00")
			h.wantBalance("customers", h.parent, "0.00", "40.00")

			// An hour later someone invoices the job in QuickBooks: the
			// job's balance and its parent's total move, and neither is
			// marked modified.
			h.later(time.Hour)
			before := len(*h.changes)
			h.invoice(h.job, "125.00")
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "165.00", "165.00")
			h.wantBalance("customers", h.parent, "0.00", "165.00")
			h.wantBalance("customers", h.other, "0.00", "0.00")
			want := []string{h.job, h.parent}
			slices.Sort(want)
			if got := changedSince(*h.changes, before, "customers"); !slices.Equal(got, want) {
				t.Errorf("customers reported changed: %v, want the job and its parent %v", got, want)
			}
			if got := h.refreshes()["customers"]; len(got) != 2 {
				t.Errorf("refreshed customers %v, want the job and its parent read once", got)
			}

			// Nothing changes: the next pass reads the new invoice again
			// (it is inside the overlap) and refreshes nobody.
			h.env.Clock.Advance(time.Minute)
			before = len(*h.changes)
			h.sync(qbconnect.SyncIncremental)
			if got := h.refreshes()["customers"]; len(got) != 2 {
				t.Errorf("an incremental sync with nothing changed refreshed customers: %v", got)
			}
			if got := changedSince(*h.changes, before, "customers"); len(got) != 0 {
				t.Errorf("an incremental sync with nothing changed reported customers changed: %v", got)
			}
		})
	}
}

func TestACustomersBalanceFollowsPaymentsDeletionsVoidsAndMovedInvoices(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "invoices", "receivePayments")
			paid := h.invoice(h.job, "100.00")
			deleted := h.invoice(h.job, "50.00")
			voided := h.invoice(h.job, "20.00")
			moved := h.invoice(h.other, "10.00")
			settled := h.invoice(h.parent, "5.00")
			h.qb(`<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><ListID>` + h.parent + `</ListID></CustomerRef><TotalAmount>5.00</TotalAmount>
				<AppliedToTxnAdd><TxnID>` + settled + `</TxnID><PaymentAmount>5.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`)
			h.sync(qbconnect.SyncFull)
			h.wantBalance("customers", h.job, "170.00", "170.00")
			h.wantBalance("customers", h.other, "10.00", "10.00")

			h.later(time.Hour)
			h.qb(`<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><ListID>` + h.job + `</ListID></CustomerRef><TotalAmount>30.00</TotalAmount>
				<AppliedToTxnAdd><TxnID>` + paid + `</TxnID><PaymentAmount>30.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`)
			h.qb(`<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>` + deleted + `</TxnID></TxnDelRq>`)
			h.qb(`<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>` + voided + `</TxnID></TxnVoidRq>`)
			inv := h.retOf(qbconnect.DataTypeInfo{Object: "Invoice", Transaction: true}, moved)
			es, _ := inv.ChildText("EditSequence")
			h.qb(`<InvoiceModRq><InvoiceMod><TxnID>` + moved + `</TxnID><EditSequence>` + es + `</EditSequence><CustomerRef><ListID>` + h.job +
				`</ListID></CustomerRef></InvoiceMod></InvoiceModRq>`)
			h.sync(qbconnect.SyncIncremental)
			// 100 - 30 paid, 50 deleted, 20 voided, 10 moved in from the
			// other customer, who owes nothing now.
			h.wantBalance("customers", h.job, "80.00", "80.00")
			h.wantBalance("customers", h.parent, "0.00", "80.00")
			h.wantBalance("customers", h.other, "0.00", "0.00")
		})
	}
}

func TestAVendorsBalanceFollowsBillsAddedAndDeletedInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "bills")
			bill := func(amount string) string {
				return txnID(h.qb(`<BillAddRq><BillAdd><VendorRef><ListID>` + h.vendor + `</ListID></VendorRef><TxnDate>2026-03-01</TxnDate>
					<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>` + amount + `</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`))
			}
			first := bill("120.00")
			h.sync(qbconnect.SyncFull)
			h.wantBalance("vendors", h.vendor, "120.00", "")

			h.later(time.Hour)
			bill("75.50")
			h.qb(`<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>` + first + `</TxnID></TxnDelRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("vendors", h.vendor, "75.50", "")
			if got := h.refreshes(); len(got["vendors"]) != 1 || len(got["customers"]) != 0 {
				t.Errorf("refreshes %v, want the vendor read once", got)
			}
		})
	}
}

func TestACustomerModifiedAfterItsInvoiceIsNotReadTwice(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "invoices")
			h.invoice(h.other, "1.00")
			h.sync(qbconnect.SyncFull)

			// The job is invoiced, then edited: the customers pass of the
			// next sync brings it, balance and all, as QuickBooks would
			// if it marked a customer modified whenever its balance
			// moved. Only its parent, whose total moved, is read again.
			h.later(time.Hour)
			h.invoice(h.job, "60.00")
			h.simNow.Advance(time.Second)
			cust := h.retOf(qbconnect.DataTypeInfo{Object: "Customer"}, h.job)
			es, _ := cust.ChildText("EditSequence")
			h.qb(`<CustomerModRq><CustomerMod><ListID>` + h.job + `</ListID><EditSequence>` + es + `</EditSequence><Phone>555-0142</Phone></CustomerMod></CustomerModRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "60.00", "60.00")
			h.wantBalance("customers", h.parent, "0.00", "60.00")
			if got := h.refreshes()["customers"]; !slices.Equal(got, []string{h.parent}) {
				t.Errorf("refreshed customers %v, want only the parent %s", got, h.parent)
			}
		})
	}
}

func TestACustomersBalanceFollowsInvoicesWrittenThroughTheAPI(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "invoices")
			h.sync(qbconnect.SyncFull)
			before := len(*h.changes)

			// The job is named as the client knows it, by full name: the
			// write's answer brings the job and its parent with it.
			_, res := h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"customerRef":{"fullName":"Harbor Parent:Dock Job"},"invoiceLine":[{"desc":"Pilings","amount":"300.00"}]}`)})
			if res.Status != qbconnect.OpSucceeded || res.Record == nil {
				t.Fatalf("create: %s %v", res.Status, res.Error)
			}
			h.wantBalance("customers", h.job, "300.00", "300.00")
			h.wantBalance("customers", h.parent, "0.00", "300.00")
			want := []string{h.job, h.parent}
			slices.Sort(want)
			if got := changedSince(*h.changes, before, "customers"); !slices.Equal(got, want) {
				t.Errorf("customers reported changed by the write: %v, want %v", got, want)
			}
			for _, ch := range (*h.changes)[before:] {
				if ch.DataType == "customers" && ch.OperationID == "" {
					t.Errorf("the customers' change names no write: %+v", ch)
				}
			}

			// Moved to the other customer by ListID: both balances move.
			body, _ := json.Marshal(map[string]any{"editSequence": res.Record.EditSequence, "customerRef": map[string]string{"listId": h.other}})
			_, res = h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteUpdate, ID: res.Record.ID, Body: body})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("update: %s %v", res.Status, res.Error)
			}
			h.wantBalance("customers", h.job, "0.00", "0.00")
			h.wantBalance("customers", h.parent, "0.00", "0.00")
			h.wantBalance("customers", h.other, "300.00", "300.00")

			// Voided: the other customer owes nothing again.
			_, res = h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteVoid, ID: res.Record.ID})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("void: %s %v", res.Status, res.Error)
			}
			h.wantBalance("customers", h.other, "0.00", "0.00")
			if got := h.refreshes(); len(got) != 0 {
				t.Errorf("writes queued refreshes %v; their own message sets read the balances", got)
			}
		})
	}
}

func TestBalancesReadBackOutsideTheCompletionAreStoredAllTheSame(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "invoices")
			h.invoice(h.other, "1.00")
			h.sync(qbconnect.SyncFull)
			var handled []string
			h.handleAfter = func(op *qbconnect.Operation) bool {
				if op.Kind == qbconnect.OpWrite || strings.Contains(string(op.Meta), `"refresh":true`) {
					handled = append(handled, string(op.Kind))
					return true
				}
				return false
			}

			h.later(time.Hour)
			h.invoice(h.job, "70.00")
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "70.00", "70.00")
			h.wantBalance("customers", h.parent, "0.00", "70.00")

			_, res := h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"customerRef":{"listId":"` + h.job + `"},"invoiceLine":[{"desc":"Bollards","amount":"30.00"}]}`)})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("create: %s %v", res.Status, res.Error)
			}
			h.wantBalance("customers", h.job, "100.00", "100.00")
			h.wantBalance("customers", h.parent, "0.00", "100.00")
			if want := []string{"sync", "write"}; !slices.Equal(handled, want) {
				t.Errorf("handed to the engine after their completions: %v, want a refresh and the write", handled)
			}
		})
	}
}

func TestJournalEntryLinesNamingCustomersAndVendorsRefreshThem(t *testing.T) {
	// QuickBooks moves the balance of the customer or vendor an accounts
	// receivable or payable line of a journal entry names (and qbdsim
	// does, see TestACustomersBalanceFollowsAJournalEntryAddedInQuickBooks);
	// this scenario checks which entities are read again.
	h := newBalanceHarness(t, storetest.SQLiteDSN, "journalEntries")
	je := func(debit, credit string) {
		h.qb(`<JournalEntryAddRq><JournalEntryAdd><TxnDate>2026-03-02</TxnDate>
			<JournalDebitLine><AccountRef><FullName>Accounts Receivable</FullName></AccountRef><Amount>15.00</Amount>` + debit + `</JournalDebitLine>
			<JournalCreditLine><AccountRef><FullName>Accounts Payable</FullName></AccountRef><Amount>15.00</Amount>` + credit + `</JournalCreditLine>
			</JournalEntryAdd></JournalEntryAddRq>`)
	}
	je("", "")
	h.sync(qbconnect.SyncFull)

	h.later(time.Hour)
	je(`<EntityRef><ListID>`+h.job+`</ListID></EntityRef>`, `<EntityRef><ListID>`+h.vendor+`</ListID></EntityRef>`)
	h.sync(qbconnect.SyncIncremental)
	got := h.refreshes()
	want := []string{h.job, h.parent}
	slices.Sort(want)
	slices.Sort(got["customers"])
	if !slices.Equal(got["customers"], want) || !slices.Equal(got["vendors"], []string{h.vendor}) {
		t.Errorf("refreshes %v, want customers %v and vendor %s", got, want, h.vendor)
	}
}

// journalEntry adds, in QuickBooks as a user would, a journal entry that
// debits accounts receivable for customer and credits income, and returns
// its Ret.
func (h *balanceHarness) journalEntry(customer, amount string) *qbxml.Node {
	h.tb.Helper()
	return h.qb(`<JournalEntryAddRq><JournalEntryAdd><TxnDate>2026-03-02</TxnDate>
		<JournalDebitLine><AccountRef><FullName>Accounts Receivable</FullName></AccountRef><Amount>` + amount + `</Amount><EntityRef><ListID>` + customer + `</ListID></EntityRef></JournalDebitLine>
		<JournalCreditLine><AccountRef><FullName>Services</FullName></AccountRef><Amount>` + amount + `</Amount></JournalCreditLine>
		</JournalEntryAdd></JournalEntryAddRq>`)
}

// A journal entry line on accounts receivable that names a customer moves
// that customer's balance as an invoice does: a debit raises what the
// customer owes (QuickBooks requires a customer name on such a line, and
// an entry debiting A/R acts like an invoice for that customer:
// qbgarage.com on General Journal Entries to A/R and A/P,
// https://www.qbgarage.com/tag/vendor/page/2/; qbdsim/companyfile's
// journal_test.go has the rest). An entry modified to name another
// customer moves both balances.
func TestACustomersBalanceFollowsAJournalEntryAddedInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "journalEntries")
			h.journalEntry(h.other, "5.00")
			h.sync(qbconnect.SyncFull)
			h.wantBalance("customers", h.other, "5.00", "5.00")

			h.later(time.Hour)
			je := h.journalEntry(h.job, "40.00")
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "40.00", "40.00")
			h.wantBalance("customers", h.parent, "0.00", "40.00")
			h.wantBalance("customers", h.other, "5.00", "5.00")

			// The debit line moves from the job to the other customer.
			h.later(time.Hour)
			es, _ := je.ChildText("EditSequence")
			var lines string
			for _, l := range je.Children {
				if id, _ := l.ChildText("TxnLineID"); l.Name == "JournalDebitLine" {
					lines += `<JournalLineMod><TxnLineID>` + id + `</TxnLineID><EntityRef><ListID>` + h.other + `</ListID></EntityRef></JournalLineMod>`
				} else if l.Name == "JournalCreditLine" {
					lines += `<JournalLineMod><TxnLineID>` + id + `</TxnLineID></JournalLineMod>`
				}
			}
			h.qb(`<JournalEntryModRq><JournalEntryMod><TxnID>` + txnID(je) + `</TxnID><EditSequence>` + es + `</EditSequence>` + lines + `</JournalEntryMod></JournalEntryModRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "0.00", "0.00")
			h.wantBalance("customers", h.parent, "0.00", "0.00")
			h.wantBalance("customers", h.other, "45.00", "45.00")
		})
	}
}

func TestBalancesFollowTransactionsWhenQuickBooksMarksTheCustomerModified(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarnessWith(t, harnessOptions{DSN: dsn(t), BalanceMarksModified: true}, "invoices")
			h.invoice(h.other, "1.00")
			h.sync(qbconnect.SyncFull)

			// The customers pass of the next sync, which runs before the
			// invoices pass, brings the job and its parent with their new
			// balances: nobody is read again.
			h.later(time.Hour)
			h.invoice(h.job, "45.00")
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "45.00", "45.00")
			h.wantBalance("customers", h.parent, "0.00", "45.00")
			if got := h.refreshes(); len(got) != 0 {
				t.Errorf("refreshes %v of customers the same sync had brought", got)
			}

			// A write reads them back with it all the same: no sync
			// follows it.
			_, res := h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"customerRef":{"listId":"` + h.job + `"},"invoiceLine":[{"desc":"Cleats","amount":"5.00"}]}`)})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("create: %s %v", res.Status, res.Error)
			}
			h.wantBalance("customers", h.job, "50.00", "50.00")
			h.wantBalance("customers", h.parent, "0.00", "50.00")
		})
	}
}

func TestASyncEndsOnlyOnceTheBalancesItsTransactionsMovedAreStored(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "invoices", "bills")
			h.invoice(h.other, "1.00")
			h.qb(`<BillAddRq><BillAdd><VendorRef><ListID>` + h.vendor + `</ListID></VendorRef>
				<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>9.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`)
			h.sync(qbconnect.SyncFull)

			h.later(time.Hour)
			h.invoice(h.job, "80.00")
			h.qb(`<BillAddRq><BillAdd><VendorRef><ListID>` + h.vendor + `</ListID></VendorRef>
				<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>11.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`)
			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: h.types}); err != nil {
				t.Fatal(err)
			}
			// Whoever reads the store once the sync says it ended (a
			// client told by sync.completed) sees the new balances.
			ended := false
			for h.step(false, false) {
				states, err := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
				if err != nil {
					t.Fatal(err)
				}
				done := true
				for _, typ := range h.types {
					done = done && stateOf(t, states, typ).Status == qbconnect.SyncComplete
				}
				if done && !ended {
					ended = true
					h.wantBalance("customers", h.job, "80.00", "80.00")
					h.wantBalance("customers", h.parent, "0.00", "80.00")
					h.wantBalance("vendors", h.vendor, "20.00", "")
				}
			}
			if !ended {
				t.Fatal("the sync never ended")
			}
		})
	}
}

func TestAPassAwaitingItsBalanceRefreshIsEndedByReconcile(t *testing.T) {
	h := newBalanceHarness(t, storetest.SQLiteDSN, "invoices")
	h.invoice(h.other, "1.00")
	h.sync(qbconnect.SyncFull)

	h.later(time.Hour)
	h.invoice(h.job, "33.00")
	if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: h.types}); err != nil {
		t.Fatal(err)
	}
	// The platform stops after QuickBooks answered the refresh, before
	// the engine heard of it.
	refresh := func(op *qbconnect.Operation) bool { return strings.Contains(string(op.Meta), `"refresh":true`) }
	for {
		l, err := h.env.Queue.Lease(h.ctx, h.connID, time.Minute)
		if err != nil || l == nil {
			t.Fatalf("lease = %v, %v; the refresh never came", l, err)
		}
		resp, err := h.process(l.Operation.Request)
		if err != nil {
			t.Fatal(err)
		}
		if refresh(l.Operation) {
			if _, _, err := h.env.Queue.Complete(h.ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: resp}); err != nil {
				t.Fatal(err)
			}
			break
		}
		if _, _, err := h.env.Control.Complete(h.ctx, l.Operation, control.Report{LeaseID: l.LeaseID, Response: resp}); err != nil {
			t.Fatal(err)
		}
	}
	h.restartPlatform()
	st := stateOf(t, mustStates(t, h.harness), "invoices")
	if st.Status != qbconnect.SyncFetching {
		t.Fatalf("invoices pass %s before the refresh is handled, want Fetching", st.Status)
	}
	if err := h.eng.Reconcile(h.ctx); err != nil {
		t.Fatal(err)
	}
	allComplete(t, mustStates(t, h.harness), h.types...)
	h.wantBalance("customers", h.job, "33.00", "33.00")
	h.wantBalance("customers", h.parent, "0.00", "33.00")
}

func mustStates(t *testing.T, h *harness) []*qbconnect.SyncState {
	t.Helper()
	states, err := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	if err != nil {
		t.Fatal(err)
	}
	return states
}

// A statement charge is entered in the customer's register, which "keeps
// a running record of the charges and shows the customer's balance"
// (QuickBooks' in-product help, "Prepare billing statements"): a charge
// moves the customer's balance as an invoice does.
func TestACustomersBalanceFollowsAChargeAddedInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "charges")
			h.qb(`<ItemServiceAddRq><ItemServiceAdd><Name>Mooring</Name><SalesOrPurchase><Price>150.00</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
			charge := func(qty string) string {
				return txnID(h.qb(`<ChargeAddRq><ChargeAdd><CustomerRef><ListID>` + h.job + `</ListID></CustomerRef><TxnDate>2026-03-02</TxnDate>
					<ItemRef><FullName>Mooring</FullName></ItemRef><Quantity>` + qty + `</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`))
			}
			first := charge("1")
			h.sync(qbconnect.SyncFull)
			h.wantBalance("customers", h.job, "150.00", "150.00")
			h.wantBalance("customers", h.parent, "0.00", "150.00")

			h.later(time.Hour)
			charge("2")
			h.qb(`<TxnDelRq><TxnDelType>Charge</TxnDelType><TxnID>` + first + `</TxnID></TxnDelRq>`)
			h.sync(qbconnect.SyncIncremental)
			if r := h.stored("charges", true)[first]; r == nil || !r.Deleted {
				t.Errorf("the deleted charge is stored as %+v, want deleted", r)
			}
			h.wantBalance("customers", h.job, "300.00", "300.00")
			h.wantBalance("customers", h.parent, "0.00", "300.00")
			h.wantBalance("customers", h.other, "0.00", "0.00")
			if got := h.refreshes()["customers"]; len(got) != 2 {
				t.Errorf("refreshed customers %v, want the job and its parent read once", got)
			}
		})
	}
}

// A credit card refund pays back what a credit memo left the customer,
// and takes that amount from the credit (Intuit's SDK tutorial "Requests
// and responses for credit card refunds": the refund returns the amount
// remaining on each credit): the customer's balance, negative while the
// credit was owed, moves up by the refund.
func TestACustomersBalanceFollowsACreditCardRefundAddedInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			// Credit memos are not synced: the refund alone must bring the
			// new balance.
			h := newBalanceHarness(t, dsn, "arRefundCreditCards")
			credit := txnID(h.qb(`<CreditMemoAddRq><CreditMemoAdd><CustomerRef><ListID>` + h.job + `</ListID></CustomerRef><TxnDate>2026-03-01</TxnDate>
				<CreditMemoLineAdd><Desc>Returned rope</Desc><Amount>100.00</Amount></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`))
			refund := func(amount string) {
				h.qb(`<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><ListID>` + h.job + `</ListID></CustomerRef>
					<RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef><TxnDate>2026-03-02</TxnDate>
					<RefundAppliedToTxnAdd><TxnID>` + credit + `</TxnID><RefundAmount>` + amount + `</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`)
			}
			refund("10.00")
			h.sync(qbconnect.SyncFull)
			h.wantBalance("customers", h.job, "-90.00", "-90.00")

			h.later(time.Hour)
			refund("40.00")
			h.sync(qbconnect.SyncIncremental)
			h.wantBalance("customers", h.job, "-50.00", "-50.00")
			h.wantBalance("customers", h.parent, "0.00", "-50.00")
			if got := h.refreshes()["customers"]; len(got) != 2 {
				t.Errorf("refreshed customers %v, want the job and its parent read once", got)
			}
			h.checkMirror(1, "arRefundCreditCards")
		})
	}
}

// A company's first statement charge comes after its first sync: the
// charges pass that brings it is full (the type held nothing, so there
// was no high-water mark to ask from), and it moves the customer's
// balance all the same.
func TestTheFirstChargeOfACompanyMovesTheStoredBalance(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newBalanceHarness(t, dsn, "charges")
			h.qb(`<ItemServiceAddRq><ItemServiceAdd><Name>Mooring</Name><SalesOrPurchase><Price>150.00</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
			states := h.syncNow(qbconnect.SyncRequest{DataTypes: h.types})
			allComplete(t, states, h.types...)

			h.later(time.Hour)
			h.qb(`<ChargeAddRq><ChargeAdd><CustomerRef><ListID>` + h.job + `</ListID></CustomerRef><TxnDate>2026-03-02</TxnDate>
				<ItemRef><FullName>Mooring</FullName></ItemRef><Quantity>1</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`)
			states = h.syncNow(qbconnect.SyncRequest{DataTypes: h.types})
			allComplete(t, states, h.types...)
			if st := stateOf(t, states, "charges"); st.Mode != qbconnect.SyncFull || st.Fetched != 1 {
				t.Errorf("charges pass %s fetched %d, want a full pass of the one charge", st.Mode, st.Fetched)
			}
			h.wantBalance("customers", h.job, "150.00", "150.00")
			h.wantBalance("customers", h.parent, "0.00", "150.00")
		})
	}
}
