package companyfile

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A voided transaction stays in the company file with zero amounts and
// "VOID: " before its memo, and counts as modified: a sync that asks for
// what changed since before the void sees it.
func TestVoidKeepsTheTransactionZeroedAndModified(t *testing.T) {
	f, clock := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := kid(ok(t, f, strings.Replace(invoiceAdd, "<InvoiceLineAdd>", "<Memo>March work</Memo><InvoiceLineAdd>", 1)), "InvoiceRet")
	id := textAt(inv, "TxnID")
	if got := textAt(kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet"), "Balance"); got != "664.50" {
		t.Fatalf("customer balance before the void %s", got)
	}
	clock.Advance(time.Hour)
	mark := clock.Now().Format("2006-01-02T15:04:05")
	clock.Advance(time.Minute)

	rs := ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+id+`</TxnID></TxnVoidRq>`)
	got := texts(rs, "TxnVoidType", "TxnID", "TimeCreated", "RefNumber")
	if diff := cmp.Diff([]string{"Invoice", id, textAt(inv, "TimeCreated"), "1"}, got); diff != "" {
		t.Errorf("TxnVoidRs (-want +got):\n%s", diff)
	}
	if textAt(rs, "TimeModified") <= textAt(inv, "TimeModified") {
		t.Errorf("TxnVoidRs TimeModified %s, not after %s", textAt(rs, "TimeModified"), textAt(inv, "TimeModified"))
	}

	// The incremental query finds the voided invoice, with every amount zero.
	v := kid(ok(t, f, `<InvoiceQueryRq><ModifiedDateRangeFilter><FromModifiedDate>`+mark+`</FromModifiedDate></ModifiedDateRangeFilter><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`), "InvoiceRet")
	if textAt(v, "TxnID") != id {
		t.Fatalf("the modified-since query did not return the voided invoice")
	}
	got = texts(v, "Memo", "Subtotal", "SalesTaxTotal", "BalanceRemaining", "IsPaid", "RefNumber", "TxnDate", "CustomerRef/ListID")
	if diff := cmp.Diff([]string{"VOID: March work", "0.00", "0.00", "0.00", "true", "1", "2025-03-01", custID}, got); diff != "" {
		t.Errorf("voided invoice (-want +got):\n%s", diff)
	}
	lines := kids(v, "InvoiceLineRet")
	if len(lines) != 2 {
		t.Fatalf("voided invoice has %d lines, want 2 (a void keeps them)", len(lines))
	}
	for _, l := range lines {
		if textAt(l, "Amount") != "0.00" || textAt(l, "ItemRef/FullName") == "" {
			t.Errorf("voided line: %s", marshalNode(l))
		}
	}
	if textAt(v, "EditSequence") == textAt(inv, "EditSequence") || textAt(v, "TimeModified") != textAt(rs, "TimeModified") {
		t.Errorf("voided invoice EditSequence %s (was %s), TimeModified %s", textAt(v, "EditSequence"), textAt(inv, "EditSequence"), textAt(v, "TimeModified"))
	}
	// The old EditSequence is stale; the customer owes nothing any more.
	wantStatus(t, one(t, f, modRq("Invoice", inv, `<Memo>x</Memo>`)), "3200")
	if got := textAt(kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet"), "Balance"); got != "0.00" {
		t.Errorf("customer balance after the void %s, want 0.00", got)
	}
	// A second void changes nothing visible but the modification stamp.
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+id+`</TxnID></TxnVoidRq>`)
	if got := textAt(ok(t, f, `<InvoiceQueryRq><TxnID>`+id+`</TxnID></InvoiceQueryRq>`), "InvoiceRet/Memo"); got != "VOID: March work" {
		t.Errorf("memo after a second void %q", got)
	}
	if n, _ := f.Count(t.Context(), "Invoice"); n != 1 {
		t.Errorf("%d invoices after the void, want 1", n)
	}
	wantStatus(t, one(t, f, `<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>`), "1")
}

// Voiding a bill payment gives the bill its open amount back and the
// vendor its balance; a bill that payments are applied to cannot be voided
// (3170, unverified: TestRefusedChangesAnswerQuickBooksStatus).
func TestVoidingABillPaymentReopensTheBill(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><RefNumber>B-1</RefNumber>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>200.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet")
	pay := kid(ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber><Memo>February</Memo>
		<AppliedToTxnAdd><TxnID>`+textAt(bill, "TxnID")+`</TxnID><PaymentAmount>150.00</PaymentAmount></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`), "BillPaymentCheckRet")
	vendorBalance := func() string {
		return textAt(ok(t, f, `<VendorQueryRq><FullName>Paper Co</FullName></VendorQueryRq>`), "VendorRet/Balance")
	}
	if got := vendorBalance(); got != "50.00" {
		t.Fatalf("vendor balance after the payment %s", got)
	}
	wantStatus(t, one(t, f, `<TxnVoidRq><TxnVoidType>Bill</TxnVoidType><TxnID>`+textAt(bill, "TxnID")+`</TxnID></TxnVoidRq>`), "3170")

	rs := ok(t, f, `<TxnVoidRq><TxnVoidType>BillPaymentCheck</TxnVoidType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnVoidRq>`)
	if textAt(rs, "RefNumber") != "1001" {
		t.Errorf("TxnVoidRs RefNumber %q", textAt(rs, "RefNumber"))
	}
	p := kid(ok(t, f, `<BillPaymentCheckQueryRq><TxnID>`+textAt(pay, "TxnID")+`</TxnID></BillPaymentCheckQueryRq>`), "BillPaymentCheckRet")
	if diff := cmp.Diff([]string{"0.00", "VOID: February", ""}, texts(p, "Amount", "Memo", "AppliedToTxnRet/TxnID")); diff != "" {
		t.Errorf("voided bill payment (-want +got):\n%s", diff)
	}
	b := kid(ok(t, f, `<BillQueryRq><TxnID>`+textAt(bill, "TxnID")+`</TxnID></BillQueryRq>`), "BillRet")
	if diff := cmp.Diff([]string{"200.00", "200.00", "false"}, texts(b, "AmountDue", "OpenAmount", "IsPaid")); diff != "" {
		t.Errorf("bill after its payment was voided (-want +got):\n%s", diff)
	}
	if got := vendorBalance(); got != "200.00" {
		t.Errorf("vendor balance after the void %s, want 200.00", got)
	}
	// Now nothing is applied to the bill: it can be voided.
	ok(t, f, `<TxnVoidRq><TxnVoidType>Bill</TxnVoidType><TxnID>`+textAt(bill, "TxnID")+`</TxnID></TxnVoidRq>`)
	if got := vendorBalance(); got != "0.00" {
		t.Errorf("vendor balance after the bill was voided %s, want 0.00", got)
	}
}

// The "VOID: " prefix never makes a memo longer than QuickBooks allows.
func TestVoidKeepsALongMemoWithinItsLimit(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	memo := strings.Repeat("m", 4095)
	inv := kid(ok(t, f, strings.Replace(invoiceAdd, "<InvoiceLineAdd>", "<Memo>"+memo+"</Memo><InvoiceLineAdd>", 1)), "InvoiceRet")
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+textAt(inv, "TxnID")+`</TxnID></TxnVoidRq>`)
	got := textAt(ok(t, f, `<InvoiceQueryRq><TxnID>`+textAt(inv, "TxnID")+`</TxnID></InvoiceQueryRq>`), "InvoiceRet/Memo")
	if len(got) != 4095 || !strings.HasPrefix(got, "VOID: mmm") {
		t.Errorf("memo of %d characters starting %q", len(got), got[:min(len(got), 12)])
	}
}

// A statement charge's Ret has no Memo in qbXML 13.0 (ChargeRet): a void
// zeroes it and its customer's balance, and adds no element the schema
// does not have.
func TestVoidingAStatementChargeAddsNoMemo(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	ch := kid(ok(t, f, `<ChargeAddRq><ChargeAdd><CustomerRef><ListID>`+custID+`</ListID></CustomerRef><TxnDate>2025-03-03</TxnDate>
		<ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>2</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`), "ChargeRet")
	ok(t, f, `<TxnVoidRq><TxnVoidType>Charge</TxnVoidType><TxnID>`+textAt(ch, "TxnID")+`</TxnID></TxnVoidRq>`)
	v := kid(ok(t, f, `<ChargeQueryRq><TxnID>`+textAt(ch, "TxnID")+`</TxnID></ChargeQueryRq>`), "ChargeRet")
	if kid(v, "Memo") != nil || textAt(v, "Amount") != "0.00" {
		t.Errorf("voided charge: %s", marshalNode(v))
	}
	if got := textAt(kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet"), "Balance"); got != "0.00" {
		t.Errorf("customer balance after the void %s, want 0.00", got)
	}
}
