package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Sources for QuickBooks Desktop's US sales tax, cited by the tests below:
//
//   - [codes] qbgarage.com, "What is a sales tax code and how should I use
//     one?": "If a customer is marked with a non-taxable code, all invoices
//     for that customer are non-taxable. If an item is marked as
//     non-taxable, no sales taxes will be charged for that item even for a
//     customer who otherwise pays sales taxes." The form's codes "default
//     to the sales tax codes for the item and customer, but they can be
//     changed for this invoice only."
//   - [mac] QuickBooks for Mac 2014 User's Guide, p. 197: "If the customer
//     is taxable, QuickBooks includes all items marked with a 'T' in its
//     tax calculation"; with a tax item on the customer "QuickBooks
//     automatically calculates the tax by using the tax item you choose for
//     the customer".
//   - [default] Webucator, "How to Change the Default Sales Tax in
//     QuickBooks" (2011-2016): "QuickBooks applies sales tax automatically
//     to invoices and sales receipts based on the default sales tax item"
//     of the Sales Tax preferences ("Your most common sales tax item",
//     PreferencesRet SalesTaxPreferences/DefaultItemSalesTaxRef).
//   - [group] QuickBooks 2012 in-product help, "How does QuickBooks
//     calculate sales tax for a sales tax group item?"
//     (support.quickbooks.intuit.com .../Sales_Tax/info_sales_tax_how_it_calculates.html):
//     each rate of the group is calculated individually and rounded before
//     they are added; taxable sales of $69.62 at 4% and 2% give
//     2.78 + 1.39 = 4.17, where the group's 6% would give 4.18. "The
//     separate calculations are done so that the amounts for the individual
//     sales tax items are calculated correctly for your sales tax liability
//     report and your sales tax payments."
//   - [items] Acctivate, "Sales Tax Rounding and Discrepancies in
//     QuickBooks Desktop": a single sales tax item is "Sub-Total x Tax
//     Rate" ($35.50 x 8.25% = 2.92875, rounds to $2.93); the 8.25% group of
//     1%, 0.5%, 0.5% and 6.25% gives $2.94.
//   - [code list] Intuit's qbXML reference, SalesTaxCodeAdd: "Each item on a
//     sales form is assigned a sales-tax code that indicates whether the
//     item is taxable or non-taxable" (IsTaxable), and "In a Customer
//     message, SalesTaxCodeRef refers to the sales-tax code that will be
//     used for items related to this customer."

// addTaxSetup adds, on the seeded company (State Tax 7.25%, the company's
// default), the Widget (taxable) and Consulting (non-taxable) items, two
// more sales tax items and a group of them, and customers: Acme Corp
// (nothing of its own), Exempt Co (code Non) and County Co (tax item
// County Tax).
func addTaxSetup(tb testing.TB, f *File) {
	tb.Helper()
	addCustomerAndItems(tb, f)
	agency := `<TaxVendorRef><FullName>State Board of Equalization</FullName></TaxVendorRef>`
	ok(tb, f, `<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>County Tax</Name><TaxRate>1</TaxRate>`+agency+`</ItemSalesTaxAdd></ItemSalesTaxAddRq>`)
	ok(tb, f, `<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>State 4</Name><TaxRate>4</TaxRate>`+agency+`</ItemSalesTaxAdd></ItemSalesTaxAddRq>`)
	ok(tb, f, `<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>County 2</Name><TaxRate>2</TaxRate>`+agency+`</ItemSalesTaxAdd></ItemSalesTaxAddRq>`)
	ok(tb, f, `<ItemSalesTaxGroupAddRq><ItemSalesTaxGroupAdd><Name>Combined 6</Name>
		<ItemSalesTaxRef><FullName>State 4</FullName></ItemSalesTaxRef><ItemSalesTaxRef><FullName>County 2</FullName></ItemSalesTaxRef></ItemSalesTaxGroupAdd></ItemSalesTaxGroupAddRq>`)
	ok(tb, f, `<CustomerAddRq><CustomerAdd><Name>Exempt Co</Name><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></CustomerAdd></CustomerAddRq>`)
	ok(tb, f, `<CustomerAddRq><CustomerAdd><Name>County Co</Name><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><ItemSalesTaxRef><FullName>County Tax</FullName></ItemSalesTaxRef></CustomerAdd></CustomerAddRq>`)
}

// sale adds a sales form of type typ for the customer with the header
// elements head (after CustomerRef) and lines of Widget (taxable) at the
// amounts given, and returns its Ret.
func sale(tb testing.TB, f *File, typ, customer, head string, amounts ...string) *qbxml.Node {
	tb.Helper()
	body := `<CustomerRef><FullName>` + customer + `</FullName></CustomerRef>` + head
	for _, a := range amounts {
		body += `<` + typ + `LineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Amount>` + a + `</Amount></` + typ + `LineAdd>`
	}
	return kid(ok(tb, f, `<`+typ+`AddRq><`+typ+`Add>`+body+`</`+typ+`Add></`+typ+`AddRq>`), typ+"Ret")
}

func taxOf(ret *qbxml.Node) []string {
	return []string{textAt(ret, "ItemSalesTaxRef/FullName"), textAt(ret, "SalesTaxPercentage"), textAt(ret, "SalesTaxTotal"), textAt(ret, "CustomerSalesTaxCodeRef/FullName")}
}

// A sales form that names no sales tax item charges the customer's
// ([mac], [code list]: CustomerRet/ItemSalesTaxRef), else the company's
// most common one ([default]). A Mod that moves it to another customer
// keeps its tax item, as a Mod leaves what it does not name (unverified:
// the QuickBooks form refills it when the customer is changed by hand),
// and takes the customer's code only where the form had none.
func TestASalesFormWithoutATaxItemChargesTheCustomersElseTheCompanys(t *testing.T) {
	f, _ := newTestFile(t)
	addTaxSetup(t, f)
	for _, typ := range []string{"Invoice", "SalesReceipt", "CreditMemo", "Estimate", "SalesOrder"} {
		if got, want := taxOf(sale(t, f, typ, "County Co", "", "200.00")), []string{"County Tax", "1", "2.00", "Tax"}; !cmp.Equal(got, want) {
			t.Errorf("%s for County Co: tax item, rate, tax, customer code = %v, want %v", typ, got, want)
		}
		if got, want := taxOf(sale(t, f, typ, "Acme Corp", "", "200.00")), []string{"State Tax", "7.25", "14.50", ""}; !cmp.Equal(got, want) {
			t.Errorf("%s for Acme Corp: tax item, rate, tax, customer code = %v, want %v", typ, got, want)
		}
	}
	named := sale(t, f, "Invoice", "County Co", `<ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>`, "200.00")
	if got, want := taxOf(named), []string{"State Tax", "7.25", "14.50", "Tax"}; !cmp.Equal(got, want) {
		t.Errorf("an invoice naming State Tax: %v, want %v", got, want)
	}

	inv := sale(t, f, "Invoice", "Acme Corp", "", "200.00")
	moved := kid(ok(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+textAt(inv, "TxnID")+`</TxnID><EditSequence>`+textAt(inv, "EditSequence")+`</EditSequence>
		<CustomerRef><FullName>County Co</FullName></CustomerRef></InvoiceMod></InvoiceModRq>`), "InvoiceRet")
	if got, want := append(taxOf(moved), textAt(moved, "BalanceRemaining")), []string{"State Tax", "7.25", "14.50", "Tax", "214.50"}; !cmp.Equal(got, want) {
		t.Errorf("the invoice moved to County Co: tax item, rate, tax, customer code, balance = %v, want %v", got, want)
	}
}

// A customer whose sales tax code is non-taxable is charged no tax on any
// line, taxable items included; the form takes the customer's code, and a
// code named on the form overrides it for that form only ([codes],
// [mac]). Balances, A/R and Sales Tax Payable follow.
func TestANonTaxableCustomerCodeChargesNoTaxOnAnyLine(t *testing.T) {
	f, _ := newTestFile(t)
	addTaxSetup(t, f)
	exempt := sale(t, f, "Invoice", "Exempt Co", `<ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>`, "200.00", "100.00")
	if got, want := append(taxOf(exempt), textAt(exempt, "BalanceRemaining")), []string{"State Tax", "7.25", "0.00", "Non", "300.00"}; !cmp.Equal(got, want) {
		t.Errorf("Exempt Co's invoice: tax item, rate, tax, customer code, balance = %v, want %v", got, want)
	}
	if got := textAt(kid(exempt, "InvoiceLineRet"), "SalesTaxCodeRef/FullName"); got != "Tax" {
		t.Errorf("the Widget line's code %q, want the item's Tax", got)
	}
	overridden := sale(t, f, "Invoice", "Exempt Co", `<CustomerSalesTaxCodeRef><FullName>Tax</FullName></CustomerSalesTaxCodeRef>`, "100.00")
	if got, want := taxOf(overridden), []string{"State Tax", "7.25", "7.25", "Tax"}; !cmp.Equal(got, want) {
		t.Errorf("Exempt Co's invoice naming Tax: %v, want %v", got, want)
	}
	receipt := sale(t, f, "SalesReceipt", "Acme Corp", `<CustomerSalesTaxCodeRef><FullName>Non</FullName></CustomerSalesTaxCodeRef>`, "100.00")
	if got, want := append(taxOf(receipt), textAt(receipt, "TotalAmount")), []string{"State Tax", "7.25", "0.00", "Non", "100.00"}; !cmp.Equal(got, want) {
		t.Errorf("Acme Corp's sales receipt naming Non: %v, want %v", got, want)
	}
	if got := balanceOf(t, f, "Customer", "Exempt Co"); got != "407.25" {
		t.Errorf("Exempt Co's balance %s, want 407.25", got)
	}
	wantBalancesOf(t, f, map[string]string{"Accounts Receivable": "407.25", "Sales Tax Payable": "7.25", "Product Sales": "500.00"})
}

// A line is taxed by whether its sales tax code is taxable (IsTaxable),
// whatever the code's name ([code list]).
func TestALinesSalesTaxCodeTaxesByIsTaxableNotByName(t *testing.T) {
	f, _ := newTestFile(t)
	addTaxSetup(t, f)
	ok(t, f, `<SalesTaxCodeAddRq><SalesTaxCodeAdd><Name>Lux</Name><IsTaxable>true</IsTaxable></SalesTaxCodeAdd></SalesTaxCodeAddRq>`)
	ok(t, f, `<SalesTaxCodeAddRq><SalesTaxCodeAdd><Name>Out</Name><IsTaxable>false</IsTaxable></SalesTaxCodeAdd></SalesTaxCodeAddRq>`)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Amount>100.00</Amount><SalesTaxCodeRef><FullName>Lux</FullName></SalesTaxCodeRef></InvoiceLineAdd>
		<InvoiceLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Amount>40.00</Amount><SalesTaxCodeRef><FullName>Out</FullName></SalesTaxCodeRef></InvoiceLineAdd>
		</InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	if got, want := []string{textAt(inv, "Subtotal"), textAt(inv, "SalesTaxTotal"), textAt(inv, "BalanceRemaining")}, []string{"140.00", "7.25", "147.25"}; !cmp.Equal(got, want) {
		t.Errorf("Subtotal, SalesTaxTotal, BalanceRemaining = %v, want %v", got, want)
	}
}

// A sales tax group's rate is the sum of its items' rates; it charges
// each item on the taxable amount rounded to the cent, and its tax is
// their sum, owed to each item's agency as each item's share ([group],
// [items]).
func TestASalesTaxGroupChargesEachOfItsItemsRoundedToTheCent(t *testing.T) {
	f, _ := newTestFile(t)
	addTaxSetup(t, f)
	group := `<ItemSalesTaxRef><FullName>Combined 6</FullName></ItemSalesTaxRef>`
	inv := sale(t, f, "Invoice", "Acme Corp", group, "69.62")
	if got, want := append(taxOf(inv), textAt(inv, "BalanceRemaining")), []string{"Combined 6", "6", "4.17", "", "73.79"}; !cmp.Equal(got, want) {
		t.Errorf("invoice: tax item, rate, tax, customer code, balance = %v, want %v", got, want)
	}
	// The Acctivate example: 1% + 0.5% + 0.5% + 6.25% of 35.50.
	agency := `<TaxVendorRef><FullName>State Board of Equalization</FullName></TaxVendorRef>`
	for _, it := range [][2]string{{"FWCTY", "1"}, {"FWMTA", "0.5"}, {"FWCR", "0.5"}, {"TX", "6.25"}} {
		ok(t, f, `<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>`+it[0]+`</Name><TaxRate>`+it[1]+`</TaxRate>`+agency+`</ItemSalesTaxAdd></ItemSalesTaxAddRq>`)
	}
	ok(t, f, `<ItemSalesTaxGroupAddRq><ItemSalesTaxGroupAdd><Name>FW</Name><ItemSalesTaxRef><FullName>FWCTY</FullName></ItemSalesTaxRef><ItemSalesTaxRef><FullName>FWMTA</FullName></ItemSalesTaxRef>
		<ItemSalesTaxRef><FullName>FWCR</FullName></ItemSalesTaxRef><ItemSalesTaxRef><FullName>TX</FullName></ItemSalesTaxRef></ItemSalesTaxGroupAdd></ItemSalesTaxGroupAddRq>`)
	receipt := sale(t, f, "SalesReceipt", "Acme Corp", `<ItemSalesTaxRef><FullName>FW</FullName></ItemSalesTaxRef>`, "35.50")
	if got, want := []string{textAt(receipt, "SalesTaxPercentage"), textAt(receipt, "SalesTaxTotal"), textAt(receipt, "TotalAmount")}, []string{"8.25", "2.94", "38.44"}; !cmp.Equal(got, want) {
		t.Errorf("sales receipt with FW: rate, tax, total = %v, want %v", got, want)
	}
	memo := sale(t, f, "CreditMemo", "Acme Corp", group, "10.00")
	if got, want := []string{textAt(memo, "SalesTaxTotal"), textAt(memo, "CreditRemaining")}, []string{"0.60", "10.60"}; !cmp.Equal(got, want) {
		t.Errorf("credit memo: tax, credit = %v, want %v", got, want)
	}

	wantBalancesOf(t, f, map[string]string{"Sales Tax Payable": "6.51", "Accounts Receivable": "63.19"})
	owed := map[string]string{}
	for _, r := range kids(ok(t, f, `<SalesTaxPayableQueryRq/>`), "SalesTaxPayableRet") {
		for _, l := range kids(r, "SalesTaxPayableLineRet") {
			owed[textAt(l, "ItemSalesTaxRef/FullName")] = textAt(l, "Amount")
		}
	}
	// 4% of 69.62 - 10.00 and 2% likewise; 35.50 at each FW rate.
	want := map[string]string{"State 4": "2.38", "County 2": "1.19", "FWCTY": "0.36", "FWMTA": "0.18", "FWCR": "0.18", "TX": "2.22"}
	if diff := cmp.Diff(want, owed); diff != "" {
		t.Errorf("sales tax owed by item (-want +got):\n%s", diff)
	}
}

// A sales tax item is charged on the taxable subtotal and rounded to the
// cent once, not line by line ([items]); invoices, sales receipts and
// credit memos alike, and the Sales Tax Payable account takes each
// form's SalesTaxTotal.
func TestASalesTaxItemIsRoundedOnceOnTheTaxableSubtotal(t *testing.T) {
	f, _ := newTestFile(t)
	addTaxSetup(t, f)
	// Three lines of 35.50 at 7.25%: 2.57375 each (2.57, 7.71 for the
	// three), 7.72125 on their 106.50.
	for _, typ := range []string{"Invoice", "SalesReceipt", "CreditMemo"} {
		ret := sale(t, f, typ, "Acme Corp", "", "35.50", "35.50", "35.50")
		if got, want := []string{textAt(ret, "Subtotal"), textAt(ret, "SalesTaxTotal")}, []string{"106.50", "7.72"}; !cmp.Equal(got, want) {
			t.Errorf("%s: Subtotal, SalesTaxTotal = %v, want %v", typ, got, want)
		}
	}
	wantBalancesOf(t, f, map[string]string{"Sales Tax Payable": "7.72", "Accounts Receivable": "0.00", "Undeposited Funds": "114.22"})
	if got := textAt(ok(t, f, `<SalesTaxPayableQueryRq/>`), "SalesTaxPayableRet/Amount"); got != "7.72" {
		t.Errorf("sales tax owed %s, want 7.72", got)
	}
}
