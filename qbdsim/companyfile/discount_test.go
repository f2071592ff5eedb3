package companyfile

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Sources for the discounts that payments give (discount.go):
//
//   - Intuit's ReceivePaymentAdd reference: a receive payment records a
//     customer's payment, or "sets a discount (for early payment, for
//     example)"
//     (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/receivepaymentadd);
//     Intuit's tutorial "Requests for receive payments, bill payments and
//     deposits": ReceivePayment, BillPaymentCheckAdd and
//     BillPaymentCreditCardAdd can apply discounts, and one message can
//     combine payments, credits and discounts
//     (https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/requests-for-receive-payments-bill-payments-and-deposits).
//   - Intuit's ReceivePaymentMod reference: specifying AppliedToTxnMod
//     clears the payment's existing links; changing a simple field such
//     as Memo keeps them
//     (https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/receivepaymentmod).
//   - QuickBooks Desktop 2012 in-product help, "Apply a discount for early
//     customer payment": the discount is entered on the invoice's line of
//     the Receive Payments window, with the account that tracks discounts
//     (an expense account such as Discount Expense), and "the amount of
//     the discount cannot be higher than the original invoice"
//     (http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Payments/task_payment_discount.html);
//     its Discount Information window says the discount account "is
//     required". Pay Bills has the same Set Discount, with a discount
//     account and class (expressbooks.ca, "Applying discounts and credits
//     to bills", http://expressbooks.ca/quickbooks-blog/applying-discounts-and-credits-to-bills).
//   - Conductor's QuickBooks Desktop API, generated from Intuit's field
//     descriptions: DiscountAmount is the amount "by which to reduce the
//     receivable transaction's receivable amount", DiscountAccountRef the
//     account "used to track" the discount, DiscountClassRef its class
//     (conductor-is/quickbooks-desktop-python,
//     src/conductor/types/qbd/receive_payment_create_params.py).
//   - qbXML 13.0 (../shared/reference/qbxml): DiscountAmount,
//     DiscountAccountRef, DiscountClassRef after SetCredit in
//     AppliedToTxnAdd and AppliedToTxnMod, and after Amount (before
//     LinkedTxn) in AppliedToTxnRet.
//
// Not established, and the simulator's choice: the postings (a customer
// discount debits its account and credits A/R, a vendor discount debits
// A/P and credits its account) follow from the discount lowering A/R or
// A/P without money, as the help describes it, but no Intuit page lists
// them; the status of a discount without its account (3180, QuickBooks'
// "error when saving") and of a discount on a journal entry (3210), the
// refusals' messages, and the amount of the payment's LinkedTxn on the
// invoice (money and discount together) are not documented.

// discountRq is an AppliedToTxnAdd's discount of amount to the account.
func discountRq(amount, account string) string {
	return `<DiscountAmount>` + amount + `</DiscountAmount><DiscountAccountRef><FullName>` + account + `</FullName></DiscountAccountRef>`
}

// paymentWithDiscount pays amount of the invoice invID and gives it a
// discount (discountRq).
func paymentWithDiscount(ref, amount, invID, discount string) string {
	return `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate><RefNumber>` + ref + `</RefNumber>
		<TotalAmount>` + amount + `</TotalAmount><AppliedToTxnAdd><TxnID>` + invID + `</TxnID><PaymentAmount>` + amount + `</PaymentAmount>` + discount + `</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`
}

// balancesOf returns the AccountRet Balance of each named account.
func balancesOf(tb testing.TB, f *File, names ...string) []string {
	tb.Helper()
	all := accountBalances(tb, f)
	var out []string
	for _, name := range names {
		out = append(out, all[name][0])
	}
	return out
}

// netIncome returns the net income of 2025 on the basis given (Accrual or
// Cash).
func netIncome(tb testing.TB, f *File, basis string) string {
	tb.Helper()
	pl := parseReport(tb, ok(tb, f, summaryRq("ProfitAndLossStandard", period("2025-01-01", "2025-12-31")+`<SummarizeColumnsBy>TotalOnly</SummarizeColumnsBy><ReportBasis>`+basis+`</ReportBasis>`)))
	return pl.find(tb, "Net Income")[2]
}

// An early-payment discount lowers the invoice's balance without money:
// the invoice's AppliedAmount counts it, the customer's balance and the
// receivables reports fall by it, and the payment's total and unused
// amount do not. The payment reports the discount, its account and its
// class in its AppliedToTxnRet, and posts it: the discount account is
// debited, A/R credited, so that the accounts' balances and net income
// move by the discount on either basis once the invoice is paid. A
// ReceivePaymentMod's AppliedToTxnMod changes the discount, a Mod without
// it keeps it, and deleting the payment gives it back. Sources: the
// comment at the top of this file.
func TestAPaymentsDiscountLowersTheInvoiceAndPostsToTheDiscountAccount(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<AccountAddRq><AccountAdd><Name>Discounts Given</Name><AccountType>Expense</AccountType></AccountAdd></AccountAddRq>`)
	ok(t, f, `<ClassAddRq><ClassAdd><Name>East</Name></ClassAdd></ClassAddRq>`)
	invID := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID") // 664.50: 650.00 of income, 14.50 of tax
	accounts := func() []string {
		t.Helper()
		return balancesOf(t, f, "Discounts Given", "Undeposited Funds", "Accounts Receivable")
	}
	invoice := func() []string {
		t.Helper()
		return texts(kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet"), "AppliedAmount", "BalanceRemaining", "IsPaid")
	}

	pay := kid(ok(t, f, paymentWithDiscount("R-1", "600.00", invID, discountRq("13.29", "Discounts Given")+`<DiscountClassRef><FullName>East</FullName></DiscountClassRef>`)), "ReceivePaymentRet")
	got := texts(pay, "TotalAmount", "UnusedPayment", "AppliedToTxnRet/BalanceRemaining", "AppliedToTxnRet/Amount", "AppliedToTxnRet/DiscountAmount",
		"AppliedToTxnRet/DiscountAccountRef/FullName", "AppliedToTxnRet/DiscountClassRef/FullName")
	if diff := cmp.Diff([]string{"600.00", "0.00", "664.50", "600.00", "13.29", "Discounts Given", "East"}, got); diff != "" {
		t.Errorf("payment's total, unused payment and applied-to line (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"-613.29", "51.21", "false"}, invoice()); diff != "" {
		t.Errorf("invoice's applied amount, balance and IsPaid (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"51.21", "51.21", "51.21", "51.21"}, receivables(t, f)); diff != "" {
		t.Errorf("balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"13.29", "600.00", "51.21"}, accounts()); diff != "" {
		t.Errorf("balances of Discounts Given, Undeposited Funds, A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ReceivePayment R-1 AMTTYPE -613.29"}, linkedOf(t, f, "Invoice", invID)); diff != "" {
		t.Errorf("invoice's LinkedTxn (-want +got):\n%s", diff)
	}
	byClass := parseReport(t, ok(t, f, summaryRq("ProfitAndLossByClass", period("2025-01-01", "2025-12-31"))))
	if diff := cmp.Diff([]string{"", "East"}, byClass.cols[:2]); diff != "" {
		t.Fatalf("profit and loss by class, first columns (-want +got):\n%s", diff)
	}
	if got := byClass.find(t, "Discounts Given")[2]; got != "13.29" {
		t.Errorf("the discount in the East column of the profit and loss by class: %s, want 13.29", got)
	}

	// Paid in full, the invoice's 650.00 of income less the 13.29 of
	// discount is the net income on either basis.
	ok(t, f, paymentWithDiscount("R-2", "51.21", invID, ""))
	if diff := cmp.Diff([]string{"636.71", "636.71"}, []string{netIncome(t, f, "Accrual"), netIncome(t, f, "Cash")}); diff != "" {
		t.Errorf("net income on the accrual and cash bases (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(kid(ok(t, f, `<ReceivePaymentQueryRq><RefNumber>R-2</RefNumber></ReceivePaymentQueryRq>`), "ReceivePaymentRet"), "TxnID")+`</TxnID></TxnDelRq>`)

	pay = modOK(t, f, "ReceivePayment", pay, `<Memo>early</Memo>`)
	if diff := cmp.Diff([]string{"13.29", "Discounts Given"}, texts(pay, "AppliedToTxnRet/DiscountAmount", "AppliedToTxnRet/DiscountAccountRef/FullName")); diff != "" {
		t.Errorf("a Mod without AppliedToTxnMod: the discount it keeps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"-613.29", "51.21", "false"}, invoice()); diff != "" {
		t.Errorf("after changing the memo, the invoice (-want +got):\n%s", diff)
	}
	pay = modOK(t, f, "ReceivePayment", pay, `<AppliedToTxnMod><TxnID>`+invID+`</TxnID><PaymentAmount>600.00</PaymentAmount>`+discountRq("20.00", "Discounts Given")+`</AppliedToTxnMod>`)
	if diff := cmp.Diff([]string{"-620.00", "44.50", "false"}, invoice()); diff != "" {
		t.Errorf("with the discount raised to 20.00, the invoice (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"20.00", "600.00", "44.50"}, accounts()); diff != "" {
		t.Errorf("with the discount raised to 20.00, Discounts Given, Undeposited Funds, A/R (-want +got):\n%s", diff)
	}
	if got := textAt(pay, "AppliedToTxnRet/DiscountClassRef/FullName"); got != "" {
		t.Errorf("an AppliedToTxnMod without DiscountClassRef kept the class %q", got)
	}

	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"0.00", "664.50", "false"}, invoice()); diff != "" {
		t.Errorf("after deleting the payment, the invoice (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"664.50", "664.50", "664.50", "664.50"}, receivables(t, f)); diff != "" {
		t.Errorf("after deleting the payment, balance, A/R aging, open invoices, balance sheet A/R (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0.00", "0.00", "664.50"}, accounts()); diff != "" {
		t.Errorf("after deleting the payment, Discounts Given, Undeposited Funds, A/R (-want +got):\n%s", diff)
	}
}

// What cannot be given is refused, and nothing of it is kept: a discount
// larger than what is open on the invoice (3210, as an over-payment), a
// negative one (3210), one without its account (3180), one to an unknown
// account (3140), one on a journal entry (3210). A discount alone, with
// no money, pays an invoice; voiding the invoice takes the discount back
// with it, the payment keeping its 0.00 and applying nothing
// (TestVoidingOrDeletingAPaidInvoiceLeavesItsPaymentsTheirMoney).
func TestDiscountsAreRefusedBeyondTheBalanceOrWithoutTheirAccount(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<AccountAddRq><AccountAdd><Name>Discounts Given</Name><AccountType>Expense</AccountType></AccountAdd></AccountAddRq>`)
	invID := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID") // 664.50
	je := textAt(ok(t, f, journalEntryAdd(journalLine("Debit", "Accounts Receivable", "30.00", "Acme Corp"), journalLine("Credit", "Services", "30.00", ""))), "JournalEntryRet/TxnID")

	for _, c := range []struct {
		name, rq string
		status   int
	}{
		{"more than the invoice's balance", paymentWithDiscount("R-1", "600.00", invID, discountRq("64.51", "Discounts Given")), stInvalidValue},
		{"a negative discount", paymentWithDiscount("R-1", "600.00", invID, discountRq("-1.00", "Discounts Given")), stInvalidValue},
		{"no discount account", paymentWithDiscount("R-1", "600.00", invID, `<DiscountAmount>10.00</DiscountAmount>`), stSaveError},
		{"an unknown discount account", paymentWithDiscount("R-1", "600.00", invID, discountRq("10.00", "No Such Account")), stInvalidRef},
		{"a discount on a journal entry", paymentWithDiscount("R-1", "10.00", je, discountRq("1.00", "Discounts Given")), stInvalidValue},
	} {
		wantStatus(t, one(t, f, c.rq), strconv.Itoa(c.status))
		got := []string{textAt(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet/BalanceRemaining")}
		got = append(got, balancesOf(t, f, "Discounts Given")...)
		if diff := cmp.Diff([]string{"664.50", "0.00"}, got); diff != "" {
			t.Errorf("%s: invoice balance and Discounts Given after the refusal (-want +got):\n%s", c.name, diff)
		}
	}

	pay := kid(ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate>
		<AppliedToTxnAdd><TxnID>`+invID+`</TxnID>`+discountRq("664.50", "Discounts Given")+`</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"0.00", "0.00", "664.50"}, texts(pay, "TotalAmount", "AppliedToTxnRet/Amount", "AppliedToTxnRet/DiscountAmount")); diff != "" {
		t.Errorf("a discount-only payment's total, applied amount and discount (-want +got):\n%s", diff)
	}
	// Acme Corp owes the journal entry's 30.00 only.
	if diff := cmp.Diff([]string{"30.00/30.00"}, balances(t, f, "Customer", "Acme Corp")); diff != "" {
		t.Errorf("after the discount, Acme Corp's balance (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+invID+`</TxnID></TxnVoidRq>`)
	p := kid(ok(t, f, `<ReceivePaymentQueryRq><TxnID>`+textAt(pay, "TxnID")+`</TxnID></ReceivePaymentQueryRq>`), "ReceivePaymentRet")
	if diff := cmp.Diff([]string{"0.00", "0.00", ""}, texts(p, "TotalAmount", "UnusedPayment", "AppliedToTxnRet/TxnID")); diff != "" {
		t.Errorf("the discount-only payment after its invoice was voided (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0.00", "30.00/30.00"}, append(balancesOf(t, f, "Discounts Given"), balances(t, f, "Customer", "Acme Corp")...)); diff != "" {
		t.Errorf("after the void, Discounts Given and Acme Corp's balance (-want +got):\n%s", diff)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>`+textAt(pay, "TxnID")+`</TxnID></TxnDelRq>`)
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+invID+`</TxnID></TxnDelRq>`)
}

// A vendor's discount on a bill, given by a bill payment by check or by
// credit card, lowers the bill's OpenAmount and the vendor's balance
// without money: a check of 196.00 and a discount of 4.00 pay a bill of
// 200.00. The discount posts to its account as a credit (A/P takes the
// debit), and the check moves only its 196.00. Voiding the check and
// deleting the card payment give the discounts back. Sources: the
// comment at the top of this file.
func TestABillPaymentsDiscountPaysTheBillAndPostsToTheDiscountAccount(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	ok(t, f, `<AccountAddRq><AccountAdd><Name>Discounts Received</Name><AccountType>OtherIncome</AccountType></AccountAdd></AccountAddRq>`)
	bill := func(ref, amount string) string {
		return textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><RefNumber>`+ref+`</RefNumber>
			<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>`+amount+`</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	}
	b1, b2 := bill("B-1", "200.00"), bill("B-2", "50.00")
	query := func(id string) []string {
		t.Helper()
		return texts(kid(ok(t, f, `<BillQueryRq><TxnID>`+id+`</TxnID></BillQueryRq>`), "BillRet"), "OpenAmount", "IsPaid")
	}
	accounts := func() []string {
		t.Helper()
		return balancesOf(t, f, "Accounts Payable", "Checking", "Credit Card", "Discounts Received")
	}
	before := accounts()

	check := kid(ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-02-10</TxnDate>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber>
		<AppliedToTxnAdd><TxnID>`+b1+`</TxnID><PaymentAmount>196.00</PaymentAmount>`+discountRq("4.00", "Discounts Received")+`</AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`), "BillPaymentCheckRet")
	if diff := cmp.Diff([]string{"196.00", "196.00", "4.00", "Discounts Received"}, texts(check, "Amount", "AppliedToTxnRet/Amount", "AppliedToTxnRet/DiscountAmount", "AppliedToTxnRet/DiscountAccountRef/FullName")); diff != "" {
		t.Errorf("the check's amount and applied-to line (-want +got):\n%s", diff)
	}
	card := kid(ok(t, f, `<BillPaymentCreditCardAddRq><BillPaymentCreditCardAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-02-11</TxnDate>
		<CreditCardAccountRef><FullName>Credit Card</FullName></CreditCardAccountRef>
		<AppliedToTxnAdd><TxnID>`+b2+`</TxnID><PaymentAmount>45.00</PaymentAmount>`+discountRq("1.00", "Discounts Received")+`</AppliedToTxnAdd></BillPaymentCreditCardAdd></BillPaymentCreditCardAddRq>`), "BillPaymentCreditCardRet")
	if diff := cmp.Diff([]string{"0.00", "true", "4.00", "false"}, append(query(b1), query(b2)...)); diff != "" {
		t.Errorf("the bills' open amounts and IsPaid (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"4.00", "4.00", "4.00", "4.00"}, payables(t, f)); diff != "" {
		t.Errorf("vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
	want := []string{sub(before[0], "246.00"), sub(before[1], "196.00"), sub(before[2], "-45.00"), "5.00"}
	if diff := cmp.Diff(want, accounts()); diff != "" {
		t.Errorf("balances of A/P, Checking, Credit Card, Discounts Received (-want +got):\n%s", diff)
	}
	// 250.00 of supplies less 5.00 of discounts; on the cash basis, the
	// 246.00 of supplies settled by money or discount less the discounts.
	if diff := cmp.Diff([]string{"-245.00", "-241.00"}, []string{netIncome(t, f, "Accrual"), netIncome(t, f, "Cash")}); diff != "" {
		t.Errorf("net income on the accrual and cash bases (-want +got):\n%s", diff)
	}

	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>`+b1+`</TxnID></TxnDelRq>`), strconv.Itoa(stCannotDelete))
	ok(t, f, `<TxnVoidRq><TxnVoidType>BillPaymentCheck</TxnVoidType><TxnID>`+textAt(check, "TxnID")+`</TxnID></TxnVoidRq>`)
	ok(t, f, `<TxnDelRq><TxnDelType>BillPaymentCreditCard</TxnDelType><TxnID>`+textAt(card, "TxnID")+`</TxnID></TxnDelRq>`)
	if diff := cmp.Diff([]string{"200.00", "false", "50.00", "false"}, append(query(b1), query(b2)...)); diff != "" {
		t.Errorf("after voiding and deleting the payments, the bills (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"250.00", "250.00", "250.00", "250.00"}, payables(t, f)); diff != "" {
		t.Errorf("after voiding and deleting the payments, vendor balance, A/P aging, unpaid bills, balance sheet A/P (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, accounts()); diff != "" {
		t.Errorf("after voiding and deleting the payments, A/P, Checking, Credit Card, Discounts Received (-want +got):\n%s", diff)
	}
}
