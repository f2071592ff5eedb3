package companyfile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Sources for the credits that payments apply (credit.go):
//
//   - Intuit's ReceivePaymentAdd reference: a receive payment records a
//     customer's payment, sets a discount, or "sets a credit (from
//     previously returned merchandise, for example)"
//     (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/receivepaymentadd).
//   - Intuit's tutorial "Requests for receive payments, bill payments and
//     deposits": ReceivePayment, BillPaymentCheckAdd and
//     BillPaymentCreditCardAdd can apply credits, to several transactions,
//     and one message can combine payments, credits and discounts; setting
//     a credit (using one) differs from creating one
//     (https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/requests-for-receive-payments-bill-payments-and-deposits).
//   - Intuit's SetCredit reference, as LetSync reproduces it: CreditTxnID
//     is "the ID of the credit memo" applied to the invoice or bill, and
//     setting a credit "creates links between existing transactions (for
//     example, between a credit memo transaction and an invoice
//     transaction)", which a BillQuery with IncludeLinkedTxns returns
//     (https://www.letsyncsolution.com/docs/setcredit/).
//   - Intuit's help "Remove or unapply a credit from an invoice or bill":
//     unapplying the credit restores the invoice's balance, and the credit
//     is unapplied through the receive payment that applied it
//     (https://quickbooks.intuit.com/learn-support/en-ca/help-article/journal-posting/remove-unapply-credit-invoice-bill/L0BVuuwGG_CA_en_CA).
//   - qbXML 13.0 (../shared/reference/qbxml): SetCredit{CreditTxnID,
//     TxnLineID?, AppliedAmount, Override?} in AppliedToTxnAdd and
//     AppliedToTxnMod (ReceivePaymentMod and BillPaymentCheckMod; there is
//     no BillPaymentCreditCardMod); LinkedTxn* last in AppliedToTxnRet;
//     CreditMemoRet's CreditRemaining, VendorCreditRet's OpenAmount.
//
// Not established, and the simulator's choice: the same tutorial says a
// credit-only ReceivePayment may create no payment and answer a "thin"
// response; the simulator keeps a payment of 0.00 that holds the credit's
// application, so that deleting or voiding it unapplies the credit, as the
// help article unapplies it through its receive payment. The sign of
// LinkedTxn's Amount on the credit's side (positive here), the refusals'
// messages, and the refusal of an applied credit's void (3170, as for a
// paid bill) are not documented either; its deletion answers 3160, the code
// QuBe Sync names "cannot_delete" for TxnDel (QUBESYNC-CODES in
// statuscodes_test.go).

// creditMemoAdd credits Acme Corp amount of consulting.
func creditMemoAdd(ref, amount string) string {
	return `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-02</TxnDate><RefNumber>` + ref + `</RefNumber>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>` + amount + `</Amount></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`
}

// setCredit is a SetCredit applying amount of the credit creditID.
func setCredit(creditID, amount string) string {
	return `<SetCredit><CreditTxnID>` + creditID + `</CreditTxnID><AppliedAmount>` + amount + `</AppliedAmount></SetCredit>`
}

// paymentWithCredits pays amount of the invoice invID and applies credits
// (SetCredit elements) to it.
func paymentWithCredits(ref, amount, invID string, credits ...string) string {
	body := `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate><RefNumber>` + ref + `</RefNumber>
		<TotalAmount>` + amount + `</TotalAmount><AppliedToTxnAdd><TxnID>` + invID + `</TxnID><PaymentAmount>` + amount + `</PaymentAmount>`
	for _, c := range credits {
		body += c
	}
	return body + `</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`
}

// receivables returns what Acme Corp owes as its Balance, the A/R aging
// summary, the open invoices report and the balance sheet's Accounts
// Receivable show it, which must agree.
func receivables(tb testing.TB, f *File) []string {
	tb.Helper()
	aging := parseReport(tb, ok(tb, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	open := parseReport(tb, ok(tb, f, `<GeneralDetailReportQueryRq><GeneralDetailReportType>OpenInvoices</GeneralDetailReportType></GeneralDetailReportQueryRq>`))
	bs := parseReport(tb, ok(tb, f, summaryRq("BalanceSheetStandard", period("2025-01-01", "2025-12-31"))))
	balance, _, _ := strings.Cut(balances(tb, f, "Customer", "Acme Corp")[0], "/")
	return []string{balance, orDefault(aging.cell("Acme Corp", 7), "0.00"), orDefault(open.cell("TOTAL", 8), "0.00"),
		orDefault(bs.cell("Total Accounts Receivable", 2), "0.00")}
}

// linkedOf queries a transaction with IncludeLinkedTxns and returns its
// LinkedTxn elements as linked does.
func linkedOf(tb testing.TB, f *File, typ, id string) []string {
	tb.Helper()
	return linked(kid(ok(tb, f, `<`+typ+`QueryRq><TxnID>`+id+`</TxnID><IncludeLinkedTxns>true</IncludeLinkedTxns></`+typ+`QueryRq>`), typ+"Ret"))
}

// A payment that applies part of a credit memo to an invoice lowers the
// invoice's balance by the payment and the credit, and the credit memo's
// CreditRemaining by the credit; the customer's balance moves by the
// payment only, since the credit memo lowered it when it was entered, and
// the receivables reports agree with it. The payment reports the credit
// as a LinkedTxn of its AppliedToTxnRet, and the invoice and the credit
// memo link each other. Sources: the comment at the top of this file.
func TestAPaymentAppliesACreditMemoToAnInvoice(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet") // 664.50
	invID := textAt(inv, "TxnID")
	cm := kid(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet")
	cmID := textAt(cm, "TxnID")
	if diff := cmp.Diff([]string{"564.50", "564.50", "564.50", "564.50"}, receivables(t, f)); diff != "" {
		t.Fatalf("before the payment, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}

	pay := kid(ok(t, f, paymentWithCredits("R-1", "500.00", invID, setCredit(cmID, "60.00"))), "ReceivePaymentRet")
	a := kid(pay, "AppliedToTxnRet")
	got := texts(pay, "TotalAmount", "UnusedPayment", "AppliedToTxnRet/Amount", "AppliedToTxnRet/BalanceRemaining")
	if diff := cmp.Diff([]string{"500.00", "0.00", "500.00", "664.50"}, got); diff != "" {
		t.Errorf("payment's total, unused payment, applied amount and balance before it (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -60.00"}, linked(a)); diff != "" {
		t.Errorf("the credit in the payment's AppliedToTxnRet (-want +got):\n%s", diff)
	}
	if l := kid(a, "LinkedTxn"); textAt(l, "TxnID") != cmID || textAt(l, "TxnDate") != "2025-03-02" {
		t.Errorf("the credit's LinkedTxn: %s", marshalNode(l))
	}

	inv = kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	if diff := cmp.Diff([]string{"-560.00", "104.50", "false"}, texts(inv, "AppliedAmount", "BalanceRemaining", "IsPaid")); diff != "" {
		t.Errorf("invoice's applied amount, balance and IsPaid (-want +got):\n%s", diff)
	}
	cm = kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet")
	if diff := cmp.Diff([]string{"100.00", "40.00"}, texts(cm, "TotalAmount", "CreditRemaining")); diff != "" {
		t.Errorf("credit memo's total and credit remaining (-want +got):\n%s", diff)
	}
	// 664.50 - 100.00 credited - 500.00 paid: 104.50 open on the invoice,
	// 40.00 left of the credit.
	if diff := cmp.Diff([]string{"64.50", "64.50", "64.50", "64.50"}, receivables(t, f)); diff != "" {
		t.Errorf("after the payment, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -60.00", "ReceivePayment R-1 AMTTYPE -500.00"}, linkedOf(t, f, "Invoice", invID)); diff != "" {
		t.Errorf("invoice's LinkedTxn (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Invoice 1 AMTTYPE 60.00"}, linkedOf(t, f, "CreditMemo", cmID)); diff != "" {
		t.Errorf("credit memo's LinkedTxn (-want +got):\n%s", diff)
	}

	// The rest of the credit and a payment of the rest pay the invoice,
	// in a payment of 64.50 that applies the credit too.
	ok(t, f, paymentWithCredits("R-2", "64.50", invID, setCredit(cmID, "40.00")))
	inv = kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	if diff := cmp.Diff([]string{"0.00", "true"}, texts(inv, "BalanceRemaining", "IsPaid")); diff != "" {
		t.Errorf("invoice paid in full: balance and IsPaid (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Invoice 1 AMTTYPE 100.00"}, linkedOf(t, f, "CreditMemo", cmID)); diff != "" {
		t.Errorf("credit memo's LinkedTxn once used up (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0.00", "0.00", "0.00", "0.00"}, receivables(t, f)); diff != "" {
		t.Errorf("after the invoice is paid, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}

	// Deleting the first payment gives back its 500.00 and its 60.00 of
	// credit.
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	inv = kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	cm = kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet")
	if diff := cmp.Diff([]string{"560.00", "60.00"}, []string{textAt(inv, "BalanceRemaining"), textAt(cm, "CreditRemaining")}); diff != "" {
		t.Errorf("after deleting the first payment, invoice balance and credit remaining (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"500.00", "500.00", "500.00", "500.00"}, receivables(t, f)); diff != "" {
		t.Errorf("after deleting the first payment, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -40.00", "ReceivePayment R-2 AMTTYPE -64.50"}, linkedOf(t, f, "Invoice", invID)); diff != "" {
		t.Errorf("invoice's LinkedTxn after deleting the first payment (-want +got):\n%s", diff)
	}
}

// What cannot be applied is refused, and nothing of it is kept: more of a
// credit than is left, or more than the invoice's open balance (3210, the
// status of an over-paid invoice); a credit memo of another customer, or a
// credit of the wrong kind (3140, the status of any invalid reference);
// a credit applied to a journal entry (3210: unverified, no source found
// says whether QuickBooks applies a credit memo to a journal entry's
// receivable). An applied credit memo can be neither deleted (3160,
// QUBESYNC-CODES in statuscodes_test.go) nor voided (3170, unverified);
// once the payment is deleted, it can. (qbXML voids
// no ReceivePayment: TxnVoidType does not list it.) The invoice it is
// applied to could go, the credit going back to the credit memo
// (TestVoidingOrDeletingAPaidInvoiceLeavesItsPaymentsTheirMoney).
func TestAppliedCreditsAreRefusedBeyondWhatIsLeftAndProtected(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	invID := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID") // 664.50
	cmID := textAt(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet/TxnID")
	big := textAt(ok(t, f, creditMemoAdd("CM-2", "700.00")), "CreditMemoRet/TxnID")
	other := textAt(ok(t, f, `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Globex</FullName></CustomerRef>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>50.00</Amount></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`), "CreditMemoRet/TxnID")
	vc := textAt(ok(t, f, `<VendorCreditAddRq><VendorCreditAdd><VendorRef><FullName>Paper Co</FullName></VendorRef>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>20.00</Amount></ExpenseLineAdd></VendorCreditAdd></VendorCreditAddRq>`), "VendorCreditRet/TxnID")
	je := textAt(ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "30.00", "Acme Corp"), journalLine("Credit", "Services", "30.00", ""))), "JournalEntryRet/TxnID")

	for _, c := range []struct {
		name, rq, status string
	}{
		{"more of the credit than is left", paymentWithCredits("R-1", "10.00", invID, setCredit(cmID, "100.01")), strconv.Itoa(stInvalidValue)},
		{"one credit twice, more than is left", paymentWithCredits("R-1", "10.00", invID, setCredit(cmID, "60.00"), setCredit(cmID, "60.00")), strconv.Itoa(stInvalidValue)},
		{"more than the invoice's balance", paymentWithCredits("R-1", "10.00", invID, setCredit(big, "655.00")), strconv.Itoa(stInvalidValue)},
		{"a zero credit", paymentWithCredits("R-1", "10.00", invID, setCredit(cmID, "0.00")), strconv.Itoa(stInvalidValue)},
		{"another customer's credit", paymentWithCredits("R-1", "10.00", invID, setCredit(other, "10.00")), strconv.Itoa(stInvalidRef)},
		{"a vendor credit", paymentWithCredits("R-1", "10.00", invID, setCredit(vc, "10.00")), strconv.Itoa(stInvalidRef)},
		{"an invoice as the credit", paymentWithCredits("R-1", "10.00", invID, setCredit(invID, "10.00")), strconv.Itoa(stInvalidRef)},
		{"a credit to a journal entry", paymentWithCredits("R-1", "10.00", je, setCredit(cmID, "10.00")), strconv.Itoa(stInvalidValue)},
	} {
		wantStatus(t, one(t, f, c.rq), c.status)
		if diff := cmp.Diff([]string{"664.50", "100.00", "700.00"}, []string{
			textAt(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet/BalanceRemaining"),
			textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"),
			textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+big+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"),
		}); diff != "" {
			t.Errorf("%s: invoice balance and credits remaining after the refusal (-want +got):\n%s", c.name, diff)
		}
	}

	// Credits alone pay an invoice: the payment applies no money.
	pay := kid(ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate>
		<AppliedToTxnAdd><TxnID>`+invID+`</TxnID>`+setCredit(cmID, "100.00")+setCredit(big, "564.50")+`</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"0.00", "0.00"}, texts(pay, "TotalAmount", "AppliedToTxnRet/Amount")); diff != "" {
		t.Errorf("a credit-only payment's total and applied amount (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -100.00", "CreditMemo CM-2 AMTTYPE -564.50"}, linkedOf(t, f, "Invoice", invID)); diff != "" {
		t.Errorf("invoice paid by credits alone: LinkedTxn (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>`+cmID+`</TxnID></TxnDelRq>`), strconv.Itoa(stCannotDelete))
	wantStatus(t, one(t, f, `<TxnVoidRq><TxnVoidType>CreditMemo</TxnVoidType><TxnID>`+cmID+`</TxnID></TxnVoidRq>`), strconv.Itoa(stCannotModify))
	// A credit memo cannot fall below what is applied of it.
	cm := kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+big+`</TxnID><IncludeLineItems>true</IncludeLineItems></CreditMemoQueryRq>`), "CreditMemoRet")
	line := `<CreditMemoLineMod><TxnLineID>` + textAt(cm, "CreditMemoLineRet/TxnLineID") + `</TxnLineID><Amount>%s</Amount></CreditMemoLineMod>`
	wantStatus(t, one(t, f, modRq("CreditMemo", cm, fmt.Sprintf(line, "500.00"))), strconv.Itoa(stInvalidValue))
	cm = modOK(t, f, "CreditMemo", cm, fmt.Sprintf(line, "600.00"))
	if got := textAt(cm, "CreditRemaining"); got != "35.50" {
		t.Errorf("credit memo lowered to 600.00 with 564.50 applied: CreditRemaining %s, want 35.50", got)
	}

	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	if got := linkedOf(t, f, "Invoice", invID); got != nil {
		t.Errorf("after deleting the payment, the invoice's LinkedTxn: %v", got)
	}
	ok(t, f, `<TxnVoidRq><TxnVoidType>CreditMemo</TxnVoidType><TxnID>`+cmID+`</TxnID></TxnVoidRq>`)
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+invID+`</TxnID></TxnDelRq>`)
	// Acme Corp is left with the 600.00 credit memo and the journal
	// entry's 30.00; the company's totals hold Globex's 50.00 credit too.
	if diff := cmp.Diff([]string{"-570.00", "-570.00", "-620.00", "-620.00"}, receivables(t, f)); diff != "" {
		t.Errorf("left with the 600.00 credit memo: balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
}

// A ReceivePaymentMod's AppliedToTxnMod replaces what the payment applied,
// credits included: a credit it leaves out or lowers is given back, and
// one it raises is taken, no more than is left. A Mod without
// AppliedToTxnMod keeps the stored application and its credits.
func TestModifyingAPaymentChangesTheCreditsItApplies(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	invID := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID") // 664.50
	cmID := textAt(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet/TxnID")
	pay := kid(ok(t, f, paymentWithCredits("R-1", "200.00", invID, setCredit(cmID, "60.00"))), "ReceivePaymentRet")
	state := func() []string {
		t.Helper()
		return []string{
			textAt(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet/BalanceRemaining"),
			textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"),
			balances(t, f, "Customer", "Acme Corp")[0],
		}
	}
	if diff := cmp.Diff([]string{"404.50", "40.00", "364.50/364.50"}, state()); diff != "" {
		t.Fatalf("after the payment, invoice balance, credit remaining, customer balance (-want +got):\n%s", diff)
	}
	pay = modOK(t, f, "ReceivePayment", pay, `<Memo>March</Memo>`)
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -60.00"}, linked(kid(pay, "AppliedToTxnRet"))); diff != "" {
		t.Errorf("a Mod without AppliedToTxnMod: the credit it keeps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"404.50", "40.00", "364.50/364.50"}, state()); diff != "" {
		t.Errorf("after changing the memo, invoice balance, credit remaining, customer balance (-want +got):\n%s", diff)
	}
	applied := func(credit string) string {
		return `<AppliedToTxnMod><TxnID>` + invID + `</TxnID><PaymentAmount>200.00</PaymentAmount>` + credit + `</AppliedToTxnMod>`
	}
	wantStatus(t, one(t, f, modRq("ReceivePayment", pay, applied(setCredit(cmID, "100.01")))), strconv.Itoa(stInvalidValue))
	pay = modOK(t, f, "ReceivePayment", pay, applied(setCredit(cmID, "100.00")))
	if diff := cmp.Diff([]string{"364.50", "0.00", "364.50/364.50"}, state()); diff != "" {
		t.Errorf("with all the credit applied, invoice balance, credit remaining, customer balance (-want +got):\n%s", diff)
	}
	modOK(t, f, "ReceivePayment", pay, applied(""))
	if diff := cmp.Diff([]string{"464.50", "100.00", "364.50/364.50"}, state()); diff != "" {
		t.Errorf("with the credit left out, invoice balance, credit remaining, customer balance (-want +got):\n%s", diff)
	}
	if got := linkedOf(t, f, "CreditMemo", cmID); got != nil {
		t.Errorf("the credit memo left out still links: %v", got)
	}
}

// A bill payment, by check or by credit card, applies a vendor credit to a
// bill as a customer payment applies a credit memo: the bill's OpenAmount
// and the vendor credit's OpenAmount fall by the credit, the vendor's
// balance and the payables reports move by the payment only, and the bill
// and the vendor credit link each other. A BillPaymentCheckMod can change
// the credit; voiding the payment gives it back. Applying the credit posts
// nothing: the accounts' balances are those of the payment alone. Sources:
// the comment at the top of this file.
func TestABillPaymentAppliesAVendorCreditToABill(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Ink Ltd</Name></VendorAdd></VendorAddRq>`)
	bill := func(ref, amount string) string {
		return textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><RefNumber>`+ref+`</RefNumber>
			<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>`+amount+`</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	}
	vendorCredit := func(vendor, ref, amount string) string {
		return textAt(ok(t, f, `<VendorCreditAddRq><VendorCreditAdd><VendorRef><FullName>`+vendor+`</FullName></VendorRef><TxnDate>2025-02-03</TxnDate><RefNumber>`+ref+`</RefNumber>
			<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>`+amount+`</Amount></ExpenseLineAdd></VendorCreditAdd></VendorCreditAddRq>`), "VendorCreditRet/TxnID")
	}
	b1, b2 := bill("B-1", "200.00"), bill("B-2", "80.00")
	vc := vendorCredit("Paper Co", "VC-1", "50.00")
	accounts := func() []string {
		t.Helper()
		var out []string
		for _, name := range []string{"Accounts Payable", "Checking", "Credit Card", "Office Supplies"} {
			out = append(out, textAt(ok(t, f, `<AccountQueryRq><FullName>`+name+`</FullName></AccountQueryRq>`), "AccountRet/Balance"))
		}
		return out
	}
	if diff := cmp.Diff([]string{"230.00", "230.00", "230.00", "230.00"}, payables(t, f)); diff != "" {
		t.Fatalf("before the payments, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
	before := accounts()

	checkRq := func(billID, amount, credits string) string {
		return `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-02-10</TxnDate>
			<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber>
			<AppliedToTxnAdd><TxnID>` + billID + `</TxnID><PaymentAmount>` + amount + `</PaymentAmount>` + credits + `</AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`
	}
	// Another vendor's credit is not Paper Co's to apply.
	inkCredit := vendorCredit("Ink Ltd", "VC-9", "10.00")
	wantStatus(t, one(t, f, checkRq(b1, "100.00", setCredit(inkCredit, "10.00"))), strconv.Itoa(stInvalidRef))
	ok(t, f, `<TxnDelRq><TxnDelType>VendorCredit</TxnDelType><TxnID>`+inkCredit+`</TxnID></TxnDelRq>`)
	wantStatus(t, one(t, f, checkRq(b1, "100.00", setCredit(vc, "50.01"))), strconv.Itoa(stInvalidValue))
	check := kid(ok(t, f, checkRq(b1, "100.00", setCredit(vc, "30.00"))), "BillPaymentCheckRet")
	if diff := cmp.Diff([]string{"100.00", "VendorCredit VC-1 AMTTYPE -30.00"}, append([]string{textAt(check, "Amount")}, linked(kid(check, "AppliedToTxnRet"))...)); diff != "" {
		t.Errorf("the check's amount and the credit it applies (-want +got):\n%s", diff)
	}
	// Credits alone, by credit card: the card pays nothing.
	card := kid(ok(t, f, `<BillPaymentCreditCardAddRq><BillPaymentCreditCardAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-02-11</TxnDate>
		<CreditCardAccountRef><FullName>Credit Card</FullName></CreditCardAccountRef><RefNumber>CC-7</RefNumber>
		<AppliedToTxnAdd><TxnID>`+b2+`</TxnID>`+setCredit(vc, "20.00")+`</AppliedToTxnAdd></BillPaymentCreditCardAdd></BillPaymentCreditCardAddRq>`), "BillPaymentCreditCardRet")
	if got := textAt(card, "Amount"); got != "0.00" {
		t.Errorf("a credit-only card payment's amount %s, want 0.00", got)
	}

	query := func(typ, id string, fields ...string) []string {
		t.Helper()
		return texts(kid(ok(t, f, `<`+typ+`QueryRq><TxnID>`+id+`</TxnID></`+typ+`QueryRq>`), typ+"Ret"), fields...)
	}
	if diff := cmp.Diff([]string{"70.00", "false", "60.00", "false", "0.00"}, append(append(query("Bill", b1, "OpenAmount", "IsPaid"), query("Bill", b2, "OpenAmount", "IsPaid")...), query("VendorCredit", vc, "OpenAmount")...)); diff != "" {
		t.Errorf("bills' open amounts and IsPaid, vendor credit's open amount (-want +got):\n%s", diff)
	}
	// 280.00 billed, 50.00 credited, 100.00 paid.
	if diff := cmp.Diff([]string{"130.00", "130.00", "130.00", "130.00"}, payables(t, f)); diff != "" {
		t.Errorf("after the payments, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"VendorCredit VC-1 AMTTYPE -30.00", "BillPaymentCheck 1001 AMTTYPE -100.00"}, linkedOf(t, f, "Bill", b1)); diff != "" {
		t.Errorf("first bill's LinkedTxn (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"VendorCredit VC-1 AMTTYPE -20.00"}, linkedOf(t, f, "Bill", b2)); diff != "" {
		t.Errorf("second bill's LinkedTxn, paid by the credit alone (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bill B-1 AMTTYPE 30.00", "Bill B-2 AMTTYPE 20.00"}, linkedOf(t, f, "VendorCredit", vc)); diff != "" {
		t.Errorf("vendor credit's LinkedTxn (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>VendorCredit</TxnDelType><TxnID>`+vc+`</TxnID></TxnDelRq>`), strconv.Itoa(stCannotDelete))
	wantStatus(t, one(t, f, `<TxnVoidRq><TxnVoidType>VendorCredit</TxnVoidType><TxnID>`+vc+`</TxnID></TxnVoidRq>`), strconv.Itoa(stCannotModify))

	// A/P and the expense account are as the bills and the vendor credit
	// left them; the check and the card moved 100.00 and nothing.
	want := []string{sub(before[0], "100.00"), sub(before[1], "100.00"), before[2], before[3]}
	if diff := cmp.Diff(want, accounts()); diff != "" {
		t.Errorf("balances of A/P, Checking, Credit Card, Office Supplies (-want +got):\n%s", diff)
	}

	check = modOK(t, f, "BillPaymentCheck", check, `<AppliedToTxnMod><TxnID>`+b1+`</TxnID><PaymentAmount>100.00</PaymentAmount>`+setCredit(vc, "10.00")+`</AppliedToTxnMod>`)
	if diff := cmp.Diff([]string{"90.00", "20.00"}, append(query("Bill", b1, "OpenAmount"), query("VendorCredit", vc, "OpenAmount")...)); diff != "" {
		t.Errorf("after lowering the check's credit to 10.00, bill and vendor credit open amounts (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnVoidRq><TxnVoidType>BillPaymentCheck</TxnVoidType><TxnID>`+textAt(check, "TxnID")+`</TxnID></TxnVoidRq>`)
	ok(t, f, `<TxnDelRq><TxnDelType>BillPaymentCreditCard</TxnDelType><TxnID>`+textAt(card, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"200.00", "80.00", "50.00"}, append(append(query("Bill", b1, "OpenAmount"), query("Bill", b2, "OpenAmount")...), query("VendorCredit", vc, "OpenAmount")...)); diff != "" {
		t.Errorf("after voiding and deleting the payments, bills' and vendor credit's open amounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"230.00", "230.00", "230.00", "230.00"}, payables(t, f)); diff != "" {
		t.Errorf("after voiding and deleting the payments, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>VendorCredit</TxnDelType><TxnID>`+vc+`</TxnID></TxnDelRq>`)
}

// A company file written before the simulator recorded the links of
// credits gets them, from its payments, when it is opened.
func TestOpeningAnOlderFileRebuildsTheLinksOfCredits(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	invID := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID")
	cmID := textAt(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet/TxnID")
	ok(t, f, paymentWithCredits("R-1", "10.00", invID, setCredit(cmID, "25.00")))
	g := reopenWithout(t, f, "credit_links")
	if diff := cmp.Diff([]string{"Invoice 1 AMTTYPE 25.00"}, linkedOf(t, g, "CreditMemo", cmID)); diff != "" {
		t.Errorf("the credit memo's LinkedTxn after reopening (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, g, `<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>`+cmID+`</TxnID></TxnDelRq>`), strconv.Itoa(stCannotDelete))
}

// sub is a - b, both amounts.
func sub(a, b string) string { return formatCents(mustCents(a) - mustCents(b)) }

// invoiceWithCredits is invoiceAdd (664.50 to Acme Corp) applying credits
// (SetCredit elements), which come before the lines in InvoiceAdd.
func invoiceWithCredits(credits ...string) string {
	return strings.Replace(invoiceAdd, `<InvoiceLineAdd>`, strings.Join(credits, "")+`<InvoiceLineAdd>`, 1)
}

// An invoice applies credit memos itself with InvoiceAdd's SetCredit: the
// credit lowers the invoice's BalanceRemaining (its AppliedAmount counts
// it) and the credit memo's CreditRemaining, moves no balance, and the
// two link each other, as when a payment applies the credit; the response
// reports the lower balance, not the links. An InvoiceMod's SetCredit
// applies more credit and keeps what was applied, since once applied a
// credit is unapplied only by removing what applied it; deleting or
// voiding the invoice gives its credits back. Sources: Conductor's
// QuickBooks Desktop API, generated from Intuit's descriptions: InvoiceAdd
// and InvoiceMod's SetCredit are "credit memos to apply to this invoice,
// reducing its balance", which link the invoice and the credit memos,
// links that the response does not return and IncludeLinkedTxns does
// (conductor-is/quickbooks-desktop-python,
// src/conductor/types/qbd/invoice_create_params.py); Intuit's tutorial
// (the comment at the top of this file): an applied credit cannot be
// modified, only unapplied by deleting the transaction. Not established:
// that InvoiceMod's SetCredit adds to what was applied rather than
// replacing it (the simulator's reading of the tutorial), and that
// deleting or voiding the invoice gives the credit back rather than being
// refused.
func TestAnInvoiceAppliesCreditMemosWithSetCredit(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	cm1 := textAt(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet/TxnID")
	cm2 := textAt(ok(t, f, creditMemoAdd("CM-2", "50.00")), "CreditMemoRet/TxnID")
	remaining := func() []string {
		t.Helper()
		var out []string
		for _, id := range []string{cm1, cm2} {
			out = append(out, textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+id+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"))
		}
		return out
	}

	inv := kid(ok(t, f, invoiceWithCredits(setCredit(cm1, "60.00"))), "InvoiceRet")
	invID := textAt(inv, "TxnID")
	if diff := cmp.Diff([]string{"-60.00", "604.50", "false"}, texts(inv, "AppliedAmount", "BalanceRemaining", "IsPaid")); diff != "" {
		t.Errorf("invoice's applied amount, balance and IsPaid (-want +got):\n%s", diff)
	}
	if got := kid(inv, "LinkedTxn"); got != nil {
		t.Errorf("the InvoiceAdd response reports a link: %s", marshalNode(got))
	}
	if diff := cmp.Diff([]string{"40.00", "50.00"}, remaining()); diff != "" {
		t.Errorf("credits remaining (-want +got):\n%s", diff)
	}
	// 664.50 invoiced, 150.00 credited: the credit moved nothing.
	if diff := cmp.Diff([]string{"514.50", "514.50", "514.50", "514.50"}, receivables(t, f)); diff != "" {
		t.Errorf("balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -60.00"}, linkedOf(t, f, "Invoice", invID)); diff != "" {
		t.Errorf("invoice's LinkedTxn (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Invoice 1 AMTTYPE 60.00"}, linkedOf(t, f, "CreditMemo", cm1)); diff != "" {
		t.Errorf("credit memo's LinkedTxn (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>`+cm1+`</TxnID></TxnDelRq>`), strconv.Itoa(stCannotDelete))

	// More of a credit than is left, more than the invoice has open,
	// another customer's credit: refused, nothing kept.
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>`)
	other := textAt(ok(t, f, `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Globex</FullName></CustomerRef>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>50.00</Amount></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`), "CreditMemoRet/TxnID")
	big := textAt(ok(t, f, creditMemoAdd("CM-3", "700.00")), "CreditMemoRet/TxnID")
	for _, c := range []struct {
		name, credit string
		status       int
	}{
		{"more than is left", setCredit(cm1, "40.01"), stInvalidValue},
		{"more than is open", setCredit(big, "604.51"), stInvalidValue},
		{"another customer's credit", setCredit(other, "10.00"), stInvalidRef},
	} {
		wantStatus(t, one(t, f, modRq("Invoice", inv, c.credit)), strconv.Itoa(c.status))
		if diff := cmp.Diff([]string{"40.00", "50.00"}, remaining()); diff != "" {
			t.Errorf("%s: credits remaining after the refusal (-want +got):\n%s", c.name, diff)
		}
	}
	wantStatus(t, one(t, f, invoiceWithCredits(setCredit(cm1, "40.01"))), strconv.Itoa(stInvalidValue))
	if diff := cmp.Diff([]string{"40.00", "50.00"}, remaining()); diff != "" {
		t.Errorf("after a refused InvoiceAdd, credits remaining (-want +got):\n%s", diff)
	}

	// An InvoiceMod applies the rest of CM-1 and all of CM-2 and keeps
	// the 60.00 applied before; a Mod without SetCredit keeps them all.
	inv = modOK(t, f, "Invoice", inv, setCredit(cm1, "40.00")+setCredit(cm2, "50.00"))
	inv = modOK(t, f, "Invoice", inv, `<Memo>credited</Memo>`)
	if diff := cmp.Diff([]string{"-150.00", "514.50"}, texts(inv, "AppliedAmount", "BalanceRemaining")); diff != "" {
		t.Errorf("after the InvoiceMod, invoice's applied amount and balance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0.00", "0.00"}, remaining()); diff != "" {
		t.Errorf("after the InvoiceMod, credits remaining (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreditMemo CM-1 AMTTYPE -100.00", "CreditMemo CM-2 AMTTYPE -50.00"}, linkedOf(t, f, "Invoice", invID)); diff != "" {
		t.Errorf("after the InvoiceMod, invoice's LinkedTxn (-want +got):\n%s", diff)
	}
	// Still 664.50 less 150.00, and now CM-3's 700.00 (Globex's 50.00 of
	// credit counts in the company's totals).
	if diff := cmp.Diff([]string{"-185.50", "-185.50", "-235.50", "-235.50"}, receivables(t, f)); diff != "" {
		t.Errorf("after the InvoiceMod, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	// The credits stay with their customer: the invoice cannot change
	// customer.
	wantStatus(t, one(t, f, modRq("Invoice", inv, `<CustomerRef><FullName>Globex</FullName></CustomerRef>`)), strconv.Itoa(stInvalidValue))
	// The invoice's lines cannot fall below what is applied to it.
	line := `<InvoiceLineMod><TxnLineID>` + textAt(kids(inv, "InvoiceLineRet")[0], "TxnLineID") + `</TxnLineID><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>100.00</Amount></InvoiceLineMod>`
	wantStatus(t, one(t, f, modRq("Invoice", inv, line)), strconv.Itoa(stInvalidValue))

	// Voiding one invoice and deleting another give their credits back.
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+invID+`</TxnID></TxnVoidRq>`)
	if diff := cmp.Diff([]string{"100.00", "50.00"}, remaining()); diff != "" {
		t.Errorf("after voiding the invoice, credits remaining (-want +got):\n%s", diff)
	}
	if got := linkedOf(t, f, "CreditMemo", cm1); got != nil {
		t.Errorf("after voiding the invoice, the credit memo still links: %v", got)
	}
	second := textAt(ok(t, f, invoiceWithCredits(setCredit(cm2, "50.00"))), "InvoiceRet/TxnID")
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+second+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"100.00", "50.00"}, remaining()); diff != "" {
		t.Errorf("after deleting the second invoice, credits remaining (-want +got):\n%s", diff)
	}
	// Acme Corp is left with its three credit memos.
	if diff := cmp.Diff([]string{"-850.00/-850.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("Acme Corp's balance (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>`+cm1+`</TxnID></TxnDelRq>`)
}

// A payment cannot be applied over an invoice's own credits: what the
// invoice's credits took off its balance is no longer open. Deleting the
// invoice gives back both: its own credit to the credit memo, and the
// payment's money to the payment, as its UnusedPayment
// (TestVoidingOrDeletingAPaidInvoiceLeavesItsPaymentsTheirMoney).
func TestAPaymentPaysWhatAnInvoicesCreditsLeaveOpen(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	cm := textAt(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet/TxnID")
	invID := textAt(ok(t, f, invoiceWithCredits(setCredit(cm, "100.00"))), "InvoiceRet/TxnID")
	wantStatus(t, one(t, f, paymentWithCredits("R-1", "564.51", invID)), strconv.Itoa(stInvalidValue))
	pay := kid(ok(t, f, paymentWithCredits("R-1", "564.50", invID)), "ReceivePaymentRet")
	if got := textAt(pay, "AppliedToTxnRet/BalanceRemaining"); got != "564.50" {
		t.Errorf("the payment's BalanceRemaining before it %s, want 564.50", got)
	}
	inv := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	if diff := cmp.Diff([]string{"-664.50", "0.00", "true"}, texts(inv, "AppliedAmount", "BalanceRemaining", "IsPaid")); diff != "" {
		t.Errorf("invoice paid by its credit and the payment (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+invID+`</TxnID></TxnDelRq>`)
	left := []string{
		textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cm+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"),
		textAt(ok(t, f, `<ReceivePaymentQueryRq><TxnID>`+textAt(pay, "TxnID")+`</TxnID></ReceivePaymentQueryRq>`), "ReceivePaymentRet/UnusedPayment"),
	}
	if diff := cmp.Diff([]string{"100.00", "564.50"}, left); diff != "" {
		t.Errorf("after deleting the invoice, the credit memo's CreditRemaining and the payment's UnusedPayment (-want +got):\n%s", diff)
	}
}

// A credit memo moved to another customer (CreditMemoMod's CustomerRef)
// is taken off everything it was applied to, as QuickBooks does when a
// credit memo's customer is changed: "Now you've destroyed the link
// between the credit and the invoice to which it was originally applied"
// and the invoice shows "the increased balance due" (CPA911, "Moving an
// Applied Credit to a Different Invoice",
// http://www.cpa911.com/read_article.asp?ID=150; the same steps in Laura
// Madeira, "How to Reassign a Credit Memo to the Correct Invoice in
// QuickBooks", quick-training.info, 2013). Those sources describe the
// QuickBooks window, whose warning the user accepts; that the SDK's
// CreditMemoMod does the same without asking is unverified. The credit
// comes off a payment that applied it with money (the money stays
// applied), a payment that applied the credit alone (nothing is left
// applied), and an invoice that applied it itself (its AppliedAmount
// falls): the credit is whole again, the new customer's, and no longer
// linked to anything, so it can be deleted.
func TestMovingAnAppliedCreditMemoToAnotherCustomerUnappliesIt(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>`)
	inv1 := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID") // 664.50
	cm := kid(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet")
	cmID := textAt(cm, "TxnID")
	r1 := textAt(ok(t, f, paymentWithCredits("R-1", "500.00", inv1, setCredit(cmID, "60.00"))), "ReceivePaymentRet/TxnID")
	r2 := textAt(ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-06</TxnDate><RefNumber>R-2</RefNumber>
		<AppliedToTxnAdd><TxnID>`+inv1+`</TxnID>`+setCredit(cmID, "10.00")+`</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "ReceivePaymentRet/TxnID")
	inv2 := textAt(ok(t, f, invoiceWithCredits(setCredit(cmID, "20.00"))), "InvoiceRet/TxnID")
	query := func(typ, id string, fields ...string) []string {
		t.Helper()
		return texts(kid(ok(t, f, `<`+typ+`QueryRq><TxnID>`+id+`</TxnID></`+typ+`QueryRq>`), typ+"Ret"), fields...)
	}
	state := func() []string {
		t.Helper()
		out := append(query("Invoice", inv1, "BalanceRemaining"), query("Invoice", inv2, "AppliedAmount", "BalanceRemaining")...)
		out = append(out, query("CreditMemo", cmID, "CustomerRef/FullName", "CreditRemaining")...)
		return append(out, balances(t, f, "Customer", "Acme Corp", "Globex")...)
	}
	// 664.50 - 500.00 - 60.00 - 10.00; 664.50 - 20.00; 100.00 - 90.00.
	if diff := cmp.Diff([]string{"94.50", "-20.00", "644.50", "Acme Corp", "10.00", "729.00/729.00", "0.00/0.00"}, state()); diff != "" {
		t.Fatalf("before the move: invoices, credit memo, balances (-want +got):\n%s", diff)
	}

	cm = kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet") // applying it changed its EditSequence
	cm = modOK(t, f, "CreditMemo", cm, `<CustomerRef><FullName>Globex</FullName></CustomerRef>`)
	if diff := cmp.Diff([]string{"164.50", "0.00", "664.50", "Globex", "100.00", "829.00/829.00", "-100.00/-100.00"}, state()); diff != "" {
		t.Errorf("after moving the credit memo to Globex: invoices, credit memo, balances (-want +got):\n%s", diff)
	}
	if got := textAt(cm, "CreditRemaining"); got != "100.00" {
		t.Errorf("the CreditMemoMod response's CreditRemaining %s, want 100.00", got)
	}
	pay1 := kid(ok(t, f, `<ReceivePaymentQueryRq><TxnID>`+r1+`</TxnID></ReceivePaymentQueryRq>`), "ReceivePaymentRet")
	if got := textAt(pay1, "AppliedToTxnRet/Amount"); got != "500.00" {
		t.Errorf("R-1 pays %s of the invoice, want its 500.00", got)
	}
	if got := linked(kid(pay1, "AppliedToTxnRet")); got != nil {
		t.Errorf("R-1 still applies the moved credit: %v", got)
	}
	if got := kids(kid(ok(t, f, `<ReceivePaymentQueryRq><TxnID>`+r2+`</TxnID></ReceivePaymentQueryRq>`), "ReceivePaymentRet"), "AppliedToTxnRet"); len(got) != 0 {
		t.Errorf("R-2, which applied the credit alone, still applies %d entries", len(got))
	}
	if diff := cmp.Diff([]string{"ReceivePayment R-1 AMTTYPE -500.00"}, linkedOf(t, f, "Invoice", inv1)); diff != "" {
		t.Errorf("first invoice's LinkedTxn (-want +got):\n%s", diff)
	}
	if got := linkedOf(t, f, "Invoice", inv2); got != nil {
		t.Errorf("second invoice's LinkedTxn: %v", got)
	}
	if got := linkedOf(t, f, "CreditMemo", cmID); got != nil {
		t.Errorf("the moved credit memo's LinkedTxn: %v", got)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>`+cmID+`</TxnID></TxnDelRq>`)
}

// A vendor credit moved to another vendor (VendorCreditMod's VendorRef)
// is taken off the bills its bill payments applied it to, as a credit
// memo moved to another customer is (see
// TestMovingAnAppliedCreditMemoToAnotherCustomerUnappliesIt); unverified
// for vendor credits, by analogy: no source says what QuickBooks does.
func TestMovingAnAppliedVendorCreditToAnotherVendorUnappliesIt(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Ink Ltd</Name></VendorAdd></VendorAddRq>`)
	bill := textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><RefNumber>B-1</RefNumber>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>200.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	vc := kid(ok(t, f, `<VendorCreditAddRq><VendorCreditAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-03</TxnDate><RefNumber>VC-1</RefNumber>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>50.00</Amount></ExpenseLineAdd></VendorCreditAdd></VendorCreditAddRq>`), "VendorCreditRet")
	vcID := textAt(vc, "TxnID")
	check := textAt(ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-02-10</TxnDate>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber>
		<AppliedToTxnAdd><TxnID>`+bill+`</TxnID><PaymentAmount>100.00</PaymentAmount>`+setCredit(vcID, "30.00")+`</AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`), "BillPaymentCheckRet/TxnID")
	state := func() []string {
		t.Helper()
		out := []string{
			textAt(ok(t, f, `<BillQueryRq><TxnID>`+bill+`</TxnID></BillQueryRq>`), "BillRet/OpenAmount"),
			textAt(ok(t, f, `<VendorCreditQueryRq><TxnID>`+vcID+`</TxnID></VendorCreditQueryRq>`), "VendorCreditRet/OpenAmount"),
		}
		return append(out, balances(t, f, "Vendor", "Paper Co", "Ink Ltd")...)
	}
	if diff := cmp.Diff([]string{"70.00", "20.00", "50.00", "0.00"}, state()); diff != "" {
		t.Fatalf("before the move: bill and vendor credit open amounts, vendor balances (-want +got):\n%s", diff)
	}
	vc = kid(ok(t, f, `<VendorCreditQueryRq><TxnID>`+vcID+`</TxnID></VendorCreditQueryRq>`), "VendorCreditRet") // applying it changed its EditSequence
	modOK(t, f, "VendorCredit", vc, `<VendorRef><FullName>Ink Ltd</FullName></VendorRef>`)
	if diff := cmp.Diff([]string{"100.00", "50.00", "100.00", "-50.00"}, state()); diff != "" {
		t.Errorf("after moving the vendor credit to Ink Ltd: bill and vendor credit open amounts, vendor balances (-want +got):\n%s", diff)
	}
	pay := kid(ok(t, f, `<BillPaymentCheckQueryRq><TxnID>`+check+`</TxnID></BillPaymentCheckQueryRq>`), "BillPaymentCheckRet")
	if got := textAt(pay, "AppliedToTxnRet/Amount"); got != "100.00" {
		t.Errorf("the check still pays %s of the bill, want 100.00", got)
	}
	if got := linked(kid(pay, "AppliedToTxnRet")); got != nil {
		t.Errorf("the check still applies the moved credit: %v", got)
	}
	ok(t, f, `<TxnVoidRq><TxnVoidType>VendorCredit</TxnVoidType><TxnID>`+vcID+`</TxnID></TxnVoidRq>`)
}

// A credit memo that a credit card refund (ARRefundCreditCard) paid back,
// in part, is linked to the refund: it can be neither deleted (3160) nor
// voided (3170), as an applied credit memo or a paid bill, nor moved to
// another customer, since "The CustomerRef [of the refund] ... must match
// the customer in the target transactions" (Intuit, "Requests and
// responses for credit card refunds",
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/requests-and-responses-for-credit-card-refunds).
// Intuit's TxnVoid reference says only that voiding or deleting a
// transaction whose linked transaction is in use is an error
// (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/txnvoid);
// 3160 for the delete is the code QuBe Sync names "cannot_delete" for
// TxnDel (QUBESYNC-CODES in statuscodes_test.go); 3170 for the void and the
// move is unverified. Once the refund is deleted, the credit memo can be
// moved, voided and deleted.
func TestARefundedCreditMemoCannotBeDeletedVoidedOrMoved(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>`)
	cm := kid(ok(t, f, creditMemoAdd("CM-1", "100.00")), "CreditMemoRet")
	cmID := textAt(cm, "TxnID")
	refund := textAt(ok(t, f, `<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
		<TxnDate>2025-03-03</TxnDate><RefundAppliedToTxnAdd><TxnID>`+cmID+`</TxnID><RefundAmount>30.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`), "ARRefundCreditCardRet/TxnID")
	cm = kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet") // the refund changed its EditSequence
	state := func() []string {
		t.Helper()
		c := kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet")
		return append(texts(c, "CustomerRef/FullName", "TotalAmount", "CreditRemaining"), balances(t, f, "Customer", "Acme Corp", "Globex")...)
	}
	want := []string{"Acme Corp", "100.00", "70.00", "-70.00/-70.00", "0.00/0.00"}
	if diff := cmp.Diff(want, state()); diff != "" {
		t.Fatalf("after the refund: credit memo and balances (-want +got):\n%s", diff)
	}
	for rq, status := range map[string]int{
		`<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>` + cmID + `</TxnID></TxnDelRq>`:     stCannotDelete,
		`<TxnVoidRq><TxnVoidType>CreditMemo</TxnVoidType><TxnID>` + cmID + `</TxnID></TxnVoidRq>`: stCannotModify,
		modRq("CreditMemo", cm, `<CustomerRef><FullName>Globex</FullName></CustomerRef>`):         stCannotModify,
	} {
		wantStatus(t, one(t, f, rq), strconv.Itoa(status))
		if diff := cmp.Diff(want, state()); diff != "" {
			t.Errorf("after a refused %s: credit memo and balances (-want +got):\n%s", rq[1:strings.Index(rq, ">")], diff)
		}
	}
	ok(t, f, `<TxnDelRq><TxnDelType>ARRefundCreditCard</TxnDelType><TxnID>`+refund+`</TxnID></TxnDelRq>`)
	modOK(t, f, "CreditMemo", kid(ok(t, f, `<CreditMemoQueryRq><TxnID>`+cmID+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet"), `<CustomerRef><FullName>Globex</FullName></CustomerRef>`)
	if diff := cmp.Diff([]string{"Globex", "100.00", "100.00", "0.00/0.00", "-100.00/-100.00"}, state()); diff != "" {
		t.Errorf("moved once the refund is deleted: credit memo and balances (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnVoidRq><TxnVoidType>CreditMemo</TxnVoidType><TxnID>`+cmID+`</TxnID></TxnVoidRq>`)
	ok(t, f, `<TxnDelRq><TxnDelType>CreditMemo</TxnDelType><TxnID>`+cmID+`</TxnID></TxnDelRq>`)
}
