package qbwc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/webconnector"
	"github.com/qbconnect/qbconnect/qbwc"
	"github.com/qbconnect/qbconnect/syncengine"
)

func smallCompany(seed uint64) companyfile.GenerateOptions {
	return companyfile.GenerateOptions{Seed: seed, Customers: 15, Jobs: 3, Vendors: 6, Employees: 2, Items: 8, Classes: 2,
		Invoices: 120, Payments: 40, SalesReceipts: 20, CreditMemos: 8, Estimates: 10, SalesOrders: 10,
		Bills: 50, BillPayments: 20, PurchaseOrders: 10, Checks: 15, CreditCardCharges: 6, Deposits: 4, JournalEntries: 4}
}

func allComplete(tb testing.TB, states []*qbconnect.SyncState) {
	tb.Helper()
	var bad []string
	for _, st := range states {
		if st.Status != qbconnect.SyncComplete {
			bad = append(bad, fmt.Sprintf("%s %s (%v)", st.DataType, st.Status, st.Error))
		}
	}
	if len(bad) > 0 {
		tb.Fatalf("not complete: %s", strings.Join(bad, "; "))
	}
}

func (t *tenant) syncStates() []*qbconnect.SyncState {
	t.e.tb.Helper()
	states, err := t.e.eng.SyncStates(t.e.ctx, t.org.ID, t.company.ID)
	if err != nil {
		t.e.tb.Fatal(err)
	}
	return states
}

func (t *tenant) syncNow() {
	t.e.tb.Helper()
	if _, err := t.e.eng.SyncNow(t.e.ctx, t.org.ID, t.company.ID, qbconnect.SyncRequest{}); err != nil {
		t.e.tb.Fatal(err)
	}
}

func TestFullSyncOverTheWebConnectorMirrorsQuickBooks(t *testing.T) {
	e := newEnv(t, envOptions{Engine: syncengine.Config{MaxReturned: 25}, Seed: 1})
	a := e.newTenant("Harbor", smallCompany(7))

	// Nothing queued yet: the Web Connector is told there is no work.
	res := a.update()
	if res.Outcome != webconnector.OutcomeNone || res.Postpone != 5*time.Minute {
		t.Fatalf("update without work: %s (postpone %s), want none with 5m", res.Outcome, res.Postpone)
	}
	if got := a.connection(); got.Status != qbconnect.StatusPendingAuth {
		t.Fatalf("connection %s before the first update with work", got.Status)
	}

	a.syncNow()
	res = a.update()
	if res.Outcome != webconnector.OutcomeDone || res.Progress != 100 || res.Err != nil {
		t.Fatalf("first sync: outcome %s, progress %d, err %v, status %q", res.Outcome, res.Progress, res.Err, res.Status)
	}
	wantCalls := []string{"serverVersion", "clientVersion", "authenticate", "sendRequestXML", "receiveResponseXML"}
	if diff := cmp.Diff(wantCalls, res.Calls[:5]); diff != "" {
		t.Errorf("call order (-want +got):\n%s", diff)
	}
	if last := res.Calls[len(res.Calls)-1]; last != "closeConnection" {
		t.Errorf("last call %s, want closeConnection", last)
	}
	allComplete(t, a.syncStates())
	inv := stateOf(t, a.syncStates(), "invoices")
	if inv.Pages < 5 || inv.Fetched != 120 {
		t.Errorf("invoices: %d pages, %d fetched; want >= 5 pages of 25 and 120", inv.Pages, inv.Fetched)
	}
	n := a.checkMirror(3)
	t.Logf("mirrored %d objects in %d requests over the Web Connector", n, res.Requests)

	conn := a.connection()
	if conn.Status != qbconnect.StatusLinked || conn.Health.Code != qbconnect.HealthOK || conn.File.Path != a.file ||
		conn.File.FileID != a.qwc.FileID || conn.File.CompanyName != "Harbor Trading" {
		t.Errorf("connection after the first update: %+v", conn)
	}

	// Someone works in QuickBooks; the next sync is incremental and the
	// store follows.
	a.qb(`<CustomerAddRq><CustomerAdd><Name>Late Arrival Ltd</Name></CustomerAdd></CustomerAddRq>`)
	a.syncNow()
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("second sync: %s %q", res.Outcome, res.Status)
	}
	allComplete(t, a.syncStates())
	if st := stateOf(t, a.syncStates(), "customers"); st.Mode != qbconnect.SyncIncremental {
		t.Errorf("second customers pass is %s, want incremental", st.Mode)
	}
	a.checkMirror(2)
}

func stateOf(tb testing.TB, states []*qbconnect.SyncState, typ string) *qbconnect.SyncState {
	tb.Helper()
	for _, st := range states {
		if st.DataType == typ {
			return st
		}
	}
	tb.Fatalf("no sync state for %s", typ)
	return nil
}

// write plans a write for the tenant.
func (t *tenant) write(typ string, action qbconnect.WriteAction, id, body string) *qbconnect.Operation {
	t.e.tb.Helper()
	op, err := t.e.eng.PlanWrite(t.e.ctx, qbconnect.WriteRequest{OrgID: t.org.ID, CompanyID: t.company.ID, DataType: typ,
		Action: action, ID: id, Body: json.RawMessage(body)})
	if err != nil {
		t.e.tb.Fatalf("PlanWrite %s %s: %v", action, typ, err)
	}
	return op
}

func (t *tenant) result(op *qbconnect.Operation) *qbconnect.WriteResult {
	t.e.tb.Helper()
	op, err := t.e.st.Queue.FindOperation(t.e.ctx, t.org.ID, op.ID)
	if err != nil {
		t.e.tb.Fatal(err)
	}
	res, err := t.e.eng.WriteResult(t.e.ctx, op)
	if err != nil {
		t.e.tb.Fatal(err)
	}
	return res
}

func TestWritesOverTheWebConnector(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 2})
	a := e.newTenant("Keeper", companyfile.GenerateOptions{})
	cust := a.write("customers", qbconnect.WriteCreate, "", `{"name":"Ada Works","companyName":"Ada Works Ltd","billAddress":{"city":"Springfield"}}`)
	item := a.write("serviceItems", qbconnect.WriteCreate, "", `{"name":"Consulting","salesOrPurchase":{"price":"150.00","accountRef":{"fullName":"Services"}}}`)
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("update: %s %q %v", res.Outcome, res.Status, res.Err)
	}
	cr, ir := a.result(cust), a.result(item)
	if cr.Status != qbconnect.OpSucceeded || ir.Status != qbconnect.OpSucceeded {
		t.Fatalf("creates: %s %v / %s %v", cr.Status, cr.Error, ir.Status, ir.Error)
	}
	inv := a.write("invoices", qbconnect.WriteCreate, "", `{"customerRef":{"fullName":"Ada Works"},"txnDate":"2026-03-01","memo":"first",
		"invoiceLine":[{"itemRef":{"fullName":"Consulting"},"quantity":"2","rate":"150.00"}]}`)
	upd := a.write("customers", qbconnect.WriteUpdate, cr.Record.ID, `{"phone":"555-0100","editSequence":"`+cr.Record.EditSequence+`"}`)
	stale := a.write("customers", qbconnect.WriteUpdate, cr.Record.ID, `{"phone":"555-0199","editSequence":"`+cr.Record.EditSequence+`"}`)
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("update: %s %q", res.Outcome, res.Status)
	}
	if r := a.result(inv); r.Status != qbconnect.OpSucceeded || r.Record == nil || !strings.Contains(string(r.Record.Data), `"memo":"first"`) {
		t.Errorf("invoice create: %s %v", r.Status, r.Error)
	}
	if r := a.result(upd); r.Status != qbconnect.OpSucceeded || !strings.Contains(string(r.Record.Data), `"phone":"555-0100"`) {
		t.Errorf("customer update: %s %v", r.Status, r.Error)
	}
	if r := a.result(stale); r.Status != qbconnect.OpFailed || r.Error == nil || r.Error.Code != qbconnect.EConflict || r.Error.QBCode != "3200" {
		t.Errorf("stale update: %s %+v, want Failed with conflict 3200", r.Status, r.Error)
	}
	// The platform's copy was updated by the writes themselves.
	if got := a.stored("customers")[cr.Record.ID]; got == nil || !strings.Contains(string(got.Data), "555-0100") {
		t.Errorf("stored customer after update: %+v", got)
	}
}

func TestWriteLostBetweenSendAndReceiveRunsExactlyOnce(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 3, QBWC: qbwcConfigIdle(2 * time.Minute)})
	a := e.newTenant("Ledger", companyfile.GenerateOptions{})
	op := a.write("customers", qbconnect.WriteCreate, "", `{"name":"Exactly Once Inc"}`)

	// The Web Connector dies after QuickBooks ran the write and before
	// the answer reached the platform.
	a.abort = func(call string) error {
		if call == "receiveResponseXML" {
			return errors.New("the PC lost power")
		}
		return nil
	}
	if res := a.update(); res.Outcome != webconnector.OutcomeAborted {
		t.Fatalf("first update: %s", res.Outcome)
	}
	a.abort = nil
	if got := a.qb(`<CustomerQueryRq><FullName>Exactly Once Inc</FullName></CustomerQueryRq>`); len(got) != 1 {
		t.Fatalf("QuickBooks holds %d customers after the write ran", len(got))
	}
	if r := a.result(op); r.Status != qbconnect.OpInFlight {
		t.Fatalf("write status %s before recovery, want InFlight", r.Status)
	}

	// While the dead update's session still counts as live, a new one is
	// told the application is busy.
	a.wc = a.newClient(a.password)
	if res := a.update(); res.Outcome != webconnector.OutcomeBusy {
		t.Fatalf("update right after: %s, want busy", res.Outcome)
	}
	// Later the next update takes over and recovers the write's answer.
	e.st.Clock.Advance(3 * time.Minute)
	res := a.update()
	if res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("recovering update: %s %q %v", res.Outcome, res.Status, res.Err)
	}
	r := a.result(op)
	if r.Status != qbconnect.OpSucceeded || r.Record == nil {
		t.Fatalf("write after recovery: %s %v", r.Status, r.Error)
	}
	if got := a.qb(`<CustomerQueryRq><FullName>Exactly Once Inc</FullName></CustomerQueryRq>`); len(got) != 1 {
		t.Errorf("QuickBooks holds %d customers named Exactly Once Inc, want exactly 1", len(got))
	}
	if id, _ := a.qb(`<CustomerQueryRq><FullName>Exactly Once Inc</FullName></CustomerQueryRq>`)[0].ChildText("ListID"); id != r.Record.ID {
		t.Errorf("recovered record %s, QuickBooks has %s", r.Record.ID, id)
	}
}

// A write whose session died before QuickBooks ran it is sent again after
// QuickBooks said it has no answer stored for its message set.
func TestWriteLostBeforeQuickBooksRanItIsSentOnce(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 4, QBWC: qbwcConfigIdle(2 * time.Minute)})
	a := e.newTenant("Abacus", companyfile.GenerateOptions{})
	op := a.write("customers", qbconnect.WriteCreate, "", `{"name":"Never Ran Co"}`)
	// The write's request reaches the Web Connector, which dies before
	// QuickBooks runs it.
	a.dropWrites = true
	a.abort = func(call string) error {
		if call == "receiveResponseXML" {
			return errors.New("the Web Connector crashed")
		}
		return nil
	}
	if res := a.update(); res.Outcome != webconnector.OutcomeAborted {
		t.Fatalf("first update: %s", res.Outcome)
	}
	a.dropWrites = false
	if got := a.qb(`<CustomerQueryRq><FullName>Never Ran Co</FullName></CustomerQueryRq>`); len(got) != 0 {
		t.Fatalf("QuickBooks ran the write")
	}
	a.abort = nil
	e.st.Clock.Advance(3 * time.Minute)
	a.wc = a.newClient(a.password)
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("second update: %s %q", res.Outcome, res.Status)
	}
	if r := a.result(op); r.Status != qbconnect.OpSucceeded {
		t.Fatalf("write: %s %v", r.Status, r.Error)
	}
	if got := a.qb(`<CustomerQueryRq><FullName>Never Ran Co</FullName></CustomerQueryRq>`); len(got) != 1 {
		t.Errorf("QuickBooks holds %d customers, want 1", len(got))
	}
}

func TestTwoTenantsUpdatingAtOnceNeverSeeEachOthersData(t *testing.T) {
	e := newEnv(t, envOptions{Engine: syncengine.Config{MaxReturned: 20}, Seed: 5})
	a := e.newTenant("Alpha", smallCompany(11))
	b := e.newTenant("Beta", smallCompany(12))
	a.syncNow()
	b.syncNow()
	wa := a.write("customers", qbconnect.WriteCreate, "", `{"name":"Only In Alpha"}`)
	wb := b.write("customers", qbconnect.WriteCreate, "", `{"name":"Only In Beta"}`)
	var wg sync.WaitGroup
	results := make([]*webconnector.Result, 2)
	errs := make([]error, 2)
	for i, tn := range []*tenant{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = tn.wc.Update(e.ctx)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil || r.Outcome != webconnector.OutcomeDone {
			t.Fatalf("tenant %d: %v %s %q", i, errs[i], r.Outcome, r.Status)
		}
	}
	for _, tn := range []*tenant{a, b} {
		allComplete(t, tn.syncStates())
		tn.checkMirror(2)
	}
	if r := a.result(wa); r.Status != qbconnect.OpSucceeded {
		t.Errorf("alpha write: %s", r.Status)
	}
	if r := b.result(wb); r.Status != qbconnect.OpSucceeded {
		t.Errorf("beta write: %s", r.Status)
	}
	if got := a.qb(`<CustomerQueryRq><FullName>Only In Beta</FullName></CustomerQueryRq>`); len(got) != 0 {
		t.Error("Beta's customer was written into Alpha's company file")
	}
	if got := b.qb(`<CustomerQueryRq><FullName>Only In Alpha</FullName></CustomerQueryRq>`); len(got) != 0 {
		t.Error("Alpha's customer was written into Beta's company file")
	}
}

// qbwcConfigIdle returns an endpoint configuration whose sessions count as
// abandoned after idle.
func qbwcConfigIdle(idle time.Duration) qbwc.Config {
	return qbwc.Config{SessionIdle: idle}
}

func TestQuickBooksClosedIsReportedThroughConnectionErrorAndClears(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 6})
	a := e.newTenant("Closed", companyfile.GenerateOptions{})
	a.write("customers", qbconnect.WriteCreate, "", `{"name":"First"}`)
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("first update: %s %q", res.Outcome, res.Status)
	}
	// QuickBooks is closed and cannot be started (it would start in the
	// background otherwise: the application may log in automatically).
	if err := a.sim.StopQuickBooks(); err != nil {
		t.Fatal(err)
	}
	a.sim.SetCannotStart(true)
	op := a.write("customers", qbconnect.WriteCreate, "", `{"name":"Second"}`)
	res := a.update()
	if res.Outcome != webconnector.OutcomeConnectionError || !strings.Contains(strings.Join(res.Calls, ","), "connectionError,closeConnection") {
		t.Fatalf("update with QuickBooks closed: %s %v", res.Outcome, res.Calls)
	}
	h := a.connection().Health
	if h.Code != "cannot_start" || !h.NeedsUser || h.QBCode != "0x80040408" || !strings.Contains(h.Resolution, "Web Connector") {
		t.Errorf("health with QuickBooks closed: %+v", h)
	}
	if r := a.result(op); r.Status != qbconnect.OpQueued {
		t.Errorf("the write is %s while QuickBooks is closed, want Queued", r.Status)
	}
	// The user starts QuickBooks with the file; the next update runs the
	// write and the health clears.
	a.sim.SetCannotStart(false)
	if err := a.sim.OpenFile(a.file, 0, ""); err != nil {
		t.Fatal(err)
	}
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("update after QuickBooks opened: %s %q", res.Outcome, res.Status)
	}
	if r := a.result(op); r.Status != qbconnect.OpSucceeded {
		t.Errorf("write after reopening: %s", r.Status)
	}
	if h := a.connection().Health; h.Code != qbconnect.HealthOK || h.NeedsUser {
		t.Errorf("health after reopening: %+v", h)
	}
}

func TestAnotherQWCOnAStampedFileGetsQBWC1039(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 7})
	a := e.newTenant("Stamped", companyfile.GenerateOptions{})
	a.write("customers", qbconnect.WriteCreate, "", `{"name":"First"}`)
	if res := a.update(); res.Outcome != webconnector.OutcomeDone {
		t.Fatalf("first update: %s %q", res.Outcome, res.Status)
	}
	// A second connection of the same platform (same OwnerID, another
	// FileID) is added to the Web Connector on the same PC and file.
	b := e.newTenant("Intruder", companyfile.GenerateOptions{})
	b.sim, b.file = a.sim, a.file
	b.wc = b.newClient(b.password)
	b.write("customers", qbconnect.WriteCreate, "", `{"name":"Should Not Arrive"}`)
	res := b.update()
	var wcErr *webconnector.Error
	if !errors.As(res.Err, &wcErr) || wcErr.Code != "QBWC1039" {
		t.Fatalf("second .qwc on a stamped file: %s %v", res.Outcome, res.Err)
	}
	if got := a.qb(`<CustomerQueryRq><FullName>Should Not Arrive</FullName></CustomerQueryRq>`); len(got) != 0 {
		t.Error("the second connection wrote into the first one's file")
	}
}
