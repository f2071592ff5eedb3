package companyfile

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addCustomerAndItems adds a customer and two items and returns the customer ListID.
func addCustomerAndItems(tb testing.TB, f *File) string {
	tb.Helper()
	rs := ok(tb, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><TermsRef><FullName>Net 30</FullName></TermsRef></CustomerAdd></CustomerAddRq>`)
	ok(tb, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Consulting</Name><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef><SalesOrPurchase><Price>150</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
	ok(tb, f, `<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Widget</Name><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><SalesOrPurchase><Price>20</Price><AccountRef><FullName>Product Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>`)
	return textAt(rs, "CustomerRet/ListID")
}

const invoiceAdd = `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
	<TermsRef><FullName>Net 30</FullName></TermsRef><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>
	<InvoiceLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>3</Quantity><Rate>150</Rate><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></InvoiceLineAdd>
	<InvoiceLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>10</Quantity><Rate>20</Rate><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef></InvoiceLineAdd>
	</InvoiceAdd></InvoiceAddRq>`

func TestInvoiceTotalsBalancesAndPayments(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	// 3 x 150 + 10 x 20 = 650; tax 7.25% of 200 = 14.50.
	got := []string{textAt(inv, "RefNumber"), textAt(inv, "DueDate"), textAt(inv, "Subtotal"), textAt(inv, "SalesTaxTotal"), textAt(inv, "BalanceRemaining"), textAt(inv, "IsPaid"),
		textAt(kids(inv, "InvoiceLineRet")[0], "Amount"), textAt(kids(inv, "InvoiceLineRet")[1], "Amount"), textAt(inv, "ARAccountRef/FullName")}
	want := []string{"1", "2025-03-31", "650.00", "14.50", "664.50", "false", "450.00", "200.00", "Accounts Receivable"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invoice (-want +got):\n%s", diff)
	}
	if textAt(kids(inv, "InvoiceLineRet")[0], "TxnLineID") == "" {
		t.Error("line has no TxnLineID")
	}
	cust := kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet")
	if textAt(cust, "Balance") != "664.50" {
		t.Errorf("customer balance %s, want 664.50", textAt(cust, "Balance"))
	}

	txnID := textAt(inv, "TxnID")
	wantStatus(t, one(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TotalAmount>1000.00</TotalAmount>
		<AppliedToTxnAdd><TxnID>`+txnID+`</TxnID><PaymentAmount>700.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "3210")

	pay := kid(ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TotalAmount>700.00</TotalAmount>
		<PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>
		<AppliedToTxnAdd><TxnID>`+txnID+`</TxnID><PaymentAmount>664.50</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "ReceivePaymentRet")

	got = []string{textAt(pay, "TotalAmount"), textAt(pay, "UnusedPayment"), textAt(pay, "AppliedToTxnRet/TxnType"), textAt(pay, "AppliedToTxnRet/Amount"), textAt(pay, "AppliedToTxnRet/RefNumber")}
	want = []string{"700.00", "35.50", "Invoice", "664.50", "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payment (-want +got):\n%s", diff)
	}
	inv2 := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+txnID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	if textAt(inv2, "BalanceRemaining") != "0.00" || textAt(inv2, "IsPaid") != "true" || textAt(inv2, "EditSequence") == textAt(inv, "EditSequence") {
		t.Errorf("paid invoice: balance %s paid %s editseq %s", textAt(inv2, "BalanceRemaining"), textAt(inv2, "IsPaid"), textAt(inv2, "EditSequence"))
	}
	if kid(inv2, "InvoiceLineRet") != nil {
		t.Error("lines returned without IncludeLineItems")
	}
	cust = kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet")
	if textAt(cust, "Balance") != "-35.50" {
		t.Errorf("customer balance %s, want -35.50 (unused payment)", textAt(cust, "Balance"))
	}
	// Deleting the payment restores the invoice balance.
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	inv3 := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+txnID+`</TxnID><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`), "InvoiceRet")
	if textAt(inv3, "BalanceRemaining") != "664.50" || len(kids(inv3, "InvoiceLineRet")) != 2 {
		t.Errorf("after payment delete: balance %s, %d lines", textAt(inv3, "BalanceRemaining"), len(kids(inv3, "InvoiceLineRet")))
	}
	del := ok(t, f, `<TxnDeletedQueryRq><TxnDelType>ReceivePayment</TxnDelType></TxnDeletedQueryRq>`)
	if textAt(del, "TxnDeletedRet/TxnID") != textAt(pay, "TxnID") {
		t.Errorf("TxnDeletedQuery returned %q", textAt(del, "TxnDeletedRet/TxnID"))
	}
}

func TestModRequiresCurrentEditSequenceAndReplacesLines(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	id, es := textAt(inv, "TxnID"), textAt(inv, "EditSequence")
	line1 := textAt(kids(inv, "InvoiceLineRet")[0], "TxnLineID")
	wantStatus(t, one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>123</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>`), "3200")
	clock.Advance(0)
	mod := kid(ok(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+es+`</EditSequence><Memo>changed</Memo>
		<InvoiceLineMod><TxnLineID>`+line1+`</TxnLineID><Quantity>4</Quantity></InvoiceLineMod>
		<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>50</Amount></InvoiceLineMod>
		</InvoiceMod></InvoiceModRq>`), "InvoiceRet")

	lines := kids(mod, "InvoiceLineRet")
	got := []string{textAt(mod, "Memo"), textAt(mod, "Subtotal"), textAt(mod, "SalesTaxTotal"), textAt(lines[0], "TxnLineID"), textAt(lines[0], "Amount"), textAt(lines[1], "Amount")}
	want := []string{"changed", "650.00", "0.00", line1, "600.00", "50.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mod (-want +got):\n%s", diff)
	}
	if len(lines) != 2 || textAt(mod, "EditSequence") == es || textAt(mod, "TimeCreated") != textAt(inv, "TimeCreated") {
		t.Errorf("%d lines, editseq %s (was %s)", len(lines), textAt(mod, "EditSequence"), es)
	}
	// The old EditSequence is now stale.
	wantStatus(t, one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+es+`</EditSequence><Memo>y</Memo></InvoiceMod></InvoiceModRq>`), "3200")
}

func TestBillAndBillPayment(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><RefNumber>B-1</RefNumber>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>120.00</Amount></ExpenseLineAdd>
		<ExpenseLineAdd><AccountRef><FullName>Utilities</FullName></AccountRef><Amount>80</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet")

	if textAt(bill, "AmountDue") != "200.00" || textAt(bill, "OpenAmount") != "200.00" || textAt(bill, "APAccountRef/FullName") != "Accounts Payable" {
		t.Errorf("bill amount %s open %s ap %s", textAt(bill, "AmountDue"), textAt(bill, "OpenAmount"), textAt(bill, "APAccountRef/FullName"))
	}
	pay := kid(ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber>
		<AppliedToTxnAdd><TxnID>`+textAt(bill, "TxnID")+`</TxnID><PaymentAmount>200.00</PaymentAmount></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`), "BillPaymentCheckRet")

	if textAt(pay, "Amount") != "200.00" {
		t.Errorf("bill payment amount %s", textAt(pay, "Amount"))
	}
	if got := textAt(ok(t, f, `<BillQueryRq><PaidStatus>PaidOnly</PaidStatus></BillQueryRq>`), "BillRet/RefNumber"); got != "B-1" {
		t.Errorf("paid bills: %q", got)
	}
	wantStatus(t, one(t, f, `<BillQueryRq><PaidStatus>NotPaidOnly</PaidStatus></BillQueryRq>`), "1")
	v := kid(ok(t, f, `<VendorQueryRq><FullName>Paper Co</FullName></VendorQueryRq>`), "VendorRet")
	if textAt(v, "Balance") != "0.00" {
		t.Errorf("vendor balance %s", textAt(v, "Balance"))
	}
}

func TestJournalEntryMustBalance(t *testing.T) {
	f, _ := newTestFile(t)
	wantStatus(t, one(t, f, `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-01-31</TxnDate>
		<JournalDebitLine><AccountRef><FullName>Checking</FullName></AccountRef><Amount>100</Amount></JournalDebitLine>
		<JournalCreditLine><AccountRef><FullName>Owners Equity</FullName></AccountRef><Amount>90</Amount></JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>`), "3180")
	ok(t, f, `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-01-31</TxnDate>
		<JournalDebitLine><AccountRef><FullName>Checking</FullName></AccountRef><Amount>100</Amount></JournalDebitLine>
		<JournalCreditLine><AccountRef><FullName>Owners Equity</FullName></AccountRef><Amount>100</Amount></JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>`)
}

func TestABalanceMarksItsCustomerModifiedOnlyWhenAskedTo(t *testing.T) {
	// Whether QuickBooks gives a customer a new TimeModified and
	// EditSequence when an invoice moves its balance is not documented;
	// by default the simulator does not, and BalanceMarksModified lets a
	// sync engine be tested against the other behaviour.
	for _, marks := range []bool{false, true} {
		clock := newTestClock()
		f, err := Create(filepath.Join(t.TempDir(), "Test Company.qbw"), "Test Company", Options{Now: clock.Now, BalanceMarksModified: marks})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		custID := addCustomerAndItems(t, f)
		query := `<CustomerQueryRq><ListID>` + custID + `</ListID></CustomerQueryRq>`
		before := kid(ok(t, f, query), "CustomerRet")
		ok(t, f, invoiceAdd)
		after := kid(ok(t, f, query), "CustomerRet")
		if textAt(after, "Balance") != "664.50" {
			t.Errorf("marks %v: balance %s, want 664.50", marks, textAt(after, "Balance"))
		}
		got := []bool{textAt(after, "EditSequence") != textAt(before, "EditSequence"), textAt(after, "TimeModified") != textAt(before, "TimeModified")}
		if want := []bool{marks, marks}; !slices.Equal(got, want) {
			t.Errorf("marks %v: editSequence and timeModified changed %v, want %v", marks, got, want)
		}
	}
}
