package companyfile

import (
	"testing"
)

// onHandAndCost returns an inventory item's QuantityOnHand and AverageCost.
func onHandAndCost(tb testing.TB, f *File, item string) string {
	tb.Helper()
	it := kid(ok(tb, f, `<ItemInventoryQueryRq><FullName>`+item+`</FullName></ItemInventoryQueryRq>`), "ItemInventoryRet")
	return textAt(it, "QuantityOnHand") + " @ " + textAt(it, "AverageCost")
}

// Purchases, sales and returns of an inventory part move its quantity on
// hand, and purchases move its average cost: "QuickBooks recalculates
// average cost ... when you record the purchase of an Inventory Part Item
// ... QuickBooks adds the cost of the new items to the cost of the existing
// stock and then divides by the total number of new and old items"; "for an
// inventory item, average cost is the total value of the items currently in
// stock divided by the quantity on hand"
// (http://www.accountingweb.com/topic/technology/inventory-workarounds-and-troubleshooting-quickbooks).
// The avg cost "is calculated by QuickBooks based on the cost of receipt
// (and adjustment) transactions" and a sale uses it without changing it
// (http://www.sleeter.com/blog/2011/02/understanding-quickbooks-inventory-cost/).
// An item receipt does the same as a bill: "for each inventory item on the
// receipt, QuickBooks adjusts the quantity in stock ... and recalculates the
// item's average cost"
// (http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Purchase_Orders/task_po_receive.html).
// Deleting, voiding or modifying a transaction takes back what it moved.
// QuickBooks recomputes the average cost from the item's whole history when
// an older transaction changes; the simulator takes the change out and puts
// it back at the current quantity, which gives the same quantities and a
// nearby cost.
func TestItemLinesMoveQuantityOnHandAndAverageCost(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Bolt Supply</Name></VendorAdd></VendorAddRq>`)
	ok(t, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`)
	step := func(what, want string) {
		t.Helper()
		if got := onHandAndCost(t, f, "Bolt"); got != want {
			t.Errorf("%s: Bolt on hand %s, want %s", what, got, want)
		}
	}
	step("opening", "10 @ 2")
	bolts := func(qty, cost string) string {
		return `<ItemLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>` + qty + `</Quantity><Cost>` + cost + `</Cost></ItemLineAdd>`
	}
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-01</TxnDate>`+bolts("10", "3")+`</BillAdd></BillAddRq>`), "BillRet")
	step("a bill for 10 at 3.00", "20 @ 2.5")
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-02</TxnDate>
		<InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>5</Quantity><Rate>9</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	step("an invoice for 5", "15 @ 2.5")
	receipt := kid(ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-03</TxnDate>`+bolts("5", "4.5")+`</ItemReceiptAdd></ItemReceiptAddRq>`), "ItemReceiptRet")
	step("an item receipt for 5 at 4.50", "20 @ 3")
	ok(t, f, `<VendorCreditAddRq><VendorCreditAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef><TxnDate>2025-03-04</TxnDate>`+bolts("4", "3")+`</VendorCreditAdd></VendorCreditAddRq>`)
	step("4 returned to the vendor at 3.00", "16 @ 3")
	ok(t, f, `<SalesReceiptAddRq><SalesReceiptAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate>
		<SalesReceiptLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>6</Quantity><Rate>9</Rate></SalesReceiptLineAdd></SalesReceiptAdd></SalesReceiptAddRq>`)
	step("a sales receipt for 6", "10 @ 3")
	ok(t, f, `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-06</TxnDate>
		<CreditMemoLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>1</Quantity><Rate>9</Rate></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`)
	step("1 returned by the customer", "11 @ 3")

	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+textAt(inv, "TxnID")+`</TxnID></TxnDelRq>`)
	step("the invoice deleted", "16 @ 3")
	ok(t, f, `<ItemReceiptModRq><ItemReceiptMod><TxnID>`+textAt(receipt, "TxnID")+`</TxnID><EditSequence>`+textAt(receipt, "EditSequence")+`</EditSequence>
		<ItemLineMod><TxnLineID>`+textAt(receipt, "ItemLineRet/TxnLineID")+`</TxnLineID><Quantity>9</Quantity></ItemLineMod></ItemReceiptMod></ItemReceiptModRq>`)
	// The simulator moves the average cost by each change as it comes: the
	// 5 at 4.50 go out (11 at 2.31818), the 9 at 4.50 come in.
	step("the item receipt changed from 5 to 9 at 4.50", "20 @ 3.3")
	ok(t, f, `<TxnVoidRq><TxnVoidType>Bill</TxnVoidType><TxnID>`+textAt(bill, "TxnID")+`</TxnID></TxnVoidRq>`)
	step("the bill voided", "10 @ 3.6")
	ok(t, f, `<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>`+textAt(bill, "TxnID")+`</TxnID></TxnDelRq>`)
	step("the voided bill deleted", "10 @ 3.6")
}

// A pending invoice is not final: it takes nothing off hand.
func TestPendingInvoiceLeavesQuantityOnHand(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`)
	ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-02</TxnDate><IsPending>true</IsPending>
		<InvoiceLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>5</Quantity><Rate>9</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
	if got := onHandAndCost(t, f, "Bolt"); got != "10 @ 2" {
		t.Errorf("after a pending invoice for 5: %s, want 10 @ 2", got)
	}
}
