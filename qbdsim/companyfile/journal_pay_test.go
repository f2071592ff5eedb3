package companyfile

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// journalRefs returns the RefNumbers of the JournalEntryRets of a
// JournalEntryQueryRs.
func journalRefs(rs *qbxml.Node) []string {
	var out []string
	for _, je := range kids(rs, "JournalEntryRet") {
		out = append(out, textAt(je, "RefNumber"))
	}
	return out
}

// A journal entry names its customers, vendors and accounts only on its
// lines, and JournalEntryQuery's EntityFilter and AccountFilter find it by
// any of them: Intuit's JournalEntryQuery reference recommends "either an
// Entity or Account filter in the journal query request" to query journal
// entries
// (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/journalentryquery),
// and CData's QuickBooks driver, which passes its filters to qbXML, names
// the columns QuickBooks filters journal entries on LineEntityId,
// LineEntityName, LineAccount and LineAccountId
// (https://cdn.cdata.com/help/RQG/jdbc/pg_table-journalentries.htm).
func TestJournalEntryQueryFindsAnEntryByTheNameOrAccountOnAnyLine(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	add := func(ref string, lines ...string) {
		ok(t, f, `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-03-01</TxnDate><RefNumber>`+ref+`</RefNumber>`+
			strings.Join(lines, "")+`</JournalEntryAdd></JournalEntryAddRq>`)
	}
	// The customer is named on the second line only; the vendor on a line
	// that moves no balance.
	add("JE-1", journalLine("Credit", "Services", "90.00", ""), journalLine("Debit", "Accounts Receivable", "90.00", "Acme Corp"))
	add("JE-2", journalLine("Debit", "Office Supplies", "40.00", "Paper Co"), journalLine("Credit", "Checking", "40.00", ""))
	add("JE-3", journalLine("Debit", "Accounts Receivable", "15.00", "Acme Corp:Roof"), journalLine("Credit", "Services", "15.00", ""))

	query := func(filter string) []string {
		t.Helper()
		rs := one(t, f, `<JournalEntryQueryRq>`+filter+`</JournalEntryQueryRq>`)
		return journalRefs(rs)
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`<EntityFilter><FullName>Acme Corp</FullName></EntityFilter>`, []string{"JE-1"}},
		{`<EntityFilter><FullNameWithChildren>Acme Corp</FullNameWithChildren></EntityFilter>`, []string{"JE-1", "JE-3"}},
		{`<EntityFilter><FullName>Paper Co</FullName></EntityFilter>`, []string{"JE-2"}},
		{`<AccountFilter><FullName>Services</FullName></AccountFilter>`, []string{"JE-1", "JE-3"}},
		{`<AccountFilter><FullName>Checking</FullName></AccountFilter>`, []string{"JE-2"}},
	} {
		if diff := cmp.Diff(c.want, query(c.filter)); diff != "" {
			t.Errorf("JournalEntryQuery with %s (-want +got):\n%s", c.filter, diff)
		}
	}

	// A modified line is found by its new name, no longer by its old one.
	je := kid(ok(t, f, `<JournalEntryQueryRq><RefNumber>JE-2</RefNumber><IncludeLineItems>true</IncludeLineItems></JournalEntryQueryRq>`), "JournalEntryRet")
	ids := journalLines(je)
	modOK(t, f, "JournalEntry", je, `<JournalLineMod><TxnLineID>`+ids[0]+`</TxnLineID><EntityRef><FullName>Acme Corp</FullName></EntityRef></JournalLineMod>`+
		`<JournalLineMod><TxnLineID>`+ids[1]+`</TxnLineID></JournalLineMod>`)
	if diff := cmp.Diff([]string{"JE-1", "JE-2"}, query(`<EntityFilter><FullName>Acme Corp</FullName></EntityFilter>`)); diff != "" {
		t.Errorf("after the modification, entries naming Acme Corp (-want +got):\n%s", diff)
	}
	if got := query(`<EntityFilter><FullName>Paper Co</FullName></EntityFilter>`); len(got) != 0 {
		t.Errorf("after the modification, entries naming Paper Co: %v, want none", got)
	}
}

// paymentTo applies a customer payment of amount to one transaction.
func paymentTo(customer, amount, txnID string) string {
	return `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>` + customer + `</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate>
		<TotalAmount>` + amount + `</TotalAmount><AppliedToTxnAdd><TxnID>` + txnID + `</TxnID><PaymentAmount>` + amount + `</PaymentAmount></AppliedToTxnAdd>
		</ReceivePaymentAdd></ReceivePaymentAddRq>`
}

// In QuickBooks a customer payment can be applied to a general journal
// entry that debits A/R for that customer, as to an invoice: Intuit's
// ReceivePayment reference names "invoices, statement charges (though not
// through the SDK), general journal debits, and checks" as the
// transactions that can receive payments (quoted by LetSync,
// https://www.letsyncsolution.com/docs/receivepayment/, and in Intuit's SDK
// programmer's guide, "Handling Receive Payment Transactions", quoted at
// https://fmforums.com/topic/102805-handling-receive-payment-transactions).
// The applied amount leaves the entry's open balance, and no more than
// that balance can be applied (the status QuickBooks gives an over-paid
// invoice).
func TestACustomerPaymentAppliedToAJournalEntryPaysItsReceivablesDebit(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>`)
	je := kid(ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "100.00", "Acme Corp"), journalLine("Credit", "Services", "100.00", ""))), "JournalEntryRet")
	jeID := textAt(je, "TxnID")

	pay := kid(ok(t, f, paymentTo("Acme Corp", "30.00", jeID)), "ReceivePaymentRet")
	applied := kid(pay, "AppliedToTxnRet")
	got := []string{textAt(applied, "TxnType"), textAt(applied, "TxnID"), textAt(applied, "Amount"), textAt(pay, "UnusedPayment")}
	if diff := cmp.Diff([]string{"JournalEntry", jeID, "30.00", "0.00"}, got); diff != "" {
		t.Errorf("payment's AppliedToTxnRet type, id, amount and unused payment (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"70.00/70.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after paying 30.00 of the entry, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := aging.find(t, "Acme Corp")[7]; got != "70.00" {
		t.Errorf("A/R aging total of Acme Corp %s, want 70.00", got)
	}
	open := parseReport(t, ok(t, f, `<GeneralDetailReportQueryRq><GeneralDetailReportType>OpenInvoices</GeneralDetailReportType></GeneralDetailReportQueryRq>`))
	if got := open.find(t, "TOTAL")[8]; got != "70.00" {
		t.Errorf("open invoices TOTAL open balance %s, want 70.00", got)
	}

	// The entry posted its income on either basis: on the cash basis the
	// payment only moves the money, from A/R to Undeposited Funds.
	cash := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period("2025-01-01", "2025-12-31")+`<SummarizeColumnsBy>TotalOnly</SummarizeColumnsBy><ReportBasis>Cash</ReportBasis>`)))
	if got := cash.find(t, "Services")[2]; got != "100.00" {
		t.Errorf("cash-basis income in Services %s, want 100.00", got)
	}

	// More than the 70.00 still open cannot be applied, and the entry
	// pays only its own customer's debts.
	wantStatus(t, one(t, f, paymentTo("Acme Corp", "70.01", jeID)), strconv.Itoa(stInvalidValue))
	wantStatus(t, one(t, f, paymentTo("Globex", "10.00", jeID)), strconv.Itoa(stInvalidRef))
	ok(t, f, paymentTo("Acme Corp", "70.00", jeID))
	if diff := cmp.Diff([]string{"0.00/0.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after paying the entry in full, balance/total of Acme Corp (-want +got):\n%s", diff)
	}

	// Deleting the first payment opens its 30.00 again.
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"30.00/30.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after deleting the first payment, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
	aging = parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := aging.find(t, "Acme Corp")[7]; got != "30.00" {
		t.Errorf("after deleting the first payment, A/R aging total of Acme Corp %s, want 30.00", got)
	}
}

// A journal entry modified after a payment was applied to it keeps what
// was paid, and cannot fall below it; like a paid bill, it cannot be
// deleted while the payment is applied (unverified: a paid invoice can,
// TestVoidingOrDeletingAPaidInvoiceLeavesItsPaymentsTheirMoney), with
// 3160, the code QuBe Sync names "cannot_delete" for TxnDel
// (QUBESYNC-CODES in statuscodes_test.go).
func TestAModifiedJournalEntryKeepsWhatWasPaidOnIt(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	je := kid(ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "100.00", "Acme Corp"), journalLine("Credit", "Services", "100.00", ""))), "JournalEntryRet")
	pay := kid(ok(t, f, paymentTo("Acme Corp", "40.00", textAt(je, "TxnID"))), "ReceivePaymentRet")
	ids := journalLines(je)
	amounts := func(amt string) string {
		return `<JournalLineMod><TxnLineID>` + ids[0] + `</TxnLineID><Amount>` + amt + `</Amount></JournalLineMod>` +
			`<JournalLineMod><TxnLineID>` + ids[1] + `</TxnLineID><Amount>` + amt + `</Amount></JournalLineMod>`
	}
	je = modOK(t, f, "JournalEntry", je, amounts("120.00"))
	if diff := cmp.Diff([]string{"80.00/80.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after raising the paid entry to 120.00, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
	mod := `<JournalEntryModRq><JournalEntryMod><TxnID>` + textAt(je, "TxnID") + `</TxnID><EditSequence>` + textAt(je, "EditSequence") + `</EditSequence>` +
		amounts("30.00") + `</JournalEntryMod></JournalEntryModRq>`
	wantStatus(t, one(t, f, mod), strconv.Itoa(stInvalidValue))
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>JournalEntry</TxnDelType><TxnID>`+textAt(je, "TxnID")+`</TxnID></TxnDelRq>`), strconv.Itoa(stCannotDelete))
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"120.00/120.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after deleting the payment, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
}

// Statement charges are open items of the customer's A/R like invoices:
// QuickBooks' A/R Aging Summary "summarizes the status of unpaid invoices
// and statement charges in accounts receivable" (QuickBooks Desktop 2012
// in-product help, "A/R aging summary report",
// http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Reports_Description_AR/rpt_ar_aging_summary.html).
// A credit card refund lowers the credit memo it refunds, so the aging
// still adds up to the balance.
func TestStatementChargesAreOpenItemsInTheReceivablesReports(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<ChargeAddRq><ChargeAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-03</TxnDate><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>2</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`)
	cm := kid(ok(t, f, `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-11</TxnDate>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity><Rate>100</Rate></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`), "CreditMemoRet")
	ok(t, f, `<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
		<TxnDate>2025-03-12</TxnDate><RefundAppliedToTxnAdd><TxnID>`+textAt(cm, "TxnID")+`</TxnID><RefundAmount>60.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`)
	// 300.00 charged, 100.00 credited, 60.00 of the credit refunded.
	if diff := cmp.Diff([]string{"260.00/260.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Fatalf("balance/total of Acme Corp (-want +got):\n%s", diff)
	}
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := aging.find(t, "Acme Corp")[7]; got != "260.00" {
		t.Errorf("A/R aging total of Acme Corp %s, want 260.00", got)
	}
	open := parseReport(t, ok(t, f, `<GeneralDetailReportQueryRq><GeneralDetailReportType>OpenInvoices</GeneralDetailReportType></GeneralDetailReportQueryRq>`))
	if got := open.find(t, "TOTAL")[8]; got != "260.00" {
		t.Errorf("open invoices TOTAL open balance %s, want 260.00", got)
	}
	var types []string
	for _, r := range open.rows {
		if r.kind == "DataRow" {
			types = append(types, r.cells[2])
		}
	}
	if diff := cmp.Diff([]string{"Statement Charge", "Credit Memo"}, types); diff != "" {
		t.Errorf("open invoices rows' types (-want +got):\n%s", diff)
	}
}

// A company file written before the simulator recorded journal entry
// lines' names gets them when it is opened.
func TestOpeningAnOlderFileLetsEntityFilterFindItsJournalEntries(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "25.00", "Acme Corp"), journalLine("Credit", "Services", "25.00", "")))
	g := reopenWithout(t, f, "journal_lines")
	rs := ok(t, g, `<JournalEntryQueryRq><EntityFilter><FullName>Acme Corp</FullName></EntityFilter></JournalEntryQueryRq>`)
	if n := len(kids(rs, "JournalEntryRet")); n != 1 {
		t.Errorf("after reopening, %d journal entries name Acme Corp, want 1", n)
	}
	if diff := cmp.Diff([]string{"25.00/25.00"}, balances(t, g, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after reopening, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
}
