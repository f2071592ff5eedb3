package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addCustomerAndItems adds a customer and two items and returns the customer ListID.
func addCustomerAndItems(tb testing.TB, f *File) string {
	tb.Helper()
	rs := ok(tb, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><TermsRef><FullName>Net 30</FullName></TermsRef></CustomerAdd></CustomerAddRq>`)
	ok(tb, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Consulting</Name><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef><SalesOrPurchase><Price>150</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
	ok(tb, f, `<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Widget</Name><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><SalesOrPurchase><Price>20</Price><AccountRef><FullName>Product Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>`)
	return rs.text("CustomerRet/ListID")
}

const invoiceAdd = `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
	<TermsRef><FullName>Net 30</FullName></TermsRef><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>
	<InvoiceLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>3</Quantity><Rate>150</Rate><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></InvoiceLineAdd>
	<InvoiceLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>10</Quantity><Rate>20</Rate><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef></InvoiceLineAdd>
	</InvoiceAdd></InvoiceAddRq>`

func TestInvoiceTotalsBalancesAndPayments(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := ok(t, f, invoiceAdd).child("InvoiceRet")
	// 3 x 150 + 10 x 20 = 650; tax 7.25% of 200 = 14.50.
	got := []string{inv.text("RefNumber"), inv.text("DueDate"), inv.text("Subtotal"), inv.text("SalesTaxTotal"), inv.text("BalanceRemaining"), inv.text("IsPaid"),
		inv.all("InvoiceLineRet")[0].text("Amount"), inv.all("InvoiceLineRet")[1].text("Amount"), inv.text("ARAccountRef/FullName")}
	want := []string{"1", "2025-03-31", "650.00", "14.50", "664.50", "false", "450.00", "200.00", "Accounts Receivable"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invoice (-want +got):\n%s", diff)
	}
	if inv.all("InvoiceLineRet")[0].text("TxnLineID") == "" {
		t.Error("line has no TxnLineID")
	}
	cust := ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`).child("CustomerRet")
	if cust.text("Balance") != "664.50" {
		t.Errorf("customer balance %s, want 664.50", cust.text("Balance"))
	}

	txnID := inv.text("TxnID")
	wantStatus(t, one(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TotalAmount>1000.00</TotalAmount>
		<AppliedToTxnAdd><TxnID>`+txnID+`</TxnID><PaymentAmount>700.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "3210")

	pay := ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TotalAmount>700.00</TotalAmount>
		<PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>
		<AppliedToTxnAdd><TxnID>`+txnID+`</TxnID><PaymentAmount>664.50</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`).child("ReceivePaymentRet")
	got = []string{pay.text("TotalAmount"), pay.text("UnusedPayment"), pay.text("AppliedToTxnRet/TxnType"), pay.text("AppliedToTxnRet/Amount"), pay.text("AppliedToTxnRet/RefNumber")}
	want = []string{"700.00", "35.50", "Invoice", "664.50", "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payment (-want +got):\n%s", diff)
	}
	inv2 := ok(t, f, `<InvoiceQueryRq><TxnID>`+txnID+`</TxnID></InvoiceQueryRq>`).child("InvoiceRet")
	if inv2.text("BalanceRemaining") != "0.00" || inv2.text("IsPaid") != "true" || inv2.text("EditSequence") == inv.text("EditSequence") {
		t.Errorf("paid invoice: balance %s paid %s editseq %s", inv2.text("BalanceRemaining"), inv2.text("IsPaid"), inv2.text("EditSequence"))
	}
	if inv2.child("InvoiceLineRet") != nil {
		t.Error("lines returned without IncludeLineItems")
	}
	cust = ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`).child("CustomerRet")
	if cust.text("Balance") != "-35.50" {
		t.Errorf("customer balance %s, want -35.50 (unused payment)", cust.text("Balance"))
	}
	// An invoice with a payment applied cannot be deleted.
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+txnID+`</TxnID></TxnDelRq>`), "3170")
	// Deleting the payment restores the invoice balance.
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+pay.text("TxnID")+`</TxnID></TxnDelRq>`)
	inv3 := ok(t, f, `<InvoiceQueryRq><TxnID>`+txnID+`</TxnID><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`).child("InvoiceRet")
	if inv3.text("BalanceRemaining") != "664.50" || len(inv3.all("InvoiceLineRet")) != 2 {
		t.Errorf("after payment delete: balance %s, %d lines", inv3.text("BalanceRemaining"), len(inv3.all("InvoiceLineRet")))
	}
	del := ok(t, f, `<TxnDeletedQueryRq><TxnDelType>ReceivePayment</TxnDelType></TxnDeletedQueryRq>`)
	if del.text("TxnDeletedRet/TxnID") != pay.text("TxnID") {
		t.Errorf("TxnDeletedQuery returned %q", del.text("TxnDeletedRet/TxnID"))
	}
}

func TestModRequiresCurrentEditSequenceAndReplacesLines(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := ok(t, f, invoiceAdd).child("InvoiceRet")
	id, es := inv.text("TxnID"), inv.text("EditSequence")
	line1 := inv.all("InvoiceLineRet")[0].text("TxnLineID")
	wantStatus(t, one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>123</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>`), "3200")
	clock.Advance(0)
	mod := ok(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+es+`</EditSequence><Memo>changed</Memo>
		<InvoiceLineMod><TxnLineID>`+line1+`</TxnLineID><Quantity>4</Quantity></InvoiceLineMod>
		<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>50</Amount></InvoiceLineMod>
		</InvoiceMod></InvoiceModRq>`).child("InvoiceRet")
	lines := mod.all("InvoiceLineRet")
	got := []string{mod.text("Memo"), mod.text("Subtotal"), mod.text("SalesTaxTotal"), lines[0].text("TxnLineID"), lines[0].text("Amount"), lines[1].text("Amount")}
	want := []string{"changed", "650.00", "0.00", line1, "600.00", "50.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mod (-want +got):\n%s", diff)
	}
	if len(lines) != 2 || mod.text("EditSequence") == es || mod.text("TimeCreated") != inv.text("TimeCreated") {
		t.Errorf("%d lines, editseq %s (was %s)", len(lines), mod.text("EditSequence"), es)
	}
	// The old EditSequence is now stale.
	wantStatus(t, one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+es+`</EditSequence><Memo>y</Memo></InvoiceMod></InvoiceModRq>`), "3200")
}

func TestBillAndBillPayment(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	bill := ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><RefNumber>B-1</RefNumber>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>120.00</Amount></ExpenseLineAdd>
		<ExpenseLineAdd><AccountRef><FullName>Utilities</FullName></AccountRef><Amount>80</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`).child("BillRet")
	if bill.text("AmountDue") != "200.00" || bill.text("OpenAmount") != "200.00" || bill.text("APAccountRef/FullName") != "Accounts Payable" {
		t.Errorf("bill amount %s open %s ap %s", bill.text("AmountDue"), bill.text("OpenAmount"), bill.text("APAccountRef/FullName"))
	}
	pay := ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber>
		<AppliedToTxnAdd><TxnID>`+bill.text("TxnID")+`</TxnID><PaymentAmount>200.00</PaymentAmount></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`).child("BillPaymentCheckRet")
	if pay.text("Amount") != "200.00" {
		t.Errorf("bill payment amount %s", pay.text("Amount"))
	}
	if got := ok(t, f, `<BillQueryRq><PaidStatus>PaidOnly</PaidStatus></BillQueryRq>`).text("BillRet/RefNumber"); got != "B-1" {
		t.Errorf("paid bills: %q", got)
	}
	wantStatus(t, one(t, f, `<BillQueryRq><PaidStatus>NotPaidOnly</PaidStatus></BillQueryRq>`), "1")
	v := ok(t, f, `<VendorQueryRq><FullName>Paper Co</FullName></VendorQueryRq>`).child("VendorRet")
	if v.text("Balance") != "0.00" {
		t.Errorf("vendor balance %s", v.text("Balance"))
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
