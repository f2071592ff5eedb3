package companyfile

import (
	"context"
	"html"
	"math"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// fullCompany is smallCompany with every kind the generator knows.
func fullCompany() GenerateOptions {
	opt := smallCompany()
	opt.InventoryItems, opt.ItemReceipts, opt.InventoryAdjustments = 6, 25, 12
	opt.OtherNames, opt.SalesReps, opt.PriceLevels = 3, 3, 4
	opt.VendorCredits, opt.CreditCardCredits, opt.Charges, opt.TimeTracking, opt.Transfers = 9, 5, 14, 30, 4
	return opt
}

func TestGenerateWritesExactCountsOfEveryKind(t *testing.T) {
	opt := fullCompany()
	var last int
	opt.Progress = func(done, total int) { last = done }
	f := generated(t, opt)
	if last != opt.Total() {
		t.Errorf("progress ends at %d, want %d", last, opt.Total())
	}
	want := map[string]int{"ItemInventory": 6, "ItemReceipt": 25, "InventoryAdjustment": 12, "OtherName": 3, "SalesRep": 3, "PriceLevel": 4,
		"VendorCredit": 9, "CreditCardCredit": 5, "Charge": 14, "TimeTracking": 30, "Transfer": 4}
	for typ, n := range want {
		rs := ok(t, f, `<`+typ+`QueryRq metaData="MetaDataAndResponseData">`+includeLines(typ)+`</`+typ+`QueryRq>`)
		if attrValue(rs, "retCount") != itoa(n) {
			t.Errorf("%sQuery retCount %s, want %d", typ, attrValue(rs, "retCount"), n)
		}
	}
	a, b := dumpObjects(t, generated(t, opt)), dumpObjects(t, f)
	if !cmp.Equal(a, b) {
		t.Error("two runs with the same seed and every kind differ")
	}
}

func dumpObjects(tb testing.TB, f *File) []string {
	tb.Helper()
	rows, err := f.db.Query(`SELECT ret FROM objects ORDER BY seq`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r []byte
		if err := rows.Scan(&r); err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(r))
	}
	return out
}

// stockLine is one move of an inventory part found in a transaction.
type stockLine struct {
	created, txnType     string
	number               int
	qty, value           float64
	costed               bool
	adjustment, adjValue string // an inventory adjustment's line
}

// The parts' quantities on hand and average costs are what the
// transactions that QuickBooks returns imply, taken in the order they were
// entered: purchases (bills, item receipts) add units at their cost and
// move the average cost, sales take units away at it, counts add or take
// units at it (see TestItemLinesMoveQuantityOnHandAndAverageCost for the
// sources). Their quantities on order and on sales orders are what the
// open purchase and sales orders that name them leave open. No part is
// ever short: nothing is sold that is not on hand,
// even in a company that sells far more than it buys.
func TestGeneratedInventoryAgreesWithItsTransactions(t *testing.T) {
	sellsMore := smallCompany()
	sellsMore.Invoices, sellsMore.SalesReceipts, sellsMore.Bills, sellsMore.BillPayments = 400, 150, 0, 0
	sellsMore.InventoryItems, sellsMore.InventoryAdjustments = 2, 12
	for name, opt := range map[string]GenerateOptions{"every kind": fullCompany(), "sells more than it buys": sellsMore} {
		t.Run(name, func(t *testing.T) { checkGeneratedInventory(t, opt) })
	}
}

func checkGeneratedInventory(t *testing.T, opt GenerateOptions) {
	f := generated(t, opt)
	byItem := map[string][]stockLine{}
	// What open orders leave on order and on sales orders, by item and
	// quantity: the order lines' quantities not yet received or invoiced
	// (see TestPurchaseOrdersPutItemsOnOrderUntilReceived).
	ordered := map[string]map[string]float64{}
	for typ, m := range stockMoves {
		// A type with none answers status 1 and no Rets.
		for _, txn := range kids(one(t, f, `<`+typ+`QueryRq><IncludeLineItems>true</IncludeLineItems></`+typ+`QueryRq>`), typ+"Ret") {
			if m.quantity != onHand {
				for _, l := range kids(txn, typ+"LineRet") {
					if ordered[textAt(l, "ItemRef/ListID")] == nil {
						ordered[textAt(l, "ItemRef/ListID")] = map[string]float64{}
					}
					ordered[textAt(l, "ItemRef/ListID")][m.quantity] += m.lineQuantity(txn, l)
				}
				continue
			}
			n, _ := strconv.Atoi(textAt(txn, "TxnNumber"))
			var walk func(e *qbxml.Node)
			walk = func(e *qbxml.Node) {
				for _, l := range e.Children {
					if _, isLine := lineCategory(l.Name); !isLine || l.Name == "ExpenseLineRet" {
						continue
					}
					if kid(l, "ItemRef") == nil {
						walk(l)
						continue
					}
					byItem[textAt(l, "ItemRef/ListID")] = append(byItem[textAt(l, "ItemRef/ListID")], stockLine{created: textAt(txn, "TimeCreated"), txnType: typ, number: n,
						qty: m.sign * parseDecimal(textAt(l, "Quantity")), value: m.sign * float64(mustCents(textAt(l, "Amount"))) / 100, costed: m.costed})
				}
			}
			walk(txn)
		}
	}
	for _, adj := range kids(ok(t, f, `<InventoryAdjustmentQueryRq><IncludeLineItems>true</IncludeLineItems></InventoryAdjustmentQueryRq>`), "InventoryAdjustmentRet") {
		n, _ := strconv.Atoi(textAt(adj, "TxnNumber"))
		for _, l := range kids(adj, "InventoryAdjustmentLineRet") {
			byItem[textAt(l, "ItemRef/ListID")] = append(byItem[textAt(l, "ItemRef/ListID")], stockLine{created: textAt(adj, "TimeCreated"), txnType: "InventoryAdjustment", number: n,
				qty: parseDecimal(textAt(l, "QuantityDifference")), adjustment: textAt(adj, "TxnID"), adjValue: textAt(l, "ValueDifference")})
		}
	}
	items := kids(ok(t, f, `<ItemInventoryQueryRq/>`), "ItemInventoryRet")
	var bought, sold, counted, onOrders int
	var out float64 // units sold or found missing
	for _, it := range items {
		moves := byItem[textAt(it, "ListID")]
		sort.SliceStable(moves, func(i, j int) bool {
			if moves[i].created != moves[j].created {
				return moves[i].created < moves[j].created
			}
			return moves[i].number < moves[j].number
		})
		// The opening quantity is what the moves leave unexplained.
		onHand := parseDecimal(textAt(it, "QuantityOnHand"))
		for _, m := range moves {
			onHand -= m.qty
		}
		if onHand < 0 || onHand != math.Trunc(onHand) {
			t.Errorf("%s: opening quantity %v", textAt(it, "Name"), onHand)
		}
		avg := parseDecimal(textAt(it, "PurchaseCost"))
		for _, m := range moves {
			switch {
			case m.adjustment != "":
				counted++
				if want := formatCents(int64(m.qty * avg * 100)); m.adjValue != want {
					t.Errorf("%s: adjustment %s of %v has ValueDifference %s, want %s at average cost %v", textAt(it, "Name"), m.adjustment, m.qty, m.adjValue, want, avg)
				}
			case m.costed:
				bought++
				// Value on hand over quantity on hand, to five decimals.
				avg = math.Round((onHand*avg+m.value)/(onHand+m.qty)*1e5) / 1e5
			default:
				sold++
			}
			if m.qty < 0 {
				out -= m.qty
			}
			onHand += m.qty
			if onHand < 0 {
				t.Errorf("%s: %v on hand after the %s of %s", textAt(it, "Name"), onHand, m.txnType, m.created)
			}
		}
		if got, want := textAt(it, "AverageCost"), strconv.FormatFloat(avg, 'f', -1, 64); parseDecimal(got) != avg {
			t.Errorf("%s: AverageCost %s, want %s", textAt(it, "Name"), got, want)
		}
		for _, q := range []string{onOrder, onSalesOrder} {
			want := ordered[textAt(it, "ListID")][q]
			if got := textAt(it, q); parseDecimal(got) != want {
				t.Errorf("%s: %s %s, want %v open on orders", textAt(it, "Name"), q, got, want)
			}
			if want > 0 {
				onOrders++
			}
		}
	}
	if len(items) != opt.InventoryItems || bought < opt.ItemReceipts || sold == 0 || counted != opt.InventoryAdjustments {
		t.Errorf("%d parts, %d purchase lines, %d sales lines, %d counts: the company does not exercise its inventory", len(items), bought, sold, counted)
	}
	if opt.PurchaseOrders > 0 && opt.SalesOrders > 0 && onOrders == 0 {
		t.Error("no part is on order or on sales orders: the company's orders name no parts")
	}
	if opt.ItemReceipts == 0 && out < 100 {
		t.Errorf("only %v units left stock: the company does not come near running out", out)
	}
}

// The processor carries on from the generated inventory as from its own:
// deleting a generated invoice puts its parts back on hand, a new purchase
// moves the average cost from where the generator left it.
func TestProcessorContinuesFromGeneratedInventory(t *testing.T) {
	f := generated(t, fullCompany())
	var inv, line *qbxml.Node
	for _, i := range kids(ok(t, f, `<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`), "InvoiceRet") {
		for _, l := range kids(i, "InvoiceLineRet") {
			if len(textAt(l, "ItemRef/FullName")) > 4 && textAt(l, "ItemRef/FullName")[:4] == "INV-" && textAt(i, "IsPaid") == "false" && textAt(i, "AppliedAmount") == "0.00" {
				inv, line = i, l
			}
		}
	}
	if inv == nil {
		t.Fatal("no unpaid generated invoice sells a part")
	}
	item := textAt(line, "ItemRef/FullName")
	before := kid(ok(t, f, `<ItemInventoryQueryRq><FullName>`+item+`</FullName></ItemInventoryQueryRq>`), "ItemInventoryRet")
	var sold float64
	for _, l := range kids(inv, "InvoiceLineRet") {
		if textAt(l, "ItemRef/FullName") == item {
			sold += parseDecimal(textAt(l, "Quantity"))
		}
	}
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+textAt(inv, "TxnID")+`</TxnID></TxnDelRq>`)
	onHand := parseDecimal(textAt(before, "QuantityOnHand")) + sold
	avg := parseDecimal(textAt(before, "AverageCost"))
	want := strconv.FormatFloat(onHand, 'f', -1, 64) + " @ " + textAt(before, "AverageCost")
	if got := onHandAndCost(t, f, item); got != want {
		t.Errorf("after deleting invoice %s: %s %s, want %s", textAt(inv, "RefNumber"), item, got, want)
	}
	vendor := html.EscapeString(textAt(ok(t, f, `<VendorQueryRq><MaxReturned>1</MaxReturned></VendorQueryRq>`), "VendorRet/Name"))
	ok(t, f, `<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><FullName>`+vendor+`</FullName></VendorRef><ItemLineAdd><ItemRef><FullName>`+item+`</FullName></ItemRef>
		<Quantity>10</Quantity><Cost>7.77</Cost></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`)
	want = strconv.FormatFloat(onHand+10, 'f', -1, 64) + " @ " + strconv.FormatFloat(math.Round((onHand*avg+77.7)/(onHand+10)*1e5)/1e5, 'f', -1, 64)
	if got := onHandAndCost(t, f, item); got != want {
		t.Errorf("after receiving 10 at 7.77: %s %s, want %s", item, got, want)
	}
}

// Vendor credits lower and statement charges raise the balances QuickBooks
// reports, by their open amounts. A vendor credit debits accounts payable
// and, applied to an open bill, lessens what is owed to that vendor
// (https://fourlane.com/blog/vendor-credit-quickbooks); statement charges
// go in the customer's register, which "shows the customer's balance" and
// is a view of the A/R register
// (http://support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/ContentPackage/Core/Statements/task_ar_reg_billing_stmts.html).
// The kinds are generated after the others, so the same seed without them
// gives the same company to compare with.
func TestGeneratedCreditsAndChargesMoveBalances(t *testing.T) {
	base := smallCompany()
	with := base
	with.VendorCredits, with.Charges = 9, 14
	f0, f := generated(t, base), generated(t, with)
	balances := func(f *File, typ string) map[string]int64 {
		out := map[string]int64{}
		for _, e := range kids(ok(t, f, `<`+typ+`QueryRq/>`), typ+"Ret") {
			out[textAt(e, "ListID")] = mustCents(textAt(e, "Balance"))
		}
		return out
	}
	moved := func(f *File, typ, entity, amount string) map[string]int64 {
		out := map[string]int64{}
		for _, e := range kids(ok(t, f, `<`+typ+`QueryRq/>`), typ+"Ret") {
			out[textAt(e, entity+"/ListID")] += mustCents(textAt(e, amount))
		}
		return out
	}
	for _, c := range []struct {
		entity, txn, ref, amount string
		sign                     int64
	}{{"Vendor", "VendorCredit", "VendorRef", "OpenAmount", -1}, {"Customer", "Charge", "CustomerRef", "BalanceRemaining", 1}} {
		was, is, by := balances(f0, c.entity), balances(f, c.entity), moved(f, c.txn, c.ref, c.amount)
		if len(by) == 0 {
			t.Fatalf("no %s", c.txn)
		}
		for id, b := range is {
			if want := was[id] + c.sign*by[id]; b != want {
				t.Errorf("%s %s: Balance %s, want %s (%s without %ss) %+d", c.entity, id, formatCents(b), formatCents(want), formatCents(was[id]), c.txn, c.sign*by[id])
			}
		}
	}
	// Bills' open amounts less open credits make each vendor's balance.
	bills, credits := moved(f, "Bill", "VendorRef", "OpenAmount"), moved(f, "VendorCredit", "VendorRef", "OpenAmount")
	for id, b := range balances(f, "Vendor") {
		if b != bills[id]-credits[id] {
			t.Errorf("vendor %s: Balance %s, want bills %s - credits %s", id, formatCents(b), formatCents(bills[id]), formatCents(credits[id]))
		}
	}
}

// A generated item receipt is owed to its vendor as the processor's is
// (TestAnItemReceiptIsOwedToItsVendorUntilItsBill): each vendor's balance
// is its bills' open amounts and its receipts' totals less its open
// credits, and the A/P aging and the balance sheet's A/P add up to the
// vendors' balances.
func TestGeneratedItemReceiptsAreOwedToTheirVendors(t *testing.T) {
	f := generated(t, fullCompany())
	by := func(typ, amount string) map[string]int64 {
		out := map[string]int64{}
		for _, e := range kids(ok(t, f, `<`+typ+`QueryRq/>`), typ+"Ret") {
			out[textAt(e, "VendorRef/ListID")] += mustCents(textAt(e, amount))
		}
		return out
	}
	bills, receipts, credits := by("Bill", "OpenAmount"), by("ItemReceipt", "TotalAmount"), by("VendorCredit", "OpenAmount")
	if len(receipts) == 0 {
		t.Fatal("no item receipts")
	}
	var owed int64
	for _, v := range kids(ok(t, f, `<VendorQueryRq/>`), "VendorRet") {
		id, b := textAt(v, "ListID"), mustCents(textAt(v, "Balance"))
		if want := bills[id] + receipts[id] - credits[id]; b != want {
			t.Errorf("vendor %s: Balance %s, want bills %s + item receipts %s - credits %s", id, formatCents(b), formatCents(bills[id]), formatCents(receipts[id]), formatCents(credits[id]))
		}
		owed += b
	}
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>APAgingSummary</AgingReportType></AgingReportQueryRq>`))
	bs := parseReport(t, ok(t, f, summaryRq("BalanceSheetStandard", `<ReportDateMacro>Today</ReportDateMacro>`)))
	got := []string{aging.find(t, "TOTAL")[7], bs.find(t, "Total Accounts Payable")[2]}
	if diff := cmp.Diff([]string{formatCents(owed), formatCents(owed)}, got); diff != "" {
		t.Errorf("A/P aging TOTAL and balance sheet A/P, want the vendors' balances (-want +got):\n%s", diff)
	}
}

// Saving a generated object again through the processor, unchanged,
// changes nothing but its modification time: the generator stored what
// the processor computes for each kind (totals, open amounts, defaults),
// and the balances and quantities it moved stay where they were.
func TestGeneratedObjectsOfEveryKindResaveUnchanged(t *testing.T) {
	f := generated(t, fullCompany())
	volatile := map[string]bool{"TimeModified": true, "EditSequence": true}
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, typ := range []string{"Vendor", "Customer", "ItemInventory"} {
			for _, e := range kids(ok(t, f, `<`+typ+`QueryRq/>`), typ+"Ret") {
				out[textAt(e, "ListID")] = textAt(e, "Balance") + textAt(e, "QuantityOnHand") + " " + textAt(e, "AverageCost") + " " + textAt(e, onOrder) + " " + textAt(e, onSalesOrder)
			}
		}
		return out
	}
	before := snapshot()
	for _, typ := range []string{"OtherName", "SalesRep", "PriceLevel", "ItemInventory", "VendorCredit", "CreditCardCredit", "Charge", "TimeTracking", "Transfer", "InventoryAdjustment", "ItemReceipt", "PurchaseOrder", "SalesOrder"} {
		rets := kids(ok(t, f, `<`+typ+`QueryRq>`+includeLines(typ)+`</`+typ+`QueryRq>`), typ+"Ret")
		if len(rets) == 0 {
			t.Fatalf("no %s", typ)
		}
		for _, ret := range rets[:min(3, len(rets))] {
			body := ""
			if typ == "TimeTracking" { // its Mod must name the employee and the duration again
				body = `<EntityRef><ListID>` + textAt(ret, "EntityRef/ListID") + `</ListID></EntityRef><Duration>` + textAt(ret, "Duration") + `</Duration>`
			}
			got := modOK(t, f, typ, ret, body)
			strip := func(e *qbxml.Node) string {
				c := e.Clone()
				c.Children = slices.DeleteFunc(c.Children, func(k *qbxml.Node) bool { return volatile[k.Name] })
				return string(marshalNode(c))
			}
			if diff := cmp.Diff(strip(ret), strip(got)); diff != "" {
				t.Errorf("%s saved again (-generated +processor):\n%s", typ, diff)
			}
		}
	}
	if diff := cmp.Diff(before, snapshot()); diff != "" {
		t.Errorf("balances and quantities moved by saving unchanged objects (-before +after):\n%s", diff)
	}
}

// A generated purchase order line has the sales tax code of its item,
// which the processor gives a line that names none (fill.go); saving it
// again cannot show a wrong one, since a line keeps the code it has.
func TestGeneratedPurchaseOrderLinesHaveTheirItemsTaxCode(t *testing.T) {
	f := generated(t, fullCompany())
	codes := map[string]string{}
	for _, it := range ok(t, f, `<ItemQueryRq/>`).Children {
		codes[textAt(it, "ListID")] = textAt(it, "SalesTaxCodeRef/FullName")
	}
	lines := 0
	for _, po := range kids(ok(t, f, `<PurchaseOrderQueryRq><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>`), "PurchaseOrderRet") {
		for _, l := range kids(po, "PurchaseOrderLineRet") {
			lines++
			if got, want := textAt(l, "SalesTaxCodeRef/FullName"), codes[textAt(l, "ItemRef/ListID")]; got != want || got == "" {
				t.Errorf("purchase order %s, line of %s: sales tax code %q, want the item's %q", textAt(po, "RefNumber"), textAt(l, "ItemRef/FullName"), got, want)
			}
		}
	}
	if lines == 0 {
		t.Fatal("no purchase order lines")
	}
}

func TestGenerateRejectsKindsWithoutWhatTheyNeed(t *testing.T) {
	f, _ := newTestFile(t)
	for name, opt := range map[string]GenerateOptions{
		"item receipts without parts":   {Vendors: 1, ItemReceipts: 1},
		"adjustments without parts":     {InventoryAdjustments: 1},
		"vendor credits without vendor": {VendorCredits: 1},
		"charges without items":         {Customers: 1, Charges: 1},
		"time without employees":        {TimeTracking: 1},
		"negative parts":                {InventoryItems: -1},
	} {
		if err := f.Generate(context.Background(), opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
