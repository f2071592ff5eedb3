package companyfile

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// itemReceiptAdd receives qty units of Widget at 10.00 from Paper Co.
func itemReceiptAdd(qty string) string {
	return `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-03-01</TxnDate>
		<ItemLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>` + qty + `</Quantity><Cost>10.00</Cost></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`
}

// payables returns what the vendor Paper Co is owed as its Balance, the
// A/P aging summary, the unpaid bills detail and the balance sheet's
// Accounts Payable show it, which must agree.
func payables(tb testing.TB, f *File) []string {
	tb.Helper()
	aging := parseReport(tb, ok(tb, f, `<AgingReportQueryRq><AgingReportType>APAgingSummary</AgingReportType></AgingReportQueryRq>`))
	unpaid := parseReport(tb, ok(tb, f, `<GeneralDetailReportQueryRq><GeneralDetailReportType>UnpaidBillsDetail</GeneralDetailReportType></GeneralDetailReportQueryRq>`))
	bs := parseReport(tb, ok(tb, f, summaryRq("BalanceSheetStandard", period("2025-01-01", "2025-12-31"))))
	return []string{balances(tb, f, "Vendor", "Paper Co")[0], orDefault(aging.cell("Paper Co", 7), "0.00"), orDefault(unpaid.cell("TOTAL", 8), "0.00"),
		orDefault(bs.cell("Total Accounts Payable", 2), "0.00")}
}

// Receiving items without their bill puts them in accounts payable: in
// QuickBooks' Create Item Receipts window, "QuickBooks increases your
// accounts payable by the amount shown on the item receipt" (QuickBooks
// Desktop 2012 in-product help, "Receive items that arrive ahead of the
// bill",
// http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Purchase_Orders/task_po_receive.html),
// and since every posting to A/P names its vendor, the balance sheet's A/P
// equals the A/P aging total, the vendors' balances (Marshall, "QuickBooks
// 2013 In Depth", "Reconciling Balance Sheet Accounts Payable Balance to
// A/P Aging Summary Report Total", https://aigencon.com/view/book/EB9780132939867_21.html).
// A changed receipt is owed by its new total; a deleted or voided one no
// longer.
//
// Through qbXML a bill cannot be entered against the receipt: BillAdd's
// LinkToTxnID "must be a PurchaseOrder: links to other transactions are
// not currently supported" (Intuit's BillAdd reference, as LetSync quotes
// it, https://www.letsyncsolution.com/docs/linkedtxnret/; Intuit's
// "Linking item receipt and bill to purchase order" tutorial,
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/linking-itemreciept-bill-to-purchase-order-invoice-to-sales-order,
// names only purchase orders and sales orders as what adds link to). Only
// QuickBooks' own window turns a receipt into its bill ("QuickBooks
// converts the item receipt into a bill", in-product help, "When should
// you select Bill Received?",
// http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Inventory/quest_what_bill_received_do.html).
func TestAnItemReceiptIsOwedToItsVendorUntilItsBill(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	receipt := kid(ok(t, f, itemReceiptAdd("10")), "ItemReceiptRet")
	if diff := cmp.Diff([]string{"100.00", "100.00", "100.00", "100.00"}, payables(t, f)); diff != "" {
		t.Errorf("after receiving 100.00 of widgets, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}

	line := textAt(receipt, "ItemLineRet/TxnLineID")
	receipt = modOK(t, f, "ItemReceipt", receipt, `<ItemLineMod><TxnLineID>`+line+`</TxnLineID><Quantity>15</Quantity><Cost>10.00</Cost><Amount>150.00</Amount></ItemLineMod>`)
	if diff := cmp.Diff([]string{"150.00", "150.00", "150.00", "150.00"}, payables(t, f)); diff != "" {
		t.Errorf("after receiving 15 widgets instead, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}

	bill := `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-03-09</TxnDate><LinkToTxnID>` + textAt(receipt, "TxnID") + `</LinkToTxnID>
		<ItemLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>15</Quantity><Cost>10.00</Cost></ItemLineAdd></BillAdd></BillAddRq>`
	wantStatus(t, one(t, f, bill), strconv.Itoa(stInvalidRef))
	if diff := cmp.Diff([]string{"150.00", "150.00", "150.00", "150.00"}, payables(t, f)); diff != "" {
		t.Errorf("after a refused bill against the receipt, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}

	ok(t, f, `<TxnDelRq><TxnDelType>ItemReceipt</TxnDelType><TxnID>`+textAt(receipt, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"0.00", "0.00", "0.00", "0.00"}, payables(t, f)); diff != "" {
		t.Errorf("after deleting the receipt, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
	voided := kid(ok(t, f, itemReceiptAdd("3")), "ItemReceiptRet")
	ok(t, f, `<TxnVoidRq><TxnVoidType>ItemReceipt</TxnVoidType><TxnID>`+textAt(voided, "TxnID")+`</TxnID></TxnVoidRq>`)
	if diff := cmp.Diff([]string{"0.00", "0.00", "0.00", "0.00"}, payables(t, f)); diff != "" {
		t.Errorf("after voiding a second receipt, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
}

// A company file written when item receipts were owed to nobody owes
// them to their vendors once it is opened.
func TestOpeningAnOlderFileOwesItsItemReceiptsToTheirVendors(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	ok(t, f, itemReceiptAdd("4"))
	voided := kid(ok(t, f, itemReceiptAdd("3")), "ItemReceiptRet")
	ok(t, f, `<TxnVoidRq><TxnVoidType>ItemReceipt</TxnVoidType><TxnID>`+textAt(voided, "TxnID")+`</TxnID></TxnVoidRq>`)
	// What an earlier simulator stored: receipts open for nothing, the
	// vendor owed nothing.
	for _, q := range []string{`UPDATE objects SET effect = 0 WHERE type = 'ItemReceipt'`, `DELETE FROM meta WHERE key = 'upgrade.itemreceipts.owed'`} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.refreshBalance(t.Context(), f.db, textAt(voided, "VendorRef/ListID")); err != nil {
		t.Fatal(err)
	}
	if got := balances(t, f, "Vendor", "Paper Co")[0]; got != "0.00" {
		t.Fatalf("as an earlier simulator left it, Paper Co's balance %s, want 0.00", got)
	}
	g := reopen(t, f)
	if diff := cmp.Diff([]string{"40.00", "40.00", "40.00", "40.00"}, payables(t, g)); diff != "" {
		t.Errorf("after reopening, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
}

// A bill payment pays bills only, not a journal entry's credit to A/P for
// the vendor (which the vendor is owed all the same): in a bill payment
// "each AppliedTo aggregate represents the bill transaction to which this
// part of the payment is being applied", where a customer payment's may
// be a general journal debit (Intuit's AppliedTo documentation as
// /n software's QuickBooks Integrator quotes it,
// https://cdn.nsoftware.com/help/BBF/macos/ReceivePayment_p_AppliedTo.htm;
// CData's QuickBooks driver, which writes qbXML: "each AppliedTo aggregate
// represents the Bill transaction",
// https://cdn.cdata.com/help/RQH/cis/pg_table-billpaymentchecksappliedto.htm).
// A transaction a payment cannot pay is an invalid reference, as a bill
// of another vendor is.
func TestABillPaymentCannotPayAJournalEntrysPayablesCredit(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	je := kid(ok(t, f, journalEntryAdd(journalLine("Debit", "Office Supplies", "80.00", ""), journalLine("Credit", "Accounts Payable", "80.00", "Paper Co"))), "JournalEntryRet")
	for _, pay := range []string{
		`<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-03-05</TxnDate>
			<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber><AppliedToTxnAdd><TxnID>` + textAt(je, "TxnID") + `</TxnID><PaymentAmount>30.00</PaymentAmount></AppliedToTxnAdd>
			</BillPaymentCheckAdd></BillPaymentCheckAddRq>`,
		`<BillPaymentCreditCardAddRq><BillPaymentCreditCardAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-03-05</TxnDate>
			<CreditCardAccountRef><FullName>Credit Card</FullName></CreditCardAccountRef><AppliedToTxnAdd><TxnID>` + textAt(je, "TxnID") + `</TxnID><PaymentAmount>30.00</PaymentAmount></AppliedToTxnAdd>
			</BillPaymentCreditCardAdd></BillPaymentCreditCardAddRq>`,
	} {
		wantStatus(t, one(t, f, pay), strconv.Itoa(stInvalidRef))
	}
	if diff := cmp.Diff([]string{"80.00", "80.00", "80.00", "80.00"}, payables(t, f)); diff != "" {
		t.Errorf("after the refused payments, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
}

// TransactionQuery, which works "similar to the Advanced Find window in
// the QuickBooks UI" (Intuit's TransactionQuery reference,
// https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/transactionquery),
// finds a journal entry by the name or account on any of its lines, as
// JournalEntryQuery does: Intuit's JournalEntryQuery reference names the
// generic TransactionQuery as the other way to query journal entries
// with an entity or account filter
// (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/journalentryquery).
func TestTransactionQueryFindsAJournalEntryByTheNameOrAccountOnAnyLine(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	add := func(ref string, lines ...string) string {
		body := `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-03-01</TxnDate><RefNumber>` + ref + `</RefNumber>`
		for _, l := range lines {
			body += l
		}
		return textAt(ok(t, f, body+`</JournalEntryAdd></JournalEntryAddRq>`), "JournalEntryRet/TxnID")
	}
	je1 := add("JE-1", journalLine("Credit", "Services", "90.00", ""), journalLine("Debit", "Accounts Receivable", "90.00", "Acme Corp"))
	je2 := add("JE-2", journalLine("Debit", "Office Supplies", "40.00", "Paper Co"), journalLine("Credit", "Accounts Payable", "40.00", "Paper Co"))
	je3 := add("JE-3", journalLine("Debit", "Accounts Receivable", "15.00", "Acme Corp:Roof"), journalLine("Credit", "Services", "15.00", ""))
	bill := textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-03-02</TxnDate>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>42.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	query := func(filter string) []string {
		t.Helper()
		var ids []string
		for _, tr := range kids(one(t, f, `<TransactionQueryRq>`+filter+`</TransactionQueryRq>`), "TransactionRet") {
			ids = append(ids, textAt(tr, "TxnType")+" "+textAt(tr, "TxnID"))
		}
		return ids
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`<TransactionEntityFilter><FullName>Acme Corp</FullName></TransactionEntityFilter>`, []string{"JournalEntry " + je1}},
		{`<TransactionEntityFilter><FullNameWithChildren>Acme Corp</FullNameWithChildren></TransactionEntityFilter>`, []string{"JournalEntry " + je1, "JournalEntry " + je3}},
		// The bill names the vendor in its header, the entry on its lines.
		{`<TransactionEntityFilter><FullName>Paper Co</FullName></TransactionEntityFilter>`, []string{"JournalEntry " + je2, "Bill " + bill}},
		{`<TransactionAccountFilter><FullName>Services</FullName></TransactionAccountFilter>`, []string{"JournalEntry " + je1, "JournalEntry " + je3}},
		{`<TransactionAccountFilter><FullName>Accounts Payable</FullName></TransactionAccountFilter>`, []string{"JournalEntry " + je2, "Bill " + bill}},
	} {
		if diff := cmp.Diff(c.want, query(c.filter)); diff != "" {
			t.Errorf("TransactionQuery with %s (-want +got):\n%s", c.filter, diff)
		}
	}
}
