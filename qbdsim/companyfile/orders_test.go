package companyfile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// quantities returns an item's QuantityOnHand, QuantityOnOrder and
// QuantityOnSalesOrder.
func quantities(tb testing.TB, f *File, item string) string {
	tb.Helper()
	it := ok(tb, f, `<ItemQueryRq><FullName>`+item+`</FullName></ItemQueryRq>`).Children[0]
	return textAt(it, "QuantityOnHand") + " on hand, " + textAt(it, "QuantityOnOrder") + " on order, " + textAt(it, "QuantityOnSalesOrder") + " on sales orders"
}

// wantBolt fails unless Bolt's quantities (see quantities) are want
// after what.
func wantBolt(tb testing.TB, f *File, what, want string) {
	tb.Helper()
	if got := quantities(tb, f, "Bolt"); got != want {
		tb.Errorf("%s: Bolt %s, want %s", what, got, want)
	}
}

// addBoltAndSupplier adds an inventory part Bolt (10 on hand at 2.00)
// and a vendor Bolt Supply to a company with a customer Acme Corp.
func addBoltAndSupplier(tb testing.TB, f *File) {
	tb.Helper()
	addCustomerAndItems(tb, f)
	ok(tb, f, `<VendorAddRq><VendorAdd><Name>Bolt Supply</Name></VendorAdd></VendorAddRq>`)
	ok(tb, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><SalesDesc>Hex bolt</SalesDesc><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`)
}

// mod sends a Mod of a transaction (its Ret as last read) with body.
func modTxn(tb testing.TB, f *File, typ string, ret *qbxml.Node, body string) *qbxml.Node {
	tb.Helper()
	return kid(ok(tb, f, `<`+typ+`ModRq><`+typ+`Mod><TxnID>`+textAt(ret, "TxnID")+`</TxnID><EditSequence>`+textAt(ret, "EditSequence")+`</EditSequence>`+body+
		`</`+typ+`Mod></`+typ+`ModRq>`), typ+"Ret")
}

// An open purchase order puts what it orders of an inventory part on
// order, and receiving it takes that off order and puts it on hand.
// QuickBooks' item list and stock status report show on order ("On PO")
// the units ordered on purchase orders and not yet received; an item
// receipt or bill entered against a purchase order updates the order,
// and through the SDK it does so only when its Add links to the order,
// with LinkToTxnID (the whole order, its open lines brought in) or an
// item line's LinkToTxn (one line, whose item the line takes and cannot
// name itself); only an Add links, never a Mod
// (https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/linking-itemreciept-bill-to-purchase-order-invoice-to-sales-order,
// https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/itemreceiptadd).
// The same order may not be linked both ways in one request, and a link
// to an order with nothing open left is refused when nothing else is
// on the transaction (the request reference as summarised at
// https://www.letsyncsolution.com/docs/linkedtxnret/). Receiving every
// item marks the order received in full; closing it, or a line of it,
// by hand makes QuickBooks subtract the quantity not received from the
// quantity on order
// (http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Purchase_Orders/task_po_edit_detail1.html).
// Deleting or voiding what received the items puts them back on order.
func TestPurchaseOrdersPutItemsOnOrderUntilReceived(t *testing.T) {
	f, _ := newTestFile(t)
	addBoltAndSupplier(t, f)
	po := kid(ok(t, f, `<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>10</Quantity><Rate>2.50</Rate></PurchaseOrderLineAdd>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>5</Quantity><Rate>2.40</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`), "PurchaseOrderRet")
	wantBolt(t, f, "a purchase order for 10 and 5", "10 on hand, 15 on order, 0 on sales orders")
	lines := kids(po, "PurchaseOrderLineRet")

	// Four of the ten received on an item receipt that links to the line.
	receipt := kid(ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-05</TxnDate>
		<ItemLineAdd><Quantity>4</Quantity><LinkToTxn><TxnID>`+textAt(po, "TxnID")+`</TxnID><TxnLineID>`+textAt(lines[0], "TxnLineID")+`</TxnLineID></LinkToTxn></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`), "ItemReceiptRet")
	if got := textAt(receipt, "ItemLineRet/ItemRef/FullName") + " " + textAt(receipt, "ItemLineRet/Cost") + " " + textAt(receipt, "ItemLineRet/Amount"); got != "Bolt 2.50 10.00" {
		t.Errorf("the linked receipt line: %s, want the order line's item and cost: Bolt 2.50 10.00", got)
	}
	wantBolt(t, f, "4 received against the first line", "14 on hand, 11 on order, 0 on sales orders")
	po = kid(ok(t, f, `<PurchaseOrderQueryRq><TxnID>`+textAt(po, "TxnID")+`</TxnID><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>`), "PurchaseOrderRet")
	if got := textAt(po, "PurchaseOrderLineRet/ReceivedQuantity") + " " + textAt(po, "IsFullyReceived"); got != "4 false" {
		t.Errorf("the order after the receipt: ReceivedQuantity IsFullyReceived %s, want 4 false", got)
	}

	wantStatus(t, one(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><LinkToTxnID>`+textAt(po, "TxnID")+`</LinkToTxnID>
		<ItemLineAdd><LinkToTxn><TxnID>`+textAt(po, "TxnID")+`</TxnID><TxnLineID>`+textAt(lines[1], "TxnLineID")+`</TxnLineID></LinkToTxn></ItemLineAdd></BillAdd></BillAddRq>`), "3210")

	// A bill that links to the whole order brings in what is open of it.
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-08</TxnDate>
		<LinkToTxnID>`+textAt(po, "TxnID")+`</LinkToTxnID></BillAdd></BillAddRq>`), "BillRet")
	var brought []string
	for _, l := range kids(bill, "ItemLineRet") {
		brought = append(brought, textAt(l, "Quantity")+" @ "+textAt(l, "Cost"))
	}
	if got := len(brought); got != 2 || brought[0] != "6 @ 2.50" || brought[1] != "5 @ 2.40" || textAt(bill, "AmountDue") != "27.00" {
		t.Errorf("the bill linked to the order: lines %v, amount due %s; want [6 @ 2.50 5 @ 2.40] 27.00", brought, textAt(bill, "AmountDue"))
	}
	wantBolt(t, f, "the rest billed", "25 on hand, 0 on order, 0 on sales orders")
	if got := textAt(ok(t, f, `<PurchaseOrderQueryRq><TxnID>`+textAt(po, "TxnID")+`</TxnID></PurchaseOrderQueryRq>`), "PurchaseOrderRet/IsFullyReceived"); got != "true" {
		t.Errorf("the order received in full: IsFullyReceived %s", got)
	}
	wantStatus(t, one(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><LinkToTxnID>`+textAt(po, "TxnID")+`</LinkToTxnID></BillAdd></BillAddRq>`), "3210")

	ok(t, f, `<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>`+textAt(bill, "TxnID")+`</TxnID></TxnDelRq>`)
	wantBolt(t, f, "the bill deleted", "14 on hand, 11 on order, 0 on sales orders")
	ok(t, f, `<TxnVoidRq><TxnVoidType>ItemReceipt</TxnVoidType><TxnID>`+textAt(receipt, "TxnID")+`</TxnID></TxnVoidRq>`)
	wantBolt(t, f, "the receipt voided", "10 on hand, 15 on order, 0 on sales orders")

	po = kid(ok(t, f, `<PurchaseOrderQueryRq><TxnID>`+textAt(po, "TxnID")+`</TxnID><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>`), "PurchaseOrderRet")
	po = modTxn(t, f, "PurchaseOrder", po, `<PurchaseOrderLineMod><TxnLineID>`+textAt(lines[0], "TxnLineID")+`</TxnLineID><IsManuallyClosed>true</IsManuallyClosed></PurchaseOrderLineMod>
		<PurchaseOrderLineMod><TxnLineID>`+textAt(lines[1], "TxnLineID")+`</TxnLineID><Quantity>7</Quantity></PurchaseOrderLineMod>`)
	wantBolt(t, f, "the first line closed, the second raised to 7", "10 on hand, 7 on order, 0 on sales orders")
	po = modTxn(t, f, "PurchaseOrder", po, `<IsManuallyClosed>true</IsManuallyClosed>`)
	wantBolt(t, f, "the order closed", "10 on hand, 0 on order, 0 on sales orders")
	modTxn(t, f, "PurchaseOrder", po, `<IsManuallyClosed>false</IsManuallyClosed>`)
	wantBolt(t, f, "the order reopened", "10 on hand, 7 on order, 0 on sales orders")
	ok(t, f, `<TxnDelRq><TxnDelType>PurchaseOrder</TxnDelType><TxnID>`+textAt(po, "TxnID")+`</TxnID></TxnDelRq>`)
	wantBolt(t, f, "the order deleted", "10 on hand, 0 on order, 0 on sales orders")
}

// An open sales order puts what it sells of an inventory part on sales
// orders until it is invoiced; QuickBooks shows as available what is on
// hand less what is on sales orders, and on each sales order line what
// was invoiced before
// (http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Sales_Orders/popup_so_terms.html);
// QuantityOnSalesOrder counts the units sold on sales orders and not yet
// delivered (https://cdn.cdata.com/help/RQM/ado/pg_table-buildassemblylineitems.htm).
// An invoice invoices a sales order when its Add links to it, as a bill
// receives a purchase order (see
// TestPurchaseOrdersPutItemsOnOrderUntilReceived): then the order's
// lines count what was invoiced (Invoiced) and the order is invoiced in
// full (IsFullyInvoiced) when every line is.
func TestSalesOrdersPutItemsOnSalesOrderUntilInvoiced(t *testing.T) {
	f, _ := newTestFile(t)
	addBoltAndSupplier(t, f)
	so := kid(ok(t, f, `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<SalesOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>8</Quantity><Rate>9</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`), "SalesOrderRet")
	wantBolt(t, f, "a sales order for 8", "10 on hand, 0 on order, 8 on sales orders")
	line := textAt(so, "SalesOrderLineRet/TxnLineID")

	// Naming the item on a linked line is refused; so is another
	// customer's order.
	wantStatus(t, one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>3</Quantity>
		<LinkToTxn><TxnID>`+textAt(so, "TxnID")+`</TxnID><TxnLineID>`+line+`</TxnLineID></LinkToTxn></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "3210")
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Other Co</Name></CustomerAdd></CustomerAddRq>`)
	wantStatus(t, one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Other Co</FullName></CustomerRef><LinkToTxnID>`+textAt(so, "TxnID")+`</LinkToTxnID></InvoiceAdd></InvoiceAddRq>`), "3140")

	first := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-02</TxnDate><InvoiceLineAdd><Quantity>3</Quantity>
		<LinkToTxn><TxnID>`+textAt(so, "TxnID")+`</TxnID><TxnLineID>`+line+`</TxnLineID></LinkToTxn></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	if got := textAt(first, "InvoiceLineRet/ItemRef/FullName") + " " + textAt(first, "Subtotal"); got != "Bolt 27.00" {
		t.Errorf("the invoice linked to the order line: %s, want Bolt 27.00", got)
	}
	wantBolt(t, f, "3 invoiced", "7 on hand, 0 on order, 5 on sales orders")
	second := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-03</TxnDate>
		<LinkToTxnID>`+textAt(so, "TxnID")+`</LinkToTxnID></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	wantBolt(t, f, "the rest invoiced", "2 on hand, 0 on order, 0 on sales orders")
	so = kid(ok(t, f, `<SalesOrderQueryRq><TxnID>`+textAt(so, "TxnID")+`</TxnID><IncludeLineItems>true</IncludeLineItems></SalesOrderQueryRq>`), "SalesOrderRet")
	if got := textAt(so, "SalesOrderLineRet/Invoiced") + " " + textAt(so, "IsFullyInvoiced"); got != "8 true" {
		t.Errorf("the order invoiced in full: Invoiced IsFullyInvoiced %s, want 8 true", got)
	}

	// The second invoice changed to 2 of the 5 it brought in.
	modTxn(t, f, "Invoice", second, `<InvoiceLineMod><TxnLineID>`+textAt(second, "InvoiceLineRet/TxnLineID")+`</TxnLineID><Quantity>2</Quantity></InvoiceLineMod>`)
	wantBolt(t, f, "the second invoice down to 2", "5 on hand, 0 on order, 3 on sales orders")
	so = kid(ok(t, f, `<SalesOrderQueryRq><TxnID>`+textAt(so, "TxnID")+`</TxnID></SalesOrderQueryRq>`), "SalesOrderRet")
	modTxn(t, f, "SalesOrder", so, `<IsManuallyClosed>true</IsManuallyClosed>`)
	wantBolt(t, f, "the order closed", "5 on hand, 0 on order, 0 on sales orders")
}

// A build lists its components, each with the quantity on hand and the
// quantity the build needs (ComponentItemLineRet of BuildAssemblyRet,
// qbXML 13.0 schema; a build takes each component off hand,
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/the-assemblyitem-and-buildassembly-requests
// and http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Inventory/intro_build_assem_vs_adj_qoh.html);
// a query returns them when asked (IncludeComponentLineItems). An open
// purchase order for an assembly puts it on order like a part.
func TestBuildListsItsComponents(t *testing.T) {
	f, _ := newTestFile(t)
	if err := f.SetFeature(FeatureAssemblies, true); err != nil {
		t.Fatal(err)
	}
	addBoltAndSupplier(t, f)
	ok(t, f, `<ItemInventoryAssemblyAddRq><ItemInventoryAssemblyAdd><Name>Kit</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
		<ItemInventoryAssemblyLine><ItemInventoryRef><FullName>Bolt</FullName></ItemInventoryRef><Quantity>4</Quantity></ItemInventoryAssemblyLine></ItemInventoryAssemblyAdd></ItemInventoryAssemblyAddRq>`)
	build := kid(ok(t, f, `<BuildAssemblyAddRq><BuildAssemblyAdd><ItemInventoryAssemblyRef><FullName>Kit</FullName></ItemInventoryAssemblyRef><TxnDate>2025-03-01</TxnDate>
		<QuantityToBuild>2</QuantityToBuild></BuildAssemblyAdd></BuildAssemblyAddRq>`), "BuildAssemblyRet")
	c := kid(build, "ComponentItemLineRet")
	if got := textAt(c, "ItemRef/FullName") + " " + textAt(c, "Desc") + " " + textAt(c, "QuantityOnHand") + " " + textAt(c, "QuantityNeeded"); got != "Bolt Hex bolt 10 8" {
		t.Errorf("the build's component: %s, want Bolt Hex bolt 10 8", got)
	}
	q := `<BuildAssemblyQueryRq><TxnID>` + textAt(build, "TxnID") + `</TxnID>%s</BuildAssemblyQueryRq>`
	if kid(kid(ok(t, f, fmt.Sprintf(q, "")), "BuildAssemblyRet"), "ComponentItemLineRet") != nil {
		t.Error("a query that does not ask for component lines returns them")
	}
	if got := textAt(ok(t, f, fmt.Sprintf(q, "<IncludeComponentLineItems>true</IncludeComponentLineItems>")), "BuildAssemblyRet/ComponentItemLineRet/QuantityNeeded"); got != "8" {
		t.Errorf("IncludeComponentLineItems: QuantityNeeded %q, want 8", got)
	}
	ok(t, f, `<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate>
		<PurchaseOrderLineAdd><ItemRef><FullName>Kit</FullName></ItemRef><Quantity>3</Quantity><Rate>20</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`)
	if got := quantities(t, f, "Kit"); got != "2 on hand, 3 on order, 0 on sales orders" {
		t.Errorf("Kit: %s after a purchase order for 3", got)
	}
}

// A purchase order line says what bills have not yet billed of it
// (UnbilledQuantity) and whether they billed it all (IsBilled), apart
// from what was received (ReceivedQuantity): PurchaseOrderLineRet has
// the three since qbXML 13.0 (its schema), when QuickBooks Enterprise
// began to keep an item receipt and its bill as two transactions, with a
// link "from a Purchase Order to a Bill" of its own (Intuit, "Linking
// item receipt and bill to purchase order, invoice to sales order",
// Split Option for Bills and Item Receipts:
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/linking-itemreciept-bill-to-purchase-order-invoice-to-sales-order).
// A bill receives and bills; an item receipt receives only, its items
// owed until their bill. Deleting the bill, or ordering more, leaves
// more to bill. Sales order lines have no such elements: an invoice is
// the bill of a sale.
func TestPurchaseOrderLinesCountWhatBillsBilled(t *testing.T) {
	f, _ := newTestFile(t)
	addBoltAndSupplier(t, f)
	po := kid(ok(t, f, `<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>10</Quantity><Rate>2.50</Rate></PurchaseOrderLineAdd>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>5</Quantity><Rate>2.40</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`), "PurchaseOrderRet")
	poID, lines := textAt(po, "TxnID"), kids(po, "PurchaseOrderLineRet")
	state := func(po *qbxml.Node) []string {
		var out []string
		for _, l := range kids(po, "PurchaseOrderLineRet") {
			out = append(out, fmt.Sprintf("%s received, %s unbilled, billed %s", textAt(l, "ReceivedQuantity"), textAt(l, "UnbilledQuantity"), textAt(l, "IsBilled")))
		}
		return out
	}
	step := func(what string, want ...string) *qbxml.Node {
		t.Helper()
		po := kid(ok(t, f, `<PurchaseOrderQueryRq><TxnID>`+poID+`</TxnID><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>`), "PurchaseOrderRet")
		if diff := cmp.Diff(want, state(po)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
		return po
	}
	if diff := cmp.Diff([]string{"0 received, 10 unbilled, billed false", "0 received, 5 unbilled, billed false"}, state(po)); diff != "" {
		t.Errorf("the new order (-want +got):\n%s", diff)
	}
	linkLine := func(i int, qty string) string {
		return `<ItemLineAdd><Quantity>` + qty + `</Quantity><LinkToTxn><TxnID>` + poID + `</TxnID><TxnLineID>` + textAt(lines[i], "TxnLineID") + `</TxnLineID></LinkToTxn></ItemLineAdd>`
	}
	ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>`+linkLine(0, "4")+`</ItemReceiptAdd></ItemReceiptAddRq>`)
	step("4 of the first line received", "4 received, 10 unbilled, billed false", "0 received, 5 unbilled, billed false")
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>`+linkLine(0, "6")+`</BillAdd></BillAddRq>`), "BillRet")
	ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>`+linkLine(1, "5")+`</BillAdd></BillAddRq>`)
	po = step("6 of the first line and the second billed", "10 received, 4 unbilled, billed false", "5 received, 0 unbilled, billed true")
	modTxn(t, f, "PurchaseOrder", po, `<PurchaseOrderLineMod><TxnLineID>`+textAt(lines[0], "TxnLineID")+`</TxnLineID></PurchaseOrderLineMod>
		<PurchaseOrderLineMod><TxnLineID>`+textAt(lines[1], "TxnLineID")+`</TxnLineID><Quantity>7</Quantity></PurchaseOrderLineMod>`)
	step("the second line raised to 7", "10 received, 4 unbilled, billed false", "5 received, 2 unbilled, billed false")
	ok(t, f, `<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>`+textAt(bill, "TxnID")+`</TxnID></TxnDelRq>`)
	step("the first bill deleted", "4 received, 10 unbilled, billed false", "5 received, 2 unbilled, billed false")

	so := kid(ok(t, f, `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<SalesOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>8</Quantity><Rate>9</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`), "SalesOrderRet")
	if l := kid(so, "SalesOrderLineRet"); kid(l, "UnbilledQuantity") != nil || kid(l, "IsBilled") != nil {
		t.Errorf("a sales order line with UnbilledQuantity or IsBilled: %s", marshalNode(l))
	}
}

// A Mod that removes or replaces a linked line takes its link with it. An
// InvoiceMod, BillMod or ItemReceiptMod deletes the stored lines it does
// not name, keeps (and merges) those it names by TxnLineID and adds those
// with TxnLineID -1; a line Mod has no LinkToTxn, so a Mod never links
// (Intuit, InvoiceMod and ItemReceiptMod reference:
// https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/invoicemod;
// the ItemLineMod and InvoiceLineMod content models of the qbXML 13.0
// schema). What is left linked is what IncludeLinkedTxns reports, on both
// sides, and what the order counts as received or invoiced (Intuit,
// "Linking item receipt and bill to purchase order, invoice to sales
// order", Querying for Linked Transactions:
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/linking-itemreciept-bill-to-purchase-order-invoice-to-sales-order).
func TestAModThatRemovesALinkedLineUnlinksItFromItsOrder(t *testing.T) {
	f, _ := newTestFile(t)
	addBoltAndSupplier(t, f)
	query := func(typ, id string) *qbxml.Node {
		t.Helper()
		return kid(ok(t, f, `<`+typ+`QueryRq><TxnID>`+id+`</TxnID><IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns></`+typ+`QueryRq>`), typ+"Ret")
	}
	invoiced := func(so *qbxml.Node) []string {
		var out []string
		for _, l := range kids(so, "SalesOrderLineRet") {
			out = append(out, textAt(l, "Invoiced"))
		}
		return out
	}
	so := kid(ok(t, f, `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate><RefNumber>SO-1</RefNumber>
		<SalesOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>8</Quantity><Rate>9</Rate></SalesOrderLineAdd>
		<SalesOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>4</Quantity><Rate>9</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`), "SalesOrderRet")
	soID := textAt(so, "TxnID")
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-02</TxnDate><RefNumber>I-1</RefNumber>
		<LinkToTxnID>`+soID+`</LinkToTxnID></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	lines := kids(inv, "InvoiceLineRet")
	if len(lines) != 2 {
		t.Fatalf("the invoice brought in %d lines, want 2", len(lines))
	}

	// The second line removed: the first stays linked.
	inv = modTxn(t, f, "Invoice", inv, `<InvoiceLineMod><TxnLineID>`+textAt(lines[0], "TxnLineID")+`</TxnLineID></InvoiceLineMod>`)
	so = query("SalesOrder", soID)
	if diff := cmp.Diff([]string{"8", "0"}, invoiced(so)); diff != "" {
		t.Errorf("Invoiced after the second line was removed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Invoice I-1 QUANTYPE 0.00"}, linked(so)); diff != "" {
		t.Errorf("the order's LinkedTxn while a line still links (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"SalesOrder SO-1 QUANTYPE 0.00"}, linked(query("Invoice", textAt(inv, "TxnID")))); diff != "" {
		t.Errorf("the invoice's LinkedTxn while a line still links (-want +got):\n%s", diff)
	}

	// The kept line replaced by a new one of the same item: nothing links.
	inv = modTxn(t, f, "Invoice", inv, `<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>8</Quantity><Rate>9</Rate></InvoiceLineMod>`)
	so = query("SalesOrder", soID)
	if diff := cmp.Diff([]string{"0", "0"}, invoiced(so)); diff != "" {
		t.Errorf("Invoiced after the linked line was replaced (-want +got):\n%s", diff)
	}
	if got := linked(so); got != nil {
		t.Errorf("the order's LinkedTxn after no line links: %v", got)
	}
	if got := linked(query("Invoice", textAt(inv, "TxnID"))); got != nil {
		t.Errorf("the invoice's LinkedTxn after no line links: %v", got)
	}
	if got := quantities(t, f, "Bolt"); got != "2 on hand, 0 on order, 12 on sales orders" {
		t.Errorf("Bolt: %s, want the invoice's 8 off hand and the order's 12 on sales orders again", got)
	}

	// The same on the purchase side: a receipt's removed line receives
	// nothing and links nothing.
	po := kid(ok(t, f, `<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate><RefNumber>PO-1</RefNumber>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>10</Quantity><Rate>2</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`), "PurchaseOrderRet")
	receipt := kid(ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-05</TxnDate>
		<LinkToTxnID>`+textAt(po, "TxnID")+`</LinkToTxnID></ItemReceiptAdd></ItemReceiptAddRq>`), "ItemReceiptRet")
	receipt = modTxn(t, f, "ItemReceipt", receipt, `<ExpenseLineMod><TxnLineID>-1</TxnLineID><AccountRef><FullName>Cost of Goods Sold</FullName></AccountRef><Amount>5.00</Amount></ExpenseLineMod>
		<ItemLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>1</Quantity><Cost>2</Cost></ItemLineMod>`)
	po = query("PurchaseOrder", textAt(po, "TxnID"))
	if got := textAt(po, "PurchaseOrderLineRet/ReceivedQuantity") + " " + textAt(po, "IsFullyReceived"); got != "0 false" {
		t.Errorf("the order after its receipt's line was replaced: ReceivedQuantity IsFullyReceived %s, want 0 false", got)
	}
	if got := linked(po); got != nil {
		t.Errorf("the purchase order's LinkedTxn after its receipt's line was replaced: %v", got)
	}
	if got := linked(query("ItemReceipt", textAt(receipt, "TxnID"))); got != nil {
		t.Errorf("the receipt's LinkedTxn after its linked line was replaced: %v", got)
	}
}

// A link to an order that is closed, or to a line of it that is, brings
// in nothing: QuickBooks refuses the transaction when it would then be
// empty, and otherwise saves it with its other lines and warns. The
// warning is status 570, "Cannot link to transaction" (Intuit, "Status
// codes in response messages", the 500-999 warnings:
// https://developer.intuit.com/app/developer/qbdesktop/docs/develop/exploring-the-quickbooks-desktop-sdk/status-codes-in-response-messages,
// as recorded in reference/intuit-sdk.md §4.5); the request reference of
// BillAdd, ItemReceiptAdd and InvoiceAdd says an error comes when the
// linked transaction is closed or fully received and the request has no
// other lines, a warning when a link is to a transaction already closed
// (as summarised at https://www.letsyncsolution.com/docs/linkedtxnret/).
// An order line received or invoiced in full is closed as one closed by
// hand; a whole order with an open line left brings in that line without
// a warning.
func TestALinkToAClosedOrderWarnsAndLinksNothing(t *testing.T) {
	f, _ := newTestFile(t)
	addBoltAndSupplier(t, f)
	po := kid(ok(t, f, `<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate><RefNumber>PO-1</RefNumber>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>10</Quantity><Rate>2</Rate></PurchaseOrderLineAdd>
		<PurchaseOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>5</Quantity><Rate>2</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`), "PurchaseOrderRet")
	poID, lines := textAt(po, "TxnID"), kids(po, "PurchaseOrderLineRet")
	modTxn(t, f, "PurchaseOrder", po, `<PurchaseOrderLineMod><TxnLineID>`+textAt(lines[0], "TxnLineID")+`</TxnLineID></PurchaseOrderLineMod>
		<PurchaseOrderLineMod><TxnLineID>`+textAt(lines[1], "TxnLineID")+`</TxnLineID><IsManuallyClosed>true</IsManuallyClosed></PurchaseOrderLineMod>`)

	// The second line closed by hand: the whole order brings in the first.
	receipt := kid(ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-05</TxnDate>
		<LinkToTxnID>`+poID+`</LinkToTxnID></ItemReceiptAdd></ItemReceiptAddRq>`), "ItemReceiptRet")
	if got := len(kids(receipt, "ItemLineRet")); got != 1 {
		t.Errorf("the receipt of the order with a closed line brought in %d lines, want 1", got)
	}
	warned := func(rs *qbxml.Node, what string) *qbxml.Node {
		t.Helper()
		want := `570 Warn Unable to link to transaction "` + poID + `" because it has already been closed.`
		if got := attrValue(rs, "statusCode") + " " + attrValue(rs, "statusSeverity") + " " + attrValue(rs, "statusMessage"); got != want {
			t.Errorf("%s: status %s, want %s", what, got, want)
		}
		return rs.Children[0]
	}
	query := func(typ, id string) *qbxml.Node {
		t.Helper()
		return kid(ok(t, f, `<`+typ+`QueryRq><TxnID>`+id+`</TxnID><IncludeLinkedTxns>true</IncludeLinkedTxns></`+typ+`QueryRq>`), typ+"Ret")
	}

	// Now every line is closed: received in full, or by hand.
	wantStatus(t, one(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><LinkToTxnID>`+poID+`</LinkToTxnID></BillAdd></BillAddRq>`), "3210")
	bill := warned(one(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-08</TxnDate><LinkToTxnID>`+poID+`</LinkToTxnID>
		<ExpenseLineAdd><AccountRef><FullName>Cost of Goods Sold</FullName></AccountRef><Amount>5.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "a bill with an expense line linked to the closed order")
	if got := textAt(bill, "AmountDue") + " " + strconv.Itoa(len(kids(bill, "ItemLineRet"))); got != "5.00 0" {
		t.Errorf("the bill saved with the warning: AmountDue, item lines %s, want 5.00 0", got)
	}
	if got := linked(query("Bill", textAt(bill, "TxnID"))); got != nil {
		t.Errorf("the bill linked to the closed order has LinkedTxn %v", got)
	}
	other := warned(one(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-09</TxnDate>
		<ItemLineAdd><Quantity>2</Quantity><LinkToTxn><TxnID>`+poID+`</TxnID><TxnLineID>`+textAt(lines[1], "TxnLineID")+`</TxnLineID></LinkToTxn></ItemLineAdd>
		<ItemLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>1</Quantity><Cost>2</Cost></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`), "a receipt line linked to the line closed by hand")
	if got := len(kids(other, "ItemLineRet")); got != 1 || textAt(other, "TotalAmount") != "2.00" {
		t.Errorf("the receipt saved with the warning: %d item lines, total %s; want its own line only, 2.00", got, textAt(other, "TotalAmount"))
	}
	if diff := cmp.Diff([]string{"ItemReceipt  QUANTYPE 0.00"}, linked(query("PurchaseOrder", poID))); diff != "" {
		t.Errorf("the order's LinkedTxn (-want +got):\n%s", diff)
	}
	if got := quantities(t, f, "Bolt"); got != "21 on hand, 0 on order, 0 on sales orders" {
		t.Errorf("Bolt: %s, want the 10 received and the 1 bought apart on hand", got)
	}

	// A warning is the request's alone: the next one in the message set
	// answers its own status.
	rs := run(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>1</Quantity><Rate>9</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>
		<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><LinkToTxnID>`+poID+`</LinkToTxnID><ItemLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>1</Quantity></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>
		<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><SalesOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>2</Quantity><Rate>9</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`)
	var got []string
	for _, r := range rs.Children {
		got = append(got, attrValue(r, "statusCode"))
	}
	if diff := cmp.Diff([]string{"0", "570", "0"}, got); diff != "" {
		t.Errorf("the statuses of a message set with one warning (-want +got):\n%s", diff)
	}

	// The same on the sales side: an invoice line linked to a closed
	// sales order.
	so := kid(rs.Children[2], "SalesOrderRet")
	modTxn(t, f, "SalesOrder", so, `<IsManuallyClosed>true</IsManuallyClosed>`)
	inv := one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineAdd><LinkToTxn><TxnID>`+textAt(so, "TxnID")+`</TxnID><TxnLineID>`+textAt(so, "SalesOrderLineRet/TxnLineID")+`</TxnLineID></LinkToTxn></InvoiceLineAdd>
		<InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>1</Quantity><Rate>9</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
	if got := attrValue(inv, "statusCode") + " " + attrValue(inv, "statusSeverity") + " " + textAt(inv, "InvoiceRet/Subtotal"); got != "570 Warn 9.00" {
		t.Errorf("an invoice line linked to a closed sales order: %s, want 570 Warn 9.00", got)
	}
}

// An invoice links to sales orders only. QuickBooks' own window turns an
// estimate into an invoice, but "in the SDK, there is currently no
// ability to create an invoice directly from an estimate (you cannot
// link an invoice to an estimate)" (Intuit, InvoiceAdd reference:
// https://developer.intuit.com/app/developer/qbdesktop/docs/api-reference/qbdesktop/invoiceadd);
// InvoiceAdd's LinkToTxnID, and an invoice line's LinkToTxn, must name a
// sales order (https://www.letsyncsolution.com/docs/invoice/), and
// SalesOrderAdd has no LinkToTxnID at all (qbXML 13.0 schema). So no
// request links an estimate: it stays active and reports no LinkedTxn.
// QuickBooks documents no status for the refusal; the simulator answers
// the one of any other invalid reference.
func TestAnInvoiceCannotBeLinkedToAnEstimate(t *testing.T) {
	f, _ := newTestFile(t)
	addBoltAndSupplier(t, f)
	est := kid(ok(t, f, `<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<EstimateLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>3</Quantity><Rate>9</Rate></EstimateLineAdd></EstimateAdd></EstimateAddRq>`), "EstimateRet")
	estID := textAt(est, "TxnID")
	wantStatus(t, one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><LinkToTxnID>`+estID+`</LinkToTxnID></InvoiceAdd></InvoiceAddRq>`), "3140")
	wantStatus(t, one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineAdd><LinkToTxn><TxnID>`+estID+`</TxnID><TxnLineID>`+textAt(est, "EstimateLineRet/TxnLineID")+`</TxnLineID></LinkToTxn></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "3140")
	req := `<QBXML><QBXMLMsgsRq onError="stopOnError"><SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><LinkToTxnID>` + estID + `</LinkToTxnID></SalesOrderAdd></SalesOrderAddRq></QBXMLMsgsRq></QBXML>`
	if _, err := f.Process(context.Background(), []byte(req), testSession); !errors.Is(err, ErrParse) {
		t.Errorf("a sales order with a LinkToTxnID: err = %v, want ErrParse", err)
	}
	est = kid(ok(t, f, `<EstimateQueryRq><TxnID>`+estID+`</TxnID><IncludeLinkedTxns>true</IncludeLinkedTxns></EstimateQueryRq>`), "EstimateRet")
	if got := textAt(est, "IsActive"); got != "true" || kid(est, "LinkedTxn") != nil {
		t.Errorf("the estimate after the refused links: IsActive %s, LinkedTxn %v; want true and none", got, linked(est))
	}
	if got := quantities(t, f, "Bolt"); got != "10 on hand, 0 on order, 0 on sales orders" {
		t.Errorf("Bolt: %s after the refused links", got)
	}
}

// Only item lines link to orders: a group line's Add (InvoiceLineGroupAdd,
// ItemGroupLineAdd) holds an ItemGroupRef and its quantity, never a
// LinkToTxn nor lines of its own, so QuickBooks' parser refuses a request
// that puts one there (qbXML 13.0 schema: LinkToTxn is a child of
// ItemLineAdd and InvoiceLineAdd only).
func TestAGroupLineCannotLinkToAnOrder(t *testing.T) {
	f, _ := newTestFile(t)
	link := `<LinkToTxn><TxnID>8000004F-1741962684</TxnID><TxnLineID>8000004E-1741962684</TxnLineID></LinkToTxn>`
	for name, body := range map[string]string{
		"invoice": `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
			<InvoiceLineGroupAdd><ItemGroupRef><FullName>Kit</FullName></ItemGroupRef><Quantity>1</Quantity>` + link + `</InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`,
		"item receipt": `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
			<ItemGroupLineAdd><ItemGroupRef><FullName>Kit</FullName></ItemGroupRef><Quantity>1</Quantity>` + link + `</ItemGroupLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`,
		"a linked line inside a group line": `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
			<ItemGroupLineAdd><ItemGroupRef><FullName>Kit</FullName></ItemGroupRef><ItemLineAdd>` + link + `</ItemLineAdd></ItemGroupLineAdd></BillAdd></BillAddRq>`,
	} {
		req := `<QBXML><QBXMLMsgsRq onError="stopOnError">` + body + `</QBXMLMsgsRq></QBXML>`
		if _, err := f.Process(context.Background(), []byte(req), testSession); !errors.Is(err, ErrParse) {
			t.Errorf("%s: err = %v, want ErrParse", name, err)
		}
	}
}

// What QuickBooks does with the group lines of orders, and the sources:
//
//   - An order's group line holds the lines of its group's items
//     (PurchaseOrderLineGroupRet, SalesOrderLineGroupRet), each an order
//     line with its own TxnLineID, ReceivedQuantity or Invoiced and
//     IsManuallyClosed; the group line has none of these (Intuit's qbXML
//     13.0 schema, qbxml130.xsd). So what is open of an order is what is
//     open of its item lines, inside groups or not, and those lines put
//     their items on order or on sales orders as any other.
//   - An item receipt, bill or invoice whose Add links to an order updates
//     the order as the same form entered against it in QuickBooks does;
//     an item line's LinkToTxn names an order line by TxnLineID and takes
//     its item from it (Intuit's tutorial "Linking item receipt and bill
//     to purchase order, invoice to sales order",
//     https://developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/linking-itemreciept-bill-to-purchase-order-invoice-to-sales-order;
//     /n software's ItemLinkToTxnLineId reference,
//     https://cdn.nsoftware.com/help/BBF/nodejs/Invoice_p_ItemLinkToTxnLineId.htm).
//
// Not documented, and chosen as the most plausible:
//
//   - LinkToTxnID brings an order's group line in as a group line of the
//     same group, holding its open lines at what is open of them, as the
//     QuickBooks form filled from an order shows the group with its items;
//     its Quantity is the part of the group still open when every line is
//     open in the same proportion, and is left out otherwise.
//   - A line's LinkToTxn may name a line inside a group line (an order line
//     like any other) and becomes a plain item line; a group line's own
//     TxnLineID names no item line and is refused as an invalid reference.

// A sales order's group line puts its items on sales orders, and an
// invoice linked to the whole order brings the group in and invoices it.
func TestAnInvoiceLinkedToASalesOrderInvoicesItsGroupLines(t *testing.T) {
	f, _ := newTestFile(t)
	addGroupItems(t, f)
	so := kid(ok(t, f, `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<SalesOrderLineGroupAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef><Quantity>2</Quantity></SalesOrderLineGroupAdd>
		<SalesOrderLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>3</Quantity><Rate>9</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`), "SalesOrderRet")
	if got, want := quantities(t, f, "Bolt"), "100 on hand, 0 on order, 11 on sales orders"; got != want {
		t.Errorf("after the sales order for a kit of 8 bolts and 3 bolts: Bolt %s, want %s", got, want)
	}

	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate>
		<LinkToTxnID>`+textAt(so, "TxnID")+`</LinkToTxnID></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	groups := groupLines(inv)
	if len(groups) != 1 {
		t.Fatalf("the linked invoice has %d group lines, want 1:\n%s", len(groups), marshalNode(inv))
	}
	want := `Bolt Kit x2 "Bolts, installed" print=true total=172.00: [Bolt 8 @ 9 = 72.00 "Steel bolt"] [Install 2 @ 50 = 100.00 "Installation"]`
	if got := groupSummary(groups[0]); got != want {
		t.Errorf("the invoice's group line:\n got %s\nwant %s", got, want)
	}
	if order, want := itemsWith(orderLines(inv), "Quantity"), []string{"Bolt 8", "Install 2", "Bolt 3"}; !cmp.Equal(order, want) {
		t.Errorf("the invoice's lines %v, want the order's %v", order, want)
	}
	if got := textAt(inv, "Subtotal"); got != "199.00" {
		t.Errorf("invoice Subtotal %s, want 199.00 (the kit and 3 bolts at 9)", got)
	}
	if got, want := quantities(t, f, "Bolt"), "89 on hand, 0 on order, 0 on sales orders"; got != want {
		t.Errorf("after invoicing the order: Bolt %s, want %s", got, want)
	}
	so = kid(ok(t, f, `<SalesOrderQueryRq><TxnID>`+textAt(so, "TxnID")+`</TxnID><IncludeLineItems>true</IncludeLineItems></SalesOrderQueryRq>`), "SalesOrderRet")
	if invoiced, want := itemsWith(orderLines(so), "Invoiced"), []string{"Bolt 8", "Install 2", "Bolt 3"}; !cmp.Equal(invoiced, want) {
		t.Errorf("the order's lines invoiced %v, want %v", invoiced, want)
	}
	if got := textAt(so, "IsFullyInvoiced"); got != "true" {
		t.Errorf("the invoiced order IsFullyInvoiced %s, want true", got)
	}

	// Deleting the invoice puts its lines, the group's with them, back
	// on the order.
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+textAt(inv, "TxnID")+`</TxnID></TxnDelRq>`)
	if got, want := quantities(t, f, "Bolt"), "100 on hand, 0 on order, 11 on sales orders"; got != want {
		t.Errorf("after deleting the invoice: Bolt %s, want %s", got, want)
	}
}

// A line inside a purchase order's group line is received like any other:
// a receipt's line may link to it alone, and what is left of the group is
// what a bill linked to the whole order brings in. A group line's own
// TxnLineID is no line to link to.
func TestTheLinesInsideAPurchaseOrdersGroupLineAreReceivedLikeAnyOther(t *testing.T) {
	f, _ := newTestFile(t)
	addGroupItems(t, f)
	po := kid(ok(t, f, `<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate>
		<PurchaseOrderLineGroupAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef><Quantity>2</Quantity></PurchaseOrderLineGroupAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`), "PurchaseOrderRet")
	poID, group := textAt(po, "TxnID"), groupLines(po)[0]
	bolts := memberLines(group)[0]
	if got, want := quantities(t, f, "Bolt"), "100 on hand, 8 on order, 0 on sales orders"; got != want {
		t.Errorf("after ordering a kit of 8 bolts: Bolt %s, want %s", got, want)
	}

	wantStatus(t, one(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
		<ItemLineAdd><Quantity>1</Quantity><LinkToTxn><TxnID>`+poID+`</TxnID><TxnLineID>`+textAt(group, "TxnLineID")+`</TxnLineID></LinkToTxn></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`), strconv.Itoa(stInvalidRef))

	receipt := kid(ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-05</TxnDate>
		<ItemLineAdd><Quantity>5</Quantity><LinkToTxn><TxnID>`+poID+`</TxnID><TxnLineID>`+textAt(bolts, "TxnLineID")+`</TxnLineID></LinkToTxn></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`), "ItemReceiptRet")
	if got := textAt(receipt, "ItemLineRet/ItemRef/FullName") + " " + textAt(receipt, "ItemLineRet/Quantity") + " @ " + textAt(receipt, "ItemLineRet/Cost"); got != "Bolt 5 @ 2" {
		t.Errorf("the receipt line linked to the group's bolts: %s, want Bolt 5 @ 2", got)
	}
	if got, want := quantities(t, f, "Bolt"), "105 on hand, 3 on order, 0 on sales orders"; got != want {
		t.Errorf("after receiving 5 of the kit's bolts: Bolt %s, want %s", got, want)
	}
	query := func() *qbxml.Node {
		t.Helper()
		return kid(ok(t, f, `<PurchaseOrderQueryRq><TxnID>`+poID+`</TxnID><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>`), "PurchaseOrderRet")
	}
	if got := textAt(query(), "IsFullyReceived"); got != "false" {
		t.Errorf("the order partly received IsFullyReceived %s, want false", got)
	}

	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-06</TxnDate>
		<LinkToTxnID>`+poID+`</LinkToTxnID></BillAdd></BillAddRq>`), "BillRet")
	want := `Bolt Kit x "Bolts, installed" print= total=66.00: [Bolt 3 @ 2 = 6.00 "Bolt from the supplier"] [Install 2 @ 30 = 60.00 "Subcontracted installation"]`
	if groups := groupLines(bill); len(groups) != 1 || groupSummary(groups[0]) != want {
		t.Errorf("the bill linked to the order:\n%s\nwant one group line %s", marshalNode(bill), want)
	}
	if got, want := quantities(t, f, "Bolt"), "108 on hand, 0 on order, 0 on sales orders"; got != want {
		t.Errorf("after billing the rest: Bolt %s, want %s", got, want)
	}
	po = query()
	var lines []string
	for _, l := range orderLines(po) {
		lines = append(lines, textAt(l, "ItemRef/FullName")+" received "+textAt(l, "ReceivedQuantity")+" unbilled "+textAt(l, "UnbilledQuantity"))
	}
	if want := []string{"Bolt received 8 unbilled 5", "Install received 2 unbilled 0"}; !cmp.Equal(lines, want) {
		t.Errorf("the order's lines: %v, want %v", lines, want)
	}
	if got := textAt(po, "IsFullyReceived"); got != "true" {
		t.Errorf("the order received in full IsFullyReceived %s, want true", got)
	}
}

// itemsWith lists "item field" of each line.
func itemsWith(lines []*qbxml.Node, field string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, textAt(l, "ItemRef/FullName")+" "+textAt(l, field))
	}
	return out
}
