package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Sources for the payments QuickBooks applies itself (autoapply.go):
//
//   - qbXML 13.0 (../shared/reference/qbxml): ReceivePaymentAdd ends with
//     a choice of IsAutoApply or AppliedToTxnAdd+; ReceivePaymentMod has
//     no IsAutoApply, nor has any other payment (BillPaymentCheckAdd,
//     BillPaymentCreditCardAdd, ARRefundCreditCardAdd).
//   - CPA911, "How to Automate Receiving Payments in QuickBooks QuickTip"
//     (2012): with Automatically Apply Payments, "if the payment matches
//     the amount of an invoice, it is automatically applied to that
//     invoice", otherwise it is applied "as a partial payment on the
//     oldest invoice"
//     (http://www.cpa911.com/wordpress/2012/05/how-to-automate-receiving-payments-in-quickbooks-quicktip/).
//   - QuickBooks 2012 in-product help, "Change the way QuickBooks applies
//     customer payments to invoices": "By default, QuickBooks applies the
//     payment to the oldest invoice first, then to the next oldest, and so
//     on" (http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Payments/task_change_pymt_application.html).
//   - /n software QuickBooks Integrator, ReceivePayment.AutoApply (a
//     wrapper of ReceivePaymentAdd): "existing transactions" lets
//     QuickBooks apply the payment to the customer's invoices, "future
//     transactions" sets a credit for the customer
//     (https://cdn.nsoftware.com/help/BBF/cs/ReceivePayment_p_AutoApply.htm).
//
// Unverified, the simulator's choices: an auto-applied payment applies
// money only, to invoices of the payment's own customer (not its jobs',
// nor statement charges or journal entries), takes no discount and sets
// no credit memo; among several invoices of the payment's amount the
// oldest is paid; invoices of the same date go in the order they were
// entered.

// invoiceOf adds an invoice of amount to Acme Corp, dated date.
func invoiceOf(tb testing.TB, f *File, ref, date, amount string) string {
	tb.Helper()
	return textAt(ok(tb, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>`+date+`</TxnDate><RefNumber>`+ref+`</RefNumber>
		<InvoiceLineAdd><Desc>Work</Desc><Amount>`+amount+`</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet/TxnID")
}

// autoPayment is a payment of amount by Acme Corp that QuickBooks applies
// (auto true) or leaves unapplied (false).
func autoPayment(ref, amount, auto string) string {
	return `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-10</TxnDate><RefNumber>` + ref + `</RefNumber>
		<TotalAmount>` + amount + `</TotalAmount><IsAutoApply>` + auto + `</IsAutoApply></ReceivePaymentAdd></ReceivePaymentAddRq>`
}

// appliedTo returns "RefNumber Amount BalanceRemaining" of each
// AppliedToTxnRet of a payment.
func appliedTo(pay *qbxml.Node) []string {
	var out []string
	for _, a := range kids(pay, "AppliedToTxnRet") {
		out = append(out, textAt(a, "TxnType")+" "+textAt(a, "RefNumber")+" "+textAt(a, "Amount")+" of "+textAt(a, "BalanceRemaining"))
	}
	return out
}

// openInvoices returns "RefNumber BalanceRemaining IsPaid" of each
// invoice id.
func openInvoices(tb testing.TB, f *File, ids ...string) []string {
	tb.Helper()
	var out []string
	for _, id := range ids {
		inv := kid(ok(tb, f, `<InvoiceQueryRq><TxnID>`+id+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
		out = append(out, textAt(inv, "RefNumber")+" "+textAt(inv, "BalanceRemaining")+" "+textAt(inv, "IsPaid"))
	}
	return out
}

// A payment with IsAutoApply whose amount is the balance of an open
// invoice pays that invoice, though older ones are open: the invoice is
// paid, the payment lists it in its AppliedToTxnRet, the two link each
// other, and the customer's balance and the receivables reports move by
// the payment, as for an AppliedToTxnAdd. Sources: the comment at the top
// of this file (CPA911).
func TestAnAutoAppliedPaymentPaysTheInvoiceOfItsAmount(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	a := invoiceOf(t, f, "A", "2025-03-01", "100.00")
	b := invoiceOf(t, f, "B", "2025-03-02", "250.00")
	c := invoiceOf(t, f, "C", "2025-03-03", "40.00")

	pay := kid(ok(t, f, autoPayment("R-1", "250.00", "true")), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"Invoice B 250.00 of 250.00"}, appliedTo(pay)); diff != "" {
		t.Errorf("payment's AppliedToTxnRet (-want +got):\n%s", diff)
	}
	if got := textAt(pay, "UnusedPayment"); got != "0.00" {
		t.Errorf("UnusedPayment = %s, want 0.00", got)
	}
	if diff := cmp.Diff([]string{"A 100.00 false", "B 0.00 true", "C 40.00 false"}, openInvoices(t, f, a, b, c)); diff != "" {
		t.Errorf("invoices' balance and IsPaid (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"140.00", "140.00", "140.00", "140.00"}, receivables(t, f)); diff != "" {
		t.Errorf("balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ReceivePayment R-1 AMTTYPE -250.00"}, linkedOf(t, f, "Invoice", b)); diff != "" {
		t.Errorf("invoice B's LinkedTxn (-want +got):\n%s", diff)
	}
	if got := linkedOf(t, f, "Invoice", a); len(got) != 0 {
		t.Errorf("invoice A's LinkedTxn = %v, want none", got)
	}
}

// A payment with IsAutoApply that matches no invoice pays the oldest open
// invoices first, by date rather than by the order they were entered,
// the last in part; what is left over is an unused payment, a credit for
// the customer. The payment can be deleted as an explicit one can, which
// opens the invoices again; IsAutoApply false applies nothing. Sources:
// the comment at the top of this file (CPA911, QuickBooks 2012 help, /n
// software).
func TestAnAutoAppliedPaymentPaysTheOldestInvoicesFirst(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	c := invoiceOf(t, f, "C", "2025-03-03", "40.00")
	b := invoiceOf(t, f, "B", "2025-03-02", "250.00")
	a := invoiceOf(t, f, "A", "2025-03-01", "100.00")

	p1 := kid(ok(t, f, autoPayment("R-1", "300.00", "true")), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"Invoice A 100.00 of 100.00", "Invoice B 200.00 of 250.00"}, appliedTo(p1)); diff != "" {
		t.Errorf("first payment's AppliedToTxnRet (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"A 0.00 true", "B 50.00 false", "C 40.00 false"}, openInvoices(t, f, a, b, c)); diff != "" {
		t.Errorf("after the first payment, invoices (-want +got):\n%s", diff)
	}

	p2 := kid(ok(t, f, autoPayment("R-2", "100.00", "true")), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"Invoice B 50.00 of 50.00", "Invoice C 40.00 of 40.00"}, appliedTo(p2)); diff != "" {
		t.Errorf("second payment's AppliedToTxnRet (-want +got):\n%s", diff)
	}
	if got := textAt(p2, "UnusedPayment"); got != "10.00" {
		t.Errorf("second payment's UnusedPayment = %s, want 10.00", got)
	}
	if diff := cmp.Diff([]string{"-10.00", "-10.00", "-10.00", "-10.00"}, receivables(t, f)); diff != "" {
		t.Errorf("after the second payment, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ReceivePayment R-1 AMTTYPE -200.00", "ReceivePayment R-2 AMTTYPE -50.00"}, linkedOf(t, f, "Invoice", b)); diff != "" {
		t.Errorf("invoice B's LinkedTxn (-want +got):\n%s", diff)
	}

	p3 := kid(ok(t, f, autoPayment("R-3", "25.00", "false")), "ReceivePaymentRet")
	if got := appliedTo(p3); len(got) != 0 || textAt(p3, "UnusedPayment") != "25.00" {
		t.Errorf("IsAutoApply false: applied to %v, unused %s; want nothing applied, 25.00 unused", got, textAt(p3, "UnusedPayment"))
	}

	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(p2, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"A 0.00 true", "B 50.00 false", "C 40.00 false"}, openInvoices(t, f, a, b, c)); diff != "" {
		t.Errorf("after deleting the second payment, invoices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"65.00", "65.00", "65.00", "65.00"}, receivables(t, f)); diff != "" {
		t.Errorf("after deleting the second payment, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
}

// A payment with IsAutoApply applies money only: the customer's credit
// memo stays unused and unlinked, and the invoice is paid by the payment
// alone. Unverified: no source says whether QuickBooks sets credits when
// it applies a payment itself.
func TestAnAutoAppliedPaymentLeavesCreditMemosUnused(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	a := invoiceOf(t, f, "A", "2025-03-01", "100.00")
	cm := textAt(ok(t, f, creditMemoAdd("CM-1", "30.00")), "CreditMemoRet/TxnID")

	pay := kid(ok(t, f, autoPayment("R-1", "70.00", "true")), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"Invoice A 70.00 of 100.00"}, appliedTo(pay)); diff != "" {
		t.Errorf("payment's AppliedToTxnRet (-want +got):\n%s", diff)
	}
	if got := kids(kid(pay, "AppliedToTxnRet"), "LinkedTxn"); len(got) != 0 {
		t.Errorf("the payment applies %d credits, want none", len(got))
	}
	if diff := cmp.Diff([]string{"A 30.00 false"}, openInvoices(t, f, a)); diff != "" {
		t.Errorf("invoice (-want +got):\n%s", diff)
	}
	if got := textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cm+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"); got != "30.00" {
		t.Errorf("credit memo's CreditRemaining = %s, want 30.00", got)
	}
	if diff := cmp.Diff([]string{"0.00", "0.00", "0.00", "0.00"}, receivables(t, f)); diff != "" {
		t.Errorf("balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
}
