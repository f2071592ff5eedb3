package syncengine_test

import (
	"encoding/json"
	"testing"

	"github.com/qbconnect/qbconnect"
)

// openTxn returns a stored transaction of typ with an open balance
// (balanceKey, e.g. balanceRemaining or openAmount) and the ListID of
// the customer or vendor it names.
func openTxn(t *testing.T, h *harness, typ, balanceKey string) (r *qbconnect.Record, balance string) {
	t.Helper()
	for _, r := range h.stored(typ, false) {
		var m map[string]any
		mustUnmarshal(t, r.Data, &m)
		if b, _ := m[balanceKey].(string); b != "" && b != "0.00" && m["isPaid"] == false && r.RefID != "" {
			return r, b
		}
	}
	t.Fatalf("no stored %s with an open balance", typ)
	return nil, ""
}

// fieldOf returns a top-level field of a stored record's JSON.
func fieldOf(t *testing.T, h *harness, typ, id, key string) any {
	t.Helper()
	r := h.stored(typ, false)[id]
	if r == nil {
		t.Fatalf("%s %s is not stored", typ, id)
	}
	var m map[string]any
	mustUnmarshal(t, r.Data, &m)
	return m[key]
}

// A payment applied to an invoice changes the invoice: QuickBooks
// answers it with a lower BalanceRemaining and, paid in full, IsPaid
// (Intuit's InvoiceRet: BalanceRemaining, IsPaid). A client that pays an
// invoice through the API and reads the invoice at once sees it paid,
// and unpaid again once the payment is deleted, without a sync between:
// the write reads the transactions it applies to in its own message set
// and stores them with it. The same holds for a bill paid by check.
func TestAnInvoiceOrBillPaidThroughTheAPIReadsPaidAtOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: renameCompany})
	allComplete(t, h.syncNow(qbconnect.SyncRequest{}))

	inv, balance := openTxn(t, h, "invoices", "balanceRemaining")
	body, _ := json.Marshal(map[string]any{"customerRef": map[string]string{"listId": inv.RefID}, "totalAmount": balance,
		"appliedToTxn": []map[string]any{{"txnId": inv.ID, "paymentAmount": balance}}})
	_, res := h.write(qbconnect.WriteRequest{DataType: "receivePayments", Action: qbconnect.WriteCreate, Body: body})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("payment: %s %v", res.Status, res.Error)
	}
	if got, rem := fieldOf(t, h, "invoices", inv.ID, "isPaid"), fieldOf(t, h, "invoices", inv.ID, "balanceRemaining"); got != true || rem != "0.00" {
		t.Errorf("after the payment the stored invoice reads isPaid %v, balanceRemaining %v; want true, 0.00", got, rem)
	}
	h.checkMirror(1000, "invoices", "receivePayments")

	_, res = h.write(qbconnect.WriteRequest{DataType: "receivePayments", Action: qbconnect.WriteDelete, ID: res.Record.ID})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("delete of the payment: %s %v", res.Status, res.Error)
	}
	if got, rem := fieldOf(t, h, "invoices", inv.ID, "isPaid"), fieldOf(t, h, "invoices", inv.ID, "balanceRemaining"); got != false || rem != balance {
		t.Errorf("after the payment's delete the stored invoice reads isPaid %v, balanceRemaining %v; want false, %s", got, rem, balance)
	}

	// The invoice paid again, then voided: the payment keeps its money
	// as unused payment (QuBe Sync's TxnVoid tool page; qbdsim's
	// linked.go), and reads so at once.
	body, _ = json.Marshal(map[string]any{"customerRef": map[string]string{"listId": inv.RefID}, "totalAmount": balance,
		"appliedToTxn": []map[string]any{{"txnId": inv.ID, "paymentAmount": balance}}})
	_, res = h.write(qbconnect.WriteRequest{DataType: "receivePayments", Action: qbconnect.WriteCreate, Body: body})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("second payment: %s %v", res.Status, res.Error)
	}
	payment := res.Record.ID
	_, res = h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteVoid, ID: inv.ID})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("void of the paid invoice: %s %v", res.Status, res.Error)
	}
	if got, applied := fieldOf(t, h, "receivePayments", payment, "unusedPayment"), fieldOf(t, h, "receivePayments", payment, "appliedToTxn"); got != balance || applied != nil {
		t.Errorf("after the invoice's void its payment reads unusedPayment %v, appliedToTxn %v; want %s and none", got, applied, balance)
	}

	bill, open := openTxn(t, h, "bills", "openAmount")
	body, _ = json.Marshal(map[string]any{"payeeEntityRef": map[string]string{"listId": bill.RefID}, "bankAccountRef": map[string]string{"fullName": "Checking"}, "refNumber": "1042",
		"appliedToTxn": []map[string]any{{"txnId": bill.ID, "paymentAmount": open}}})
	_, res = h.write(qbconnect.WriteRequest{DataType: "billPaymentChecks", Action: qbconnect.WriteCreate, Body: body})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("bill payment: %s %v", res.Status, res.Error)
	}
	if got, rem := fieldOf(t, h, "bills", bill.ID, "isPaid"), fieldOf(t, h, "bills", bill.ID, "openAmount"); got != true || rem != "0.00" {
		t.Errorf("after the check the stored bill reads isPaid %v, openAmount %v; want true, 0.00", got, rem)
	}
	h.checkMirror(1000, "invoices", "receivePayments", "bills", "billPaymentChecks")
}
