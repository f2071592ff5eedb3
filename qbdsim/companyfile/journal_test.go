package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// How QuickBooks treats a journal entry line on A/R or A/P, as the
// simulator models it:
//
//   - A general journal entry to an A/R account must name a customer, one to
//     an A/P account a vendor; an entry debiting A/R acts like an invoice for
//     that customer and one crediting A/P like a bill from that vendor
//     (qbgarage.com, "restrictions on making General Journal Entries to
//     Accounts Receivable (A/R) and Accounts Payable (A/P) accounts",
//     https://www.qbgarage.com/tag/vendor/page/2/).
//   - The EntityRef of a JournalDebitLine or JournalCreditLine on an
//     accounts receivable account refers to a customer, on an accounts
//     payable account to a vendor (/n software's QuickBooks Integrator,
//     JournalLineEntityId, which wraps qbXML's JournalEntryAdd:
//     https://cdn.nsoftware.com/help/BBF/qt/JournalEntry_p_JournalLineEntityId.htm).
//   - QuickBooks Online answers error 6000 "When you use Accounts
//     Receivable, you must choose a customer in the Name field." to an A/R
//     line without a name; for QuickBooks Desktop's qbXML no status code for
//     that refusal is documented (Intuit's JournalEntryAdd reference,
//     https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/journalentryadd,
//     names none), so the simulator accepts such a line and moves no balance.

// journalEntryAdd builds a JournalEntryAddRq from its lines.
func journalEntryAdd(lines ...string) string {
	body := `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-03-01</TxnDate>`
	for _, l := range lines {
		body += l
	}
	return body + `</JournalEntryAdd></JournalEntryAddRq>`
}

// journalLine is a JournalDebitLine or JournalCreditLine (side "Debit" or
// "Credit") on an account, naming entity when it is not "".
func journalLine(side, account, amount, entity string) string {
	l := `<Journal` + side + `Line><AccountRef><FullName>` + account + `</FullName></AccountRef><Amount>` + amount + `</Amount>`
	if entity != "" {
		l += `<EntityRef><FullName>` + entity + `</FullName></EntityRef>`
	}
	return l + `</Journal` + side + `Line>`
}

// balances returns the Balance and TotalBalance of each named customer or
// vendor, as "Balance/TotalBalance".
func balances(tb testing.TB, f *File, typ string, names ...string) []string {
	tb.Helper()
	var out []string
	for _, n := range names {
		c := kid(ok(tb, f, `<`+typ+`QueryRq><FullName>`+n+`</FullName></`+typ+`QueryRq>`), typ+"Ret")
		b := textAt(c, "Balance")
		if typ == "Customer" {
			b += "/" + textAt(c, "TotalBalance")
		}
		out = append(out, b)
	}
	return out
}

func TestAJournalEntryLineOnReceivablesMovesTheCustomersBalance(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	// A debit to A/R naming the job raises what the job owes, and its
	// customer's total with it.
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "250.00", "Acme Corp:Roof"), journalLine("Credit", "Services", "250.00", "")))
	if diff := cmp.Diff([]string{"0.00/250.00", "250.00/250.00"}, balances(t, f, "Customer", "Acme Corp", "Acme Corp:Roof")); diff != "" {
		t.Errorf("after a debit to A/R, balance/total of Acme Corp and its job (-want +got):\n%s", diff)
	}
	// A credit to A/R naming the customer lowers what it owes. A line
	// naming the customer on another account, or an A/R line naming no
	// one, moves no customer's balance.
	ok(t, f, journalEntryAdd(journalLine("Credit", "Accounts Receivable", "100.00", "Acme Corp"), journalLine("Debit", "Services", "100.00", "Acme Corp")))
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "40.00", ""), journalLine("Credit", "Services", "40.00", "")))
	if diff := cmp.Diff([]string{"-100.00/150.00", "250.00/250.00"}, balances(t, f, "Customer", "Acme Corp", "Acme Corp:Roof")); diff != "" {
		t.Errorf("after a credit to A/R, balance/total of Acme Corp and its job (-want +got):\n%s", diff)
	}

	// The customers' reports count the lines as open items.
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	got := []string{aging.find(t, "Acme Corp")[7], aging.find(t, "Acme Corp:Roof")[7]}
	if diff := cmp.Diff([]string{"-100.00", "250.00"}, got); diff != "" {
		t.Errorf("A/R aging totals of Acme Corp and its job (-want +got):\n%s", diff)
	}
	open := parseReport(t, ok(t, f, `<GeneralDetailReportQueryRq><GeneralDetailReportType>OpenInvoices</GeneralDetailReportType></GeneralDetailReportQueryRq>`))
	if got := open.find(t, "TOTAL")[8]; got != "150.00" {
		t.Errorf("open invoices TOTAL open balance %s, want 150.00", got)
	}
	summary := parseReport(t, ok(t, f, summaryRq("CustomerBalanceSummary", "")))
	if got := summary.find(t, "TOTAL")[2]; got != "190.00" {
		t.Errorf("customer balance summary TOTAL %s, want 190.00 (150.00 named, 40.00 under no name)", got)
	}
}

func TestAJournalEntryLineOnPayablesMovesTheVendorsBalance(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	// A credit to A/P naming the vendor raises what the company owes it,
	// a debit lowers it.
	ok(t, f, journalEntryAdd(journalLine("Credit", "Accounts Payable", "300.00", "Paper Co"), journalLine("Debit", "Office Supplies", "300.00", "")))
	if diff := cmp.Diff([]string{"300.00"}, balances(t, f, "Vendor", "Paper Co")); diff != "" {
		t.Errorf("after a credit to A/P, balance of Paper Co (-want +got):\n%s", diff)
	}
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Payable", "50.00", "Paper Co"), journalLine("Credit", "Office Supplies", "50.00", "")))
	if diff := cmp.Diff([]string{"250.00"}, balances(t, f, "Vendor", "Paper Co")); diff != "" {
		t.Errorf("after a debit to A/P, balance of Paper Co (-want +got):\n%s", diff)
	}
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>APAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := aging.find(t, "Paper Co")[7]; got != "250.00" {
		t.Errorf("A/P aging total of Paper Co %s, want 250.00", got)
	}
	// A vendor's lines are not a customer's open items.
	ar := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := ar.find(t, "TOTAL")[7]; got != "0.00" {
		t.Errorf("A/R aging TOTAL %s, want 0.00", got)
	}
}

// journalLines returns the TxnLineIDs of a journal entry's lines.
func journalLines(je *qbxml.Node) []string {
	var out []string
	for _, l := range je.Children {
		if l.Name == "JournalDebitLine" || l.Name == "JournalCreditLine" {
			out = append(out, textAt(l, "TxnLineID"))
		}
	}
	return out
}

func TestModifyingAJournalEntryLineToNameAnotherCustomerMovesBothBalances(t *testing.T) {
	f, _ := newTestFile(t)
	for _, n := range []string{"Acme Corp", "Globex"} {
		ok(t, f, `<CustomerAddRq><CustomerAdd><Name>`+n+`</Name></CustomerAdd></CustomerAddRq>`)
	}
	je := kid(ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "80.00", "Acme Corp"), journalLine("Credit", "Services", "80.00", ""))), "JournalEntryRet")
	ids := journalLines(je)
	je = modOK(t, f, "JournalEntry", je, `<JournalLineMod><TxnLineID>`+ids[0]+`</TxnLineID><EntityRef><FullName>Globex</FullName></EntityRef></JournalLineMod>`+
		`<JournalLineMod><TxnLineID>`+ids[1]+`</TxnLineID></JournalLineMod>`)
	if diff := cmp.Diff([]string{"0.00/0.00", "80.00/80.00"}, balances(t, f, "Customer", "Acme Corp", "Globex")); diff != "" {
		t.Errorf("after moving the line to Globex, balance/total of Acme Corp and Globex (-want +got):\n%s", diff)
	}
	// A changed amount moves the balance by the difference.
	modOK(t, f, "JournalEntry", je, `<JournalLineMod><TxnLineID>`+ids[0]+`</TxnLineID><Amount>60.00</Amount></JournalLineMod>`+
		`<JournalLineMod><TxnLineID>`+ids[1]+`</TxnLineID><Amount>60.00</Amount></JournalLineMod>`)
	if diff := cmp.Diff([]string{"0.00/0.00", "60.00/60.00"}, balances(t, f, "Customer", "Acme Corp", "Globex")); diff != "" {
		t.Errorf("after changing the amount, balance/total of Acme Corp and Globex (-want +got):\n%s", diff)
	}
}

func TestDeletingOrVoidingAJournalEntryUndoesItsBalanceEffect(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	// One entry moves both a customer's and a vendor's balance.
	add := journalEntryAdd(journalLine("Debit", "Accounts Receivable", "70.00", "Acme Corp"), journalLine("Credit", "Accounts Payable", "70.00", "Paper Co"))
	deleted := kid(ok(t, f, add), "JournalEntryRet")
	voided := kid(ok(t, f, add), "JournalEntryRet")
	got := append(balances(t, f, "Customer", "Acme Corp"), balances(t, f, "Vendor", "Paper Co")...)
	if diff := cmp.Diff([]string{"140.00/140.00", "140.00"}, got); diff != "" {
		t.Errorf("after two entries, balances of Acme Corp and Paper Co (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>JournalEntry</TxnDelType><TxnID>`+textAt(deleted, "TxnID")+`</TxnID></TxnDelRq>`)
	ok(t, f, `<TxnVoidRq><TxnVoidType>JournalEntry</TxnVoidType><TxnID>`+textAt(voided, "TxnID")+`</TxnID></TxnVoidRq>`)
	got = append(balances(t, f, "Customer", "Acme Corp"), balances(t, f, "Vendor", "Paper Co")...)
	if diff := cmp.Diff([]string{"0.00/0.00", "0.00"}, got); diff != "" {
		t.Errorf("after deleting one entry and voiding the other, balances of Acme Corp and Paper Co (-want +got):\n%s", diff)
	}
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := aging.find(t, "TOTAL")[7]; got != "0.00" {
		t.Errorf("A/R aging TOTAL %s, want 0.00", got)
	}
}

// Merging a customer into another carries its journal entry lines, and
// what they add to its balance, to the one it is merged into.
func TestMergingACustomerCarriesItsJournalEntryBalance(t *testing.T) {
	f, _ := newTestFile(t)
	var from *qbxml.Node
	for _, n := range []string{"Acme Corp", "Acme Corporation"} {
		from = kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>`+n+`</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	}
	to := kid(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet")
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "30.00", "Acme Corporation"), journalLine("Credit", "Services", "30.00", "")))
	ok(t, f, `<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom><ListID>`+textAt(from, "ListID")+`</ListID><EditSequence>`+textAt(from, "EditSequence")+
		`</EditSequence></MergeFrom><MergeTo><ListID>`+textAt(to, "ListID")+`</ListID><EditSequence>`+textAt(to, "EditSequence")+`</EditSequence></MergeTo></ListMergeRq>`)
	if diff := cmp.Diff([]string{"30.00/30.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after the merge, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
	// The entry's line now names Acme Corp, and the entity filter finds it.
	rs := ok(t, f, `<JournalEntryQueryRq><EntityFilter><FullName>Acme Corp</FullName></EntityFilter></JournalEntryQueryRq>`)
	if n := len(kids(rs, "JournalEntryRet")); n != 1 {
		t.Errorf("after the merge, %d journal entries name Acme Corp, want 1", n)
	}
}

// A company file written before journal entry lines moved balances gets
// their effects when it is opened.
func TestOpeningAnOlderFileCountsItsJournalEntriesInBalances(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "25.00", "Acme Corp"), journalLine("Credit", "Services", "25.00", "")))
	g := reopenWithout(t, f, "journal_lines")
	// The next change to the balance starts from the entry's 25.00.
	ok(t, g, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "5.00", "Acme Corp"), journalLine("Credit", "Services", "5.00", "")))
	if diff := cmp.Diff([]string{"30.00/30.00"}, balances(t, g, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after reopening, balance/total of Acme Corp (-want +got):\n%s", diff)
	}
}

// A customer's TotalBalance is its balance plus its sub-customers' (jobs'),
// as QuickBooks Desktop reports it (Method CRM's help, "What is the
// difference between Balance and Total Balance in the Customer table",
// https://help.method.me/en/articles/6407554), also in the Ret a
// CustomerMod answers with.
func TestModifyingACustomerKeepsItsJobsInItsTotalBalance(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "10.00", "Acme Corp:Roof"), journalLine("Credit", "Services", "10.00", "")))
	parent := kid(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet")
	mod := modOK(t, f, "Customer", parent, `<Phone>555-0100</Phone>`)
	if got := []string{textAt(mod, "Balance"), textAt(mod, "TotalBalance")}; !cmp.Equal(got, []string{"0.00", "10.00"}) {
		t.Errorf("modified Acme Corp: balance, total %v, want [0.00 10.00]", got)
	}
}
