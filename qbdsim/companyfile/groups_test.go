package companyfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// What QuickBooks does with a group item on a transaction, and the sources:
//
//   - A transaction's group line names the group and how many of it
//     (InvoiceLineGroupAdd, ItemGroupLineAdd on purchases: ItemGroupRef,
//     Desc, Quantity, UnitOfMeasure), and its Ret holds the lines of the
//     group's items (InvoiceLineGroupRet: ItemGroupRef, Desc, Quantity,
//     IsPrintItemsInGroup, TotalAmount, then InvoiceLineRet...); the
//     sales forms' group Rets require IsPrintItemsInGroup and
//     TotalAmount, the purchases' ItemGroupLineRet TotalAmount only
//     (Intuit's qbXML 13.0 schema, qbxml130.xsd).
//   - "QuickBooks will automatically expand the group into its
//     constituent items", and a returned group line carries the group's
//     total amount, quantity and description with the lines of its items
//     (/n software QuickBooks Integrator reference, ItemGroupName,
//     cdn.nsoftware.com/help/BBF/bcb/CCCredit_p_ItemGroupName.htm).
//   - The group's description is what sales forms show for it, and the
//     group lists its items with a quantity each (Conductor's API
//     reference, "The Item Group object", docs.conductor.is/api-ref/qbd/item-groups).
//   - A Mod names lines by TxnLineID, -1 adds one (Intuit's InvoiceMod
//     reference, developer.intuit.com .../qbdesktop/invoicemod); a group
//     line Mod holds the group's TxnLineID, ItemGroupRef, Quantity and
//     the Mods of its lines (qbxml130.xsd InvoiceLineGroupMod).
//
// Not documented, and chosen as the most plausible:
//
//   - The lines' quantities are the group line's Quantity (one when it
//     has none) times each item's quantity in the group; QuickBooks Point
//     of Sale, Intuit's sibling product, says so of its group items
//     ("editing the quantity of the group proportionally changes the
//     respective quantities of the included items"), and a Mod that
//     changes the group line's Quantity scales its lines likewise.
//   - Each line takes the item's sales description and price, or on a
//     purchase its purchase description and cost, as a line entered with
//     the item alone does in QuickBooks' forms.
//   - A group line Mod that names none of the group's lines keeps them;
//     one that names some merges those and deletes the others, as the
//     transaction's own lines are; one that names another group gets that
//     group's items.

// addGroupItems adds a customer, a vendor, an inventory part (Bolt), a
// service (Install) and the group "Bolt Kit" of four bolts and one
// installation.
func addGroupItems(tb testing.TB, f *File) {
	tb.Helper()
	ok(tb, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)
	ok(tb, f, `<VendorAddRq><VendorAdd><Name>Bolt Supply</Name></VendorAdd></VendorAddRq>`)
	ok(tb, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef>
		<SalesDesc>Steel bolt</SalesDesc><SalesPrice>9</SalesPrice><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<PurchaseDesc>Bolt from the supplier</PurchaseDesc><PurchaseCost>2</PurchaseCost><COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>
		<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>100</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`)
	ok(tb, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Install</Name><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef>
		<SalesAndPurchase><SalesDesc>Installation</SalesDesc><SalesPrice>50</SalesPrice><IncomeAccountRef><FullName>Services</FullName></IncomeAccountRef>
		<PurchaseDesc>Subcontracted installation</PurchaseDesc><PurchaseCost>30</PurchaseCost><ExpenseAccountRef><FullName>Repairs and Maintenance</FullName></ExpenseAccountRef>
		</SalesAndPurchase></ItemServiceAdd></ItemServiceAddRq>`)
	ok(tb, f, `<ItemGroupAddRq><ItemGroupAdd><Name>Bolt Kit</Name><ItemDesc>Bolts, installed</ItemDesc><IsPrintItemsInGroup>true</IsPrintItemsInGroup>
		<ItemGroupLine><ItemRef><FullName>Bolt</FullName></ItemRef><Quantity>4</Quantity></ItemGroupLine>
		<ItemGroupLine><ItemRef><FullName>Install</FullName></ItemRef><Quantity>1</Quantity></ItemGroupLine></ItemGroupAdd></ItemGroupAddRq>`)
	ok(tb, f, `<ItemGroupAddRq><ItemGroupAdd><Name>Install Only</Name><ItemDesc>Installation visit</ItemDesc>
		<ItemGroupLine><ItemRef><FullName>Install</FullName></ItemRef><Quantity>1</Quantity></ItemGroupLine></ItemGroupAdd></ItemGroupAddRq>`)
}

// groupSummary describes a group line: the group, its quantity,
// description, IsPrintItemsInGroup and TotalAmount, then each of its lines
// as item, quantity, price (Rate or Cost), amount and description.
func groupSummary(g *qbxml.Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s x%s %q print=%s total=%s:", textAt(g, "ItemGroupRef/FullName"), textAt(g, "Quantity"), textAt(g, "Desc"), textAt(g, "IsPrintItemsInGroup"), textAt(g, "TotalAmount"))
	for _, l := range memberLines(g) {
		fmt.Fprintf(&b, " [%s %s @ %s = %s %q]", textAt(l, "ItemRef/FullName"), textAt(l, "Quantity"), textAt(l, "Rate")+textAt(l, "Cost"), textAt(l, "Amount"), textAt(l, "Desc"))
	}
	return b.String()
}

func TestAGroupLineHoldsTheLinesOfItsItemsOnEveryKindOfTransaction(t *testing.T) {
	f, _ := newTestFile(t)
	addGroupItems(t, f)
	const (
		sold   = `Bolt Kit x2 "Bolts, installed" print=true total=172.00: [Bolt 8 @ 9 = 72.00 "Steel bolt"] [Install 2 @ 50 = 100.00 "Installation"]`
		bought = `Bolt Kit x2 "Bolts, installed" print=%s total=76.00: [Bolt 8 @ 2 = 16.00 "Bolt from the supplier"] [Install 2 @ 30 = 60.00 "Subcontracted installation"]`
	)
	customer := `<CustomerRef><FullName>Acme Corp</FullName></CustomerRef>`
	vendor := `<VendorRef><FullName>Bolt Supply</FullName></VendorRef>`
	payee := `<PayeeEntityRef><FullName>Bolt Supply</FullName></PayeeEntityRef>`
	for _, c := range []struct {
		typ, head, group, totalName, total, want string
	}{
		{"Invoice", customer, "InvoiceLineGroupAdd", "Subtotal", "172.00", sold},
		{"SalesReceipt", customer, "SalesReceiptLineGroupAdd", "Subtotal", "172.00", sold},
		{"CreditMemo", customer, "CreditMemoLineGroupAdd", "Subtotal", "172.00", sold},
		{"Estimate", customer, "EstimateLineGroupAdd", "Subtotal", "172.00", sold},
		{"SalesOrder", customer, "SalesOrderLineGroupAdd", "Subtotal", "172.00", sold},
		{"PurchaseOrder", vendor, "PurchaseOrderLineGroupAdd", "TotalAmount", "76.00", fmt.Sprintf(bought, "true")},
		{"Bill", vendor, "ItemGroupLineAdd", "AmountDue", "76.00", fmt.Sprintf(bought, "")},
		{"ItemReceipt", vendor, "ItemGroupLineAdd", "TotalAmount", "76.00", fmt.Sprintf(bought, "")},
		{"VendorCredit", vendor, "ItemGroupLineAdd", "CreditAmount", "76.00", fmt.Sprintf(bought, "")},
		{"Check", `<AccountRef><FullName>Checking</FullName></AccountRef>` + payee, "ItemGroupLineAdd", "Amount", "76.00", fmt.Sprintf(bought, "")},
		{"CreditCardCharge", `<AccountRef><FullName>Credit Card</FullName></AccountRef>` + payee, "ItemGroupLineAdd", "Amount", "76.00", fmt.Sprintf(bought, "")},
		{"CreditCardCredit", `<AccountRef><FullName>Credit Card</FullName></AccountRef>` + payee, "ItemGroupLineAdd", "Amount", "76.00", fmt.Sprintf(bought, "")},
	} {
		t.Run(c.typ, func(t *testing.T) {
			ret := kid(ok(t, f, `<`+c.typ+`AddRq><`+c.typ+`Add>`+c.head+`<`+c.group+`><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef><Quantity>2</Quantity></`+c.group+`>
				</`+c.typ+`Add></`+c.typ+`AddRq>`), c.typ+"Ret")
			groups := groupLines(ret)
			if len(groups) != 1 {
				t.Fatalf("%d group lines, want 1:\n%s", len(groups), marshalNode(ret))
			}
			if got := groupSummary(groups[0]); got != c.want {
				t.Errorf("the group line:\n got %s\nwant %s", got, c.want)
			}
			if got := textAt(ret, c.totalName); got != c.total {
				t.Errorf("%s %s %s, want %s", c.typ, c.totalName, got, c.total)
			}
			// The lines come back as they were written, in schema order
			// (every response is validated against the schema).
			queried := kid(ok(t, f, `<`+c.typ+`QueryRq><TxnID>`+textAt(ret, "TxnID")+`</TxnID><IncludeLineItems>true</IncludeLineItems></`+c.typ+`QueryRq>`), c.typ+"Ret")
			if diff := cmp.Diff(string(marshalNode(ret)), string(marshalNode(queried))); diff != "" {
				t.Errorf("%sQuery answers another %s (-added +queried):\n%s", c.typ, c.typ, diff)
			}
		})
	}
}

// The lines inside a group line are lines like any other: they move the
// items' stock, are taxed by their own sales tax code, add up to the
// customer's and the vendor's balance, and post to their items' accounts.
func TestTheLinesOfAGroupMoveStockTaxBalancesAndTheBooks(t *testing.T) {
	f, _ := newTestFile(t)
	addGroupItems(t, f)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef>
		<InvoiceLineGroupAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef><Quantity>2</Quantity></InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	// 8 bolts at 9 (taxable) and 2 installations at 50: 7.25% of 72.00.
	if got, want := []string{textAt(inv, "Subtotal"), textAt(inv, "SalesTaxTotal"), textAt(inv, "BalanceRemaining")}, []string{"172.00", "5.22", "177.22"}; !cmp.Equal(got, want) {
		t.Errorf("invoice Subtotal, SalesTaxTotal, BalanceRemaining = %v, want %v", got, want)
	}
	ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Bolt Supply</FullName></VendorRef>
		<ItemGroupLineAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef></ItemGroupLineAdd></BillAdd></BillAddRq>`)
	if got := onHandAndCost(t, f, "Bolt"); got != "96 @ 2" {
		t.Errorf("Bolt after selling 8 and buying 4: %s, want 96 @ 2", got)
	}
	if got := []string{balanceOf(t, f, "Customer", "Acme Corp"), balanceOf(t, f, "Vendor", "Bolt Supply")}; !cmp.Equal(got, []string{"177.22", "38.00"}) {
		t.Errorf("customer and vendor balances %v, want the invoice's 177.22 and the bill's 38.00 (4 bolts at 2, one installation at 30)", got)
	}
	wantBalancesOf(t, f, map[string]string{
		"Product Sales":           "72.00",
		"Services":                "100.00",
		"Sales Tax Payable":       "5.22",
		"Accounts Receivable":     "177.22",
		"Cost of Goods Sold":      "16.00", // 8 bolts at an average cost of 2
		"Accounts Payable":        "38.00",
		"Repairs and Maintenance": "30.00",
	})
}

func TestModifyingAGroupLineScalesRegroupsOrChangesItsLines(t *testing.T) {
	f, _ := newTestFile(t)
	addGroupItems(t, f)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineGroupAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef><Quantity>2</Quantity></InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	id := textAt(inv, "TxnID")
	group := textAt(inv, "InvoiceLineGroupRet/TxnLineID")
	lines := memberLines(kid(inv, "InvoiceLineGroupRet"))
	bolts, install := textAt(lines[0], "TxnLineID"), textAt(lines[1], "TxnLineID")
	mod := func(step, lines string) *qbxml.Node {
		t.Helper()
		es := textAt(currentTxn(t, f, "Invoice", id), "EditSequence")
		return kid(ok(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+id+`</TxnID><EditSequence>`+es+`</EditSequence>`+lines+`</InvoiceMod></InvoiceModRq>`), "InvoiceRet")
	}
	// The invoice names no sales tax item, so it charges the company's
	// (State Tax, 7.25%) on the taxable bolts: the balance is the lines
	// and that tax (salestax_test.go).
	check := func(step string, ret *qbxml.Node, want []string, onHand, balance string) {
		t.Helper()
		var got []string
		for _, g := range groupLines(ret) {
			got = append(got, groupSummary(g))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: group lines (-want +got):\n%s", step, diff)
		}
		if got := onHandAndCost(t, f, "Bolt"); got != onHand {
			t.Errorf("%s: Bolt %s, want %s", step, got, onHand)
		}
		if got := textAt(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet/Balance"); got != balance {
			t.Errorf("%s: customer balance %s, want %s", step, got, balance)
		}
	}

	ret := mod("three kits", `<InvoiceLineGroupMod><TxnLineID>`+group+`</TxnLineID><Quantity>3</Quantity></InvoiceLineGroupMod>`)
	check("three kits", ret, []string{`Bolt Kit x3 "Bolts, installed" print=true total=258.00: [Bolt 12 @ 9 = 108.00 "Steel bolt"] [Install 3 @ 50 = 150.00 "Installation"]`}, "88 @ 2", "265.83")
	if got := []string{textAt(memberLines(kid(ret, "InvoiceLineGroupRet"))[0], "TxnLineID"), textAt(memberLines(kid(ret, "InvoiceLineGroupRet"))[1], "TxnLineID")}; !cmp.Equal(got, []string{bolts, install}) {
		t.Errorf("the scaled lines are %v, want the same lines %v", got, []string{bolts, install})
	}

	ret = mod("the bolts at 8", `<InvoiceLineGroupMod><TxnLineID>`+group+`</TxnLineID>
		<InvoiceLineMod><TxnLineID>`+bolts+`</TxnLineID><Rate>8</Rate></InvoiceLineMod><InvoiceLineMod><TxnLineID>`+install+`</TxnLineID></InvoiceLineMod></InvoiceLineGroupMod>`)
	check("the bolts at 8", ret, []string{`Bolt Kit x3 "Bolts, installed" print=true total=246.00: [Bolt 12 @ 8 = 96.00 "Steel bolt"] [Install 3 @ 50 = 150.00 "Installation"]`}, "88 @ 2", "252.96")

	ret = mod("the installation left out", `<InvoiceLineGroupMod><TxnLineID>`+group+`</TxnLineID><InvoiceLineMod><TxnLineID>`+bolts+`</TxnLineID></InvoiceLineMod></InvoiceLineGroupMod>`)
	check("the installation left out", ret, []string{`Bolt Kit x3 "Bolts, installed" print=true total=96.00: [Bolt 12 @ 8 = 96.00 "Steel bolt"]`}, "88 @ 2", "102.96")

	ret = mod("another group", `<InvoiceLineGroupMod><TxnLineID>`+group+`</TxnLineID><ItemGroupRef><FullName>Install Only</FullName></ItemGroupRef></InvoiceLineGroupMod>`)
	check("another group", ret, []string{`Install Only x3 "Installation visit" print=false total=150.00: [Install 3 @ 50 = 150.00 "Installation"]`}, "100 @ 2", "150.00")

	ret = mod("a second group line", `<InvoiceLineGroupMod><TxnLineID>`+group+`</TxnLineID></InvoiceLineGroupMod>
		<InvoiceLineGroupMod><TxnLineID>-1</TxnLineID><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef></InvoiceLineGroupMod>`)
	check("a second group line", ret, []string{
		`Install Only x3 "Installation visit" print=false total=150.00: [Install 3 @ 50 = 150.00 "Installation"]`,
		`Bolt Kit x "Bolts, installed" print=true total=86.00: [Bolt 4 @ 9 = 36.00 "Steel bolt"] [Install 1 @ 50 = 50.00 "Installation"]`,
	}, "96 @ 2", "238.61")

	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+id+`</TxnID></TxnDelRq>`)
	if got := onHandAndCost(t, f, "Bolt"); got != "100 @ 2" {
		t.Errorf("the invoice deleted: Bolt %s, want 100 @ 2", got)
	}
}

// ItemGroupRef names an item group: QuickBooks refuses any other item
// there as an invalid reference, as it refuses a VendorRef naming a
// customer.
func TestAGroupLineNamingAnItemThatIsNoGroupIsRefused(t *testing.T) {
	f, _ := newTestFile(t)
	addGroupItems(t, f)
	rs := one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineGroupAdd><ItemGroupRef><FullName>Bolt</FullName></ItemGroupRef></InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`)
	wantStatus(t, rs, "3140")
}

// A sales group line's ServiceDate and InventorySiteRef are its lines':
// InvoiceLineGroupAdd (and the sales receipt's and credit memo's) has
// both, while InvoiceLineGroupRet keeps the ServiceDate only and
// InvoiceLineRet has both (Intuit's qbXML 13.0 schema, qbxml130.xsd), so
// a site QuickBooks accepts on the group line can only be its lines'.
// Unverified: that QuickBooks copies them to the lines, and the site to
// the inventory lines only (a site holds inventory; the service line has
// none), as its forms fill a group's lines from the group line.
func TestAGroupLinesServiceDateAndSiteAreItsLines(t *testing.T) {
	f, _ := newTestFile(t)
	if err := f.SetFeature(FeatureSites, true); err != nil {
		t.Fatal(err)
	}
	addGroupItems(t, f)
	ok(t, f, `<InventorySiteAddRq><InventorySiteAdd><Name>Warehouse</Name></InventorySiteAdd></InventorySiteAddRq>`)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineGroupAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef><ServiceDate>2025-03-04</ServiceDate>
		<InventorySiteRef><FullName>Warehouse</FullName></InventorySiteRef></InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	g := kid(inv, "InvoiceLineGroupRet")
	if got := textAt(g, "ServiceDate"); got != "2025-03-04" {
		t.Errorf("the group line's ServiceDate %q, want 2025-03-04", got)
	}
	var got []string
	for _, l := range memberLines(g) {
		got = append(got, textAt(l, "ItemRef/FullName")+" "+textAt(l, "ServiceDate")+" "+textAt(l, "InventorySiteRef/FullName"))
	}
	if diff := cmp.Diff([]string{"Bolt 2025-03-04 Warehouse", "Install 2025-03-04 "}, got); diff != "" {
		t.Errorf("the group's lines, item, ServiceDate and site (-want +got):\n%s", diff)
	}
	if id := textAt(memberLines(g)[0], "InventorySiteRef/ListID"); id == "" {
		t.Errorf("the bolt line's InventorySiteRef has no ListID")
	}

	// A site QuickBooks does not hold is an invalid reference (3140), as
	// on any other line.
	wantStatus(t, one(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<InvoiceLineGroupAdd><ItemGroupRef><FullName>Bolt Kit</FullName></ItemGroupRef>
		<InventorySiteRef><FullName>Nowhere</FullName></InventorySiteRef></InvoiceLineGroupAdd></InvoiceAdd></InvoiceAddRq>`), "3140")
}
