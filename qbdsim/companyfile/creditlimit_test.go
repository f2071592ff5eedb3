package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Sources named in the tests below:
//
//   - AYS-3180: At Your Service's "Resolving QuickBooks export errors"
//     (ayssoftware.com/aysguide/resolvingquickbooksexporterrors.htm)
//     quotes QuickBooks' answer to an InvoiceAdd: "Error 3180: There was
//     an error when saving a Invoice. QuickBooks error message: The
//     credit limit for the name on this transaction has been exceeded."
//   - QBPOS-LIMIT: QuickBooks Point of Sale help, "Example: Multiple
//     Charges to Account Exceed Limit" (qbfs_accountlimitexceeded.htm): a
//     customer with a $200 limit charges $160 and then $50; QuickBooks
//     refuses to post the second charge "because it causes the customers
//     credit limit to be exceeded" until the Credit Limit is raised in
//     QuickBooks. The balance after the transaction is what counts.
//   - CPA911-LIMITS: "QuickBooks Customer Credit Limits" (cpa911.com,
//     2011): in the QuickBooks window the limit is a warning "when an
//     invoice will exceed the limit"; an SDK request cannot answer the
//     warning, so it is refused (AYS-3180).
//
// Unverified choices: a Mod is refused only when it raises what the
// transaction adds to the balance; a job's balance counts toward its
// parent's limit; statement charges and bills follow the invoice's rule
// (the message names "the name on this transaction", not a customer).

const creditLimitMessage = "QuickBooks error message: The credit limit for the name on this transaction has been exceeded."

// invoiceFor is an InvoiceAdd of amount to the customer or job name.
func invoiceFor(name, amount string) string {
	return `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>` + name + `</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<InvoiceLineAdd><Desc>Work</Desc><Amount>` + amount + `</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`
}

// customerBalances returns "Balance TotalBalance" of the customer name.
func customerBalances(tb testing.TB, f *File, name string) string {
	tb.Helper()
	c := kid(ok(tb, f, `<CustomerQueryRq><FullName>`+name+`</FullName></CustomerQueryRq>`), "CustomerRet")
	return textAt(c, "Balance") + " " + textAt(c, "TotalBalance")
}

func wantCreditLimitRefusal(tb testing.TB, rs *qbxml.Node, typ string) {
	tb.Helper()
	wantStatus(tb, rs, "3180")
	if got, want := attrValue(rs, "statusMessage"), "There was an error when saving a "+typ+". "+creditLimitMessage; got != want {
		tb.Errorf("message:\n got %q\nwant %q", got, want)
	}
	if got := attrValue(rs, "statusSeverity"); got != "Error" {
		tb.Errorf("severity %q, want Error", got)
	}
}

// An invoice that takes its customer's balance over the CreditLimit is
// refused with 3180 (AYS-3180, QBPOS-LIMIT) and leaves no trace: no
// invoice, no balance moved, no reference number used. One that brings
// the balance exactly to the limit is saved. Sales receipts (paid at
// once), estimates and sales orders move no balance and are never
// refused.
func TestAnInvoiceOverTheCustomersCreditLimitIsRefusedAndChangesNothing(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><CreditLimit>1000.00</CreditLimit></CustomerAdd></CustomerAddRq>`)
	first := kid(ok(t, f, invoiceFor("Acme Corp", "600.00")), "InvoiceRet")

	wantCreditLimitRefusal(t, one(t, f, invoiceFor("Acme Corp", "400.01")), "Invoice")
	if got := customerBalances(t, f, "Acme Corp"); got != "600.00 600.00" {
		t.Errorf("after the refusal the customer's balances are %q, want 600.00 600.00", got)
	}
	if n := len(kids(ok(t, f, `<InvoiceQueryRq/>`), "InvoiceRet")); n != 1 {
		t.Errorf("%d invoices after the refusal, want 1", n)
	}

	second := kid(ok(t, f, invoiceFor("Acme Corp", "400.00")), "InvoiceRet")
	got := []string{textAt(first, "RefNumber"), textAt(first, "TxnNumber"), textAt(second, "RefNumber"), textAt(second, "TxnNumber"), customerBalances(t, f, "Acme Corp")}
	want := []string{"1", "1", "2", "2", "1000.00 1000.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RefNumber, TxnNumber of both invoices and the balances (-want +got):\n%s", diff)
	}

	for _, rq := range []string{
		`<SalesReceiptAddRq><SalesReceiptAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><SalesReceiptLineAdd><Desc>Cash sale</Desc><Amount>5000.00</Amount></SalesReceiptLineAdd></SalesReceiptAdd></SalesReceiptAddRq>`,
		`<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><EstimateLineAdd><Desc>Quote</Desc><Amount>5000.00</Amount></EstimateLineAdd></EstimateAdd></EstimateAddRq>`,
		`<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><SalesOrderLineAdd><Desc>Order</Desc><Amount>5000.00</Amount></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`,
	} {
		ok(t, f, rq)
	}
	if got := customerBalances(t, f, "Acme Corp"); got != "1000.00 1000.00" {
		t.Errorf("balances %q after a sales receipt, an estimate and a sales order, want 1000.00 1000.00", got)
	}
}

// An InvoiceMod that raises the invoice over the limit is refused like
// an Add and leaves the invoice as it was (unverified: the sources show
// an Add). A Mod that does not raise the amount is saved even when the
// customer is over a limit lowered since (unverified).
func TestAnInvoiceModOverTheCreditLimitIsRefusedButOneThatDoesNotRaiseItIsSaved(t *testing.T) {
	f, _ := newTestFile(t)
	cust := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><CreditLimit>1000.00</CreditLimit></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	inv := kid(ok(t, f, invoiceFor("Acme Corp", "800.00")), "InvoiceRet")
	id, lineID := textAt(inv, "TxnID"), textAt(inv, "InvoiceLineRet/TxnLineID")
	invMod := func(body string) *qbxml.Node {
		cur := currentTxn(t, f, "Invoice", id)
		return one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+textAt(cur, "EditSequence")+`</EditSequence>`+body+`</InvoiceMod></InvoiceModRq>`)
	}
	line := func(amount string) string {
		return `<InvoiceLineMod><TxnLineID>` + lineID + `</TxnLineID><Amount>` + amount + `</Amount></InvoiceLineMod>`
	}

	wantCreditLimitRefusal(t, invMod(line("1200.00")), "Invoice")
	cur := currentTxn(t, f, "Invoice", id)
	if got := []string{textAt(cur, "BalanceRemaining"), textAt(cur, "EditSequence"), customerBalances(t, f, "Acme Corp")}; !cmp.Equal(got, []string{"800.00", textAt(inv, "EditSequence"), "800.00 800.00"}) {
		t.Errorf("after the refused Mod: BalanceRemaining, EditSequence, balances = %q", got)
	}
	wantStatus(t, invMod(line("1000.00")), "0")

	// The limit comes down to 500: the customer is over it, and changes
	// that do not raise the invoice are still saved.
	ok(t, f, `<CustomerModRq><CustomerMod><ListID>`+textAt(cust, "ListID")+`</ListID><EditSequence>`+textAt(kid(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet"), "EditSequence")+`</EditSequence><CreditLimit>500.00</CreditLimit></CustomerMod></CustomerModRq>`)
	wantStatus(t, invMod(`<Memo>March work</Memo>`), "0")
	wantStatus(t, invMod(line("900.00")), "0")
	wantCreditLimitRefusal(t, invMod(line("900.01")), "Invoice")
	if got := customerBalances(t, f, "Acme Corp"); got != "900.00 900.00" {
		t.Errorf("balances %q, want 900.00 900.00", got)
	}
}

// A job's invoices count toward its parent's limit: the parent's
// TotalBalance, its own and its jobs', is what the limit bounds
// (unverified). An invoice to the parent or to the job that takes the
// TotalBalance over the parent's limit is refused.
func TestAJobsInvoicesCountTowardItsParentsCreditLimit(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><CreditLimit>1000.00</CreditLimit></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	ok(t, f, invoiceFor("Acme Corp:Roof", "700.00"))

	wantCreditLimitRefusal(t, one(t, f, invoiceFor("Acme Corp", "400.00")), "Invoice")
	wantCreditLimitRefusal(t, one(t, f, invoiceFor("Acme Corp:Roof", "400.00")), "Invoice")
	ok(t, f, invoiceFor("Acme Corp", "300.00"))
	if got := []string{customerBalances(t, f, "Acme Corp"), customerBalances(t, f, "Acme Corp:Roof")}; !cmp.Equal(got, []string{"300.00 1000.00", "700.00 700.00"}) {
		t.Errorf("parent and job balances %q", got)
	}
}

// A statement charge and a vendor's bill are refused as an invoice is
// when they take the name's balance over its CreditLimit (unverified:
// the message's "name on this transaction" fits both; no source shows
// them refused).
func TestAChargeOrABillOverTheCreditLimitIsRefused(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><CreditLimit>100.00</CreditLimit></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Consulting</Name><SalesOrPurchase><Price>150</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
	wantCreditLimitRefusal(t, one(t, f, `<ChargeAddRq><ChargeAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`), "Charge")

	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name><CreditLimit>500.00</CreditLimit></VendorAdd></VendorAddRq>`)
	bill := func(amount string) string {
		return `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate>
			<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>` + amount + `</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`
	}
	ok(t, f, bill("400.00"))
	wantCreditLimitRefusal(t, one(t, f, bill("100.01")), "Bill")
	if got := textAt(kid(ok(t, f, `<VendorQueryRq><FullName>Paper Co</FullName></VendorQueryRq>`), "VendorRet"), "Balance"); got != "400.00" {
		t.Errorf("vendor balance %q, want 400.00", got)
	}
	if got := customerBalances(t, f, "Acme Corp"); got != "0.00 0.00" {
		t.Errorf("customer balances %q, want 0.00 0.00", got)
	}
}
