package companyfile

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// What QuickBooks does with an item line that names the item but no price
// and no amount, and the sources:
//
//   - The price is optional on every item line: a sales line's Rate,
//     RatePercent and PriceLevelRef are one optional choice and its
//     Amount is optional, as are a purchase line's Cost and Amount
//     (Intuit's qbXML 13.0 schema, qbxml130.xsd, TxnLineCorePriceLevelAdd
//     and ItemLineAdd).
//   - A line that names an item and a quantity only is how the CData
//     QuickBooks driver documents adding invoice and bill lines ("INSERT
//     INTO InvoiceLineItems (CustomerName, ItemName, ItemQuantity) ...",
//     cdn.cdata.com/help/RQK/odbc/pg_table-invoicelineitems.htm; the same
//     for bills, cdn.cdata.com/help/RQK/rssis/pg_table-billlineitems.htm):
//     such lines carry the item's price in QuickBooks, or those invoices
//     would be for nothing.
//   - "If Rate, Cost and/or Quantity are specified the Amount will be
//     automatically computed by QuickBooks"; Rate on sales forms and
//     purchase orders, Cost on the other purchases (/n software
//     QuickBooks Integrator, SalesReceiptItem.Amount,
//     cdn.nsoftware.com/help/BBF/macos/SalesReceiptType_SalesReceiptItem.htm).
//
// Not documented, and chosen as QuickBooks' forms behave when an item is
// picked on a line (unverified against the SDK):
//
//   - The price is the item's sales price on a sales form (SalesPrice,
//     SalesAndPurchase/SalesPrice, SalesOrPurchase/Price) and its purchase
//     cost on a purchase (PurchaseCost, SalesAndPurchase/PurchaseCost,
//     SalesOrPurchase/Price), and it is returned as the line's Rate (Cost
//     on bills, checks, card charges and credits, item receipts and
//     vendor credits).
//   - A line with no Quantity is for one: its Amount is the price, and
//     it has no Quantity.
//   - Only new lines are priced: an Add's, or a Mod's line with TxnLineID
//     -1; a stored line keeps its price.
//   - An item priced as a percentage, and a line naming a price level,
//     are not priced from the item here (the simulator does not apply
//     price levels).

// addPricedItems adds, besides addGroupItems' Bolt (sold at 9, bought at
// 2) and Install (sold at 50, bought at 30), a service "Survey" with a
// single price of 40 for either side (SalesOrPurchase).
func addPricedItems(tb testing.TB, f *File) {
	tb.Helper()
	addGroupItems(tb, f)
	ok(tb, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Survey</Name><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef>
		<SalesOrPurchase><Desc>Site survey</Desc><Price>40</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase>
		</ItemServiceAdd></ItemServiceAddRq>`)
}

// lineSummaries describes each item line of a transaction Ret as item,
// quantity, price (Rate or Cost) and amount.
func lineSummaries(ret *qbxml.Node) []string {
	var out []string
	for _, l := range ret.Children {
		if _, ok := lineCategory(l.Name); !ok || isGroupLine(l.Name) || !hasKid(l, "ItemRef") {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s @ %s = %s", textAt(l, "ItemRef/FullName"), textAt(l, "Quantity"), textAt(l, "Rate")+textAt(l, "Cost"), textAt(l, "Amount")))
	}
	return out
}

func TestAnItemLineWithoutAPriceTakesTheItemsPriceOnEveryKindOfTransaction(t *testing.T) {
	f, _ := newTestFile(t)
	addPricedItems(t, f)
	customer := `<CustomerRef><FullName>Acme Corp</FullName></CustomerRef>`
	vendor := `<VendorRef><FullName>Bolt Supply</FullName></VendorRef>`
	payee := `<PayeeEntityRef><FullName>Bolt Supply</FullName></PayeeEntityRef>`
	sold := []string{"Bolt 3 @ 9 = 27.00", "Install 2 @ 50 = 100.00", "Survey 1 @ 40 = 40.00"}
	bought := []string{"Bolt 3 @ 2 = 6.00", "Install 2 @ 30 = 60.00", "Survey 1 @ 40 = 40.00"}
	for _, c := range []struct {
		typ, head, line, totalName, total string
		want                              []string
	}{
		{"Invoice", customer, "InvoiceLineAdd", "Subtotal", "167.00", sold},
		{"SalesReceipt", customer, "SalesReceiptLineAdd", "Subtotal", "167.00", sold},
		{"CreditMemo", customer, "CreditMemoLineAdd", "Subtotal", "167.00", sold},
		{"Estimate", customer, "EstimateLineAdd", "Subtotal", "167.00", sold},
		{"SalesOrder", customer, "SalesOrderLineAdd", "Subtotal", "167.00", sold},
		{"PurchaseOrder", vendor, "PurchaseOrderLineAdd", "TotalAmount", "106.00", bought},
		{"Bill", vendor, "ItemLineAdd", "AmountDue", "106.00", bought},
		{"ItemReceipt", vendor, "ItemLineAdd", "TotalAmount", "106.00", bought},
		{"VendorCredit", vendor, "ItemLineAdd", "CreditAmount", "106.00", bought},
		{"Check", `<AccountRef><FullName>Checking</FullName></AccountRef>` + payee, "ItemLineAdd", "Amount", "106.00", bought},
		{"CreditCardCharge", `<AccountRef><FullName>Credit Card</FullName></AccountRef>` + payee, "ItemLineAdd", "Amount", "106.00", bought},
		{"CreditCardCredit", `<AccountRef><FullName>Credit Card</FullName></AccountRef>` + payee, "ItemLineAdd", "Amount", "106.00", bought},
	} {
		t.Run(c.typ, func(t *testing.T) {
			line := func(item, qty string) string {
				return `<` + c.line + `><ItemRef><FullName>` + item + `</FullName></ItemRef><Quantity>` + qty + `</Quantity></` + c.line + `>`
			}
			ret := kid(ok(t, f, `<`+c.typ+`AddRq><`+c.typ+`Add>`+c.head+line("Bolt", "3")+line("Install", "2")+line("Survey", "1")+`</`+c.typ+`Add></`+c.typ+`AddRq>`), c.typ+"Ret")
			if diff := cmp.Diff(c.want, lineSummaries(ret)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if got := textAt(ret, c.totalName); got != c.total {
				t.Errorf("%s %s, want %s", c.totalName, got, c.total)
			}
		})
	}
}

// The filled price is the line's as if the request had named it: the
// sales tax, the customer's and vendor's balances, the stock and its cost,
// and the accounts follow from it.
func TestAnItemsPriceOnALineMovesTaxBalancesStockAndTheBooks(t *testing.T) {
	f, _ := newTestFile(t)
	addPricedItems(t, f)
	ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
		<ItemLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>10</Quantity></ItemLineAdd></BillAdd></BillAddRq>`)
	if got := onHandAndCost(t, f, "Bolt"); got != "110 @ 2" {
		t.Errorf("Bolt after buying 10 at its cost of 2: %s, want 110 @ 2", got)
	}
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>
		<InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>4</Quantity></InvoiceLineAdd>
		<InvoiceLineAdd><ItemRef><FullName>Install</FullName></ItemRef><Quantity>1</Quantity></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	// 4 bolts at 9 (taxable) and one installation at 50: 7.25% of 36.00.
	if got, want := []string{textAt(inv, "Subtotal"), textAt(inv, "SalesTaxTotal"), textAt(inv, "BalanceRemaining")}, []string{"86.00", "2.61", "88.61"}; !cmp.Equal(got, want) {
		t.Errorf("invoice Subtotal, SalesTaxTotal, BalanceRemaining = %v, want %v", got, want)
	}
	if got := onHandAndCost(t, f, "Bolt"); got != "106 @ 2" {
		t.Errorf("Bolt after selling 4: %s, want 106 @ 2", got)
	}
	if got := []string{balanceOf(t, f, "Customer", "Acme Corp"), balanceOf(t, f, "Vendor", "Bolt Supply")}; !cmp.Equal(got, []string{"88.61", "20.00"}) {
		t.Errorf("customer and vendor balances %v, want the invoice's 88.61 and the bill's 20.00", got)
	}
	wantBalancesOf(t, f, map[string]string{
		"Product Sales":       "36.00",
		"Services":            "50.00",
		"Sales Tax Payable":   "2.61",
		"Accounts Receivable": "88.61",
		"Cost of Goods Sold":  "8.00", // 4 bolts at an average cost of 2
		"Accounts Payable":    "20.00",
	})
}

// A line with an item and no Quantity is for one of it (unverified: the
// form's Amount is the price when the quantity is left blank).
func TestAnItemLineWithoutAQuantityOrPriceIsForOneAtTheItemsPrice(t *testing.T) {
	f, _ := newTestFile(t)
	addPricedItems(t, f)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineAdd><ItemRef><FullName>Install</FullName></ItemRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	if diff := cmp.Diff([]string{"Install  @ 50 = 50.00"}, lineSummaries(inv)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
		<ItemLineAdd><ItemRef><FullName>Install</FullName></ItemRef></ItemLineAdd></BillAdd></BillAddRq>`), "BillRet")
	if diff := cmp.Diff([]string{"Install  @ 30 = 30.00"}, lineSummaries(bill)); diff != "" {
		t.Errorf("bill lines (-want +got):\n%s", diff)
	}
}

// A price or an amount the request names is the line's: the item's price
// fills only a line that names neither.
func TestAnItemLineNamingARateCostOrAmountKeepsIt(t *testing.T) {
	f, _ := newTestFile(t)
	addPricedItems(t, f)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>2</Quantity><Rate>7.5</Rate></InvoiceLineAdd>
		<InvoiceLineAdd><ItemRef><FullName>Install</FullName></ItemRef><Amount>45</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	if diff := cmp.Diff([]string{"Bolt 2 @ 7.5 = 15.00", "Install  @  = 45.00"}, lineSummaries(inv)); diff != "" {
		t.Errorf("invoice lines (-want +got):\n%s", diff)
	}
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
		<ItemLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>2</Quantity><Cost>3</Cost></ItemLineAdd></BillAdd></BillAddRq>`), "BillRet")
	if diff := cmp.Diff([]string{"Bolt 2 @ 3 = 6.00"}, lineSummaries(bill)); diff != "" {
		t.Errorf("bill lines (-want +got):\n%s", diff)
	}
}

// A Mod's new line (TxnLineID -1) is priced from its item, inside a group
// line too; the stored lines keep their prices (Intuit's InvoiceMod
// reference: "If you want to add a new line, supply an InvoiceLineMod
// with its TxnLineID value set to -1", developer.intuit.com
// .../qbdesktop/invoicemod).
func TestANewLineOfAModTakesTheItemsPrice(t *testing.T) {
	f, _ := newTestFile(t)
	addPricedItems(t, f)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>2</Quantity><Rate>10</Rate></InvoiceLineAdd>
		<InvoiceLineGroupAdd><ItemGroupRef><FullName>Install Only</FullName></ItemGroupRef></InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	id, bolt := textAt(inv, "TxnID"), textAt(inv, "InvoiceLineRet/TxnLineID")
	group := kid(inv, "InvoiceLineGroupRet")
	install := textAt(memberLines(group)[0], "TxnLineID")
	ret := kid(ok(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+textAt(inv, "EditSequence")+`</EditSequence>
		<InvoiceLineMod><TxnLineID>`+bolt+`</TxnLineID></InvoiceLineMod>
		<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Survey</FullName></ItemRef><Quantity>2</Quantity></InvoiceLineMod>
		<InvoiceLineGroupMod><TxnLineID>`+textAt(group, "TxnLineID")+`</TxnLineID>
			<InvoiceLineMod><TxnLineID>`+install+`</TxnLineID></InvoiceLineMod>
			<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>3</Quantity></InvoiceLineMod>
		</InvoiceLineGroupMod></InvoiceMod></InvoiceModRq>`), "InvoiceRet")
	if diff := cmp.Diff([]string{"Bolt 2 @ 10 = 20.00", "Survey 2 @ 40 = 80.00"}, lineSummaries(ret)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	want := `Install Only x "Installation visit" print=false total=77.00: [Install 1 @ 50 = 50.00 "Installation"] [Bolt 3 @ 9 = 27.00 ""]`
	if got := groupSummary(kid(ret, "InvoiceLineGroupRet")); got != want {
		t.Errorf("group line:\n got %s\nwant %s", got, want)
	}
	if got := textAt(ret, "Subtotal"); got != "177.00" {
		t.Errorf("Subtotal %s, want 177.00", got)
	}
}
