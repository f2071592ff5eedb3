package companyfile

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// A payment whose unused amount (an overpayment) a credit card refund paid
// back, even in part, is linked to the refund, as a refunded credit memo
// is (TestARefundedCreditMemoCannotBeDeletedVoidedOrMoved): it can be
// neither deleted nor moved to another customer (qbXML 13.0's
// TxnVoidType has no ReceivePayment: a payment cannot be voided), since the
// refund's CustomerRef "must match the customer in the target
// transactions" (Intuit, "Requests and responses for credit card
// refunds",
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/requests-and-responses-for-credit-card-refunds).
// Intuit's TxnVoid reference says that voiding or deleting a transaction
// whose linked transaction is in use is an error
// (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/txnvoid);
// the delete answers 3160, the code QuBe Sync names "cannot_delete" for
// TxnDel (QUBESYNC-CODES in statuscodes_test.go); the refused move 3170,
// a refused Mod (unverified). A Mod of the payment keeps the
// refunded amount used: its UnusedPayment and the customer's balance do
// not get the refunded money back, and its total cannot drop below what
// it applies and what was refunded (unverified: the simulator's choice,
// as for a credit memo's used credit). Once the refund is deleted, the
// payment can be deleted.
func TestARefundedPaymentCannotBeDeletedOrMoved(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>`)
	inv := invoiceOf(t, f, "A", "2025-03-01", "100.00")
	pay := kid(ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-02</TxnDate><RefNumber>R-1</RefNumber>
		<TotalAmount>150.00</TotalAmount><AppliedToTxnAdd><TxnID>`+inv+`</TxnID><PaymentAmount>100.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "ReceivePaymentRet")
	payID := textAt(pay, "TxnID")
	refund := textAt(ok(t, f, `<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
		<TxnDate>2025-03-03</TxnDate><RefundAppliedToTxnAdd><TxnID>`+payID+`</TxnID><RefundAmount>30.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`), "ARRefundCreditCardRet/TxnID")
	query := func() *qbxml.Node {
		t.Helper()
		return kid(ok(t, f, `<ReceivePaymentQueryRq><TxnID>`+payID+`</TxnID></ReceivePaymentQueryRq>`), "ReceivePaymentRet")
	}
	state := func() []string {
		t.Helper()
		p := query()
		return append(append(texts(p, "CustomerRef/FullName", "TotalAmount", "UnusedPayment", "AppliedToTxnRet/Amount"), openInvoices(t, f, inv)...),
			balances(t, f, "Customer", "Acme Corp", "Globex")...)
	}
	// 150.00 paid, 100.00 of it to the invoice, 30.00 refunded: 20.00
	// unused, the customer's credit.
	want := []string{"Acme Corp", "150.00", "20.00", "100.00", "A 0.00 true", "-20.00/-20.00", "0.00/0.00"}
	if diff := cmp.Diff(want, state()); diff != "" {
		t.Fatalf("after the refund: payment, invoice and balances (-want +got):\n%s", diff)
	}
	for _, rq := range []string{
		`<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>` + payID + `</TxnID></TxnDelRq>`,
	} {
		wantStatus(t, one(t, f, rq), strconv.Itoa(stCannotDelete))
		if diff := cmp.Diff(want, state()); diff != "" {
			t.Errorf("after a refused %s: payment, invoice and balances (-want +got):\n%s", rq[1:strings.Index(rq, ">")], diff)
		}
	}
	wantStatus(t, one(t, f, modRq("ReceivePayment", query(), `<TotalAmount>120.00</TotalAmount>`)), strconv.Itoa(stInvalidValue))
	modOK(t, f, "ReceivePayment", query(), `<Memo>Overpaid, 30.00 refunded</Memo>`)
	if diff := cmp.Diff(want, state()); diff != "" {
		t.Errorf("after a Mod of its memo: payment, invoice and balances (-want +got):\n%s", diff)
	}
	modOK(t, f, "ReceivePayment", query(), `<TotalAmount>135.00</TotalAmount>`)
	want[1], want[2], want[5] = "135.00", "5.00", "-5.00/-5.00"
	if diff := cmp.Diff(want, state()); diff != "" {
		t.Errorf("after a Mod of its total: payment, invoice and balances (-want +got):\n%s", diff)
	}

	// A payment applied to nothing, refunded in part, stays its
	// customer's.
	unused := kid(ok(t, f, autoPayment("R-2", "40.00", "false")), "ReceivePaymentRet")
	ok(t, f, `<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
		<TxnDate>2025-03-11</TxnDate><RefundAppliedToTxnAdd><TxnID>`+textAt(unused, "TxnID")+`</TxnID><RefundAmount>10.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`)
	unused = kid(ok(t, f, `<ReceivePaymentQueryRq><TxnID>`+textAt(unused, "TxnID")+`</TxnID></ReceivePaymentQueryRq>`), "ReceivePaymentRet")
	wantStatus(t, one(t, f, modRq("ReceivePayment", unused, `<CustomerRef><FullName>Globex</FullName></CustomerRef>`)), strconv.Itoa(stCannotModify))
	if diff := cmp.Diff([]string{"-35.00/-35.00", "0.00/0.00"}, balances(t, f, "Customer", "Acme Corp", "Globex")); diff != "" {
		t.Errorf("after a refused move of the second payment, balances (-want +got):\n%s", diff)
	}

	ok(t, f, `<TxnDelRq><TxnDelType>ARRefundCreditCard</TxnDelType><TxnID>`+refund+`</TxnID></TxnDelRq>`)
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+payID+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"A 100.00 false", "70.00/70.00"}, append(openInvoices(t, f, inv), balances(t, f, "Customer", "Acme Corp")...)); diff != "" {
		t.Errorf("once the first refund and payment are deleted: invoice and balance, the second payment's 30.00 left (-want +got):\n%s", diff)
	}
}
