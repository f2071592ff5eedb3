package syncengine_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
)

// An inventory item's QuantityOnHand moves with every sale, purchase and
// return on an item line that names it, and qbdsim, as for a customer's
// balance, does not mark the item modified when it does (whether
// QuickBooks does is documented nowhere we found). These scenarios hold
// either way: the inventory items an incremental pass's transactions
// name, before and after the change, are read again by ListID, and a
// write reads them back in its own message set.

// stockHarness is a balance harness with two inventory items, Bolt and
// Nut (40 and 100 on hand), older than the passes' overlap, and the
// inventory items synced with the scenario's types.
type stockHarness struct {
	*balanceHarness
	bolt, nut string
}

func newStockHarness(t *testing.T, dsn storetest.DSNFunc, types ...string) *stockHarness {
	return newStockHarnessWith(t, harnessOptions{DSN: dsn(t)}, types...)
}

func newStockHarnessWith(t *testing.T, o harnessOptions, types ...string) *stockHarness {
	h := &stockHarness{balanceHarness: newBalanceHarnessWith(t, o, append([]string{"inventoryItems"}, types...)...)}
	h.bolt = h.item("Bolt", "40")
	h.nut = h.item("Nut", "100")
	// An item added a day later moves the items pass's high water past
	// Bolt and Nut, as the harness's later customer does for customers.
	h.simNow.Advance(24 * time.Hour)
	h.item("Washer", "10")
	return h
}

// item adds an inventory item with qty on hand in QuickBooks and returns
// its ListID.
func (h *stockHarness) item(name, qty string) string {
	h.tb.Helper()
	return listID(h.qb(`<ItemInventoryAddRq><ItemInventoryAdd><Name>` + name + `</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<PurchaseCost>2.00</PurchaseCost><COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
		<QuantityOnHand>` + qty + `</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`))
}

// sell invoices the other customer qty of an item in QuickBooks, as a
// user would, and returns the invoice's TxnID.
func (h *stockHarness) sell(item, qty string) string {
	h.tb.Helper()
	return txnID(h.qb(`<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>` + h.other + `</ListID></CustomerRef><TxnDate>2026-03-02</TxnDate>
		<InvoiceLineAdd><ItemRef><ListID>` + item + `</ListID></ItemRef><Quantity>` + qty + `</Quantity><Rate>5.00</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`))
}

// wantStock fails unless the store holds an inventory item with qty on
// hand, and the item as QuickBooks holds it, field by field.
func (h *stockHarness) wantStock(id, qty string) {
	h.tb.Helper()
	r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "inventoryItems", id)
	if err != nil {
		h.tb.Fatalf("inventory item %s: %v", id, err)
	}
	if got := field(h.tb, r, "quantityOnHand"); got != qty {
		h.tb.Errorf("stored inventory item %s (%s): quantity on hand %v, want %s", r.Name, id, got, qty)
	}
	var wantJSON, gotJSON any
	mustUnmarshal(h.tb, syncengine.RecordJSON(h.retOf(qbconnect.DataTypeInfo{Object: "ItemInventory"}, id)), &wantJSON)
	mustUnmarshal(h.tb, r.Data, &gotJSON)
	if diff := cmpDiff(wantJSON, gotJSON); diff != "" {
		h.tb.Errorf("stored inventory item %s differs from QuickBooks (-QuickBooks +stored):\n%s", id, diff)
	}
}

func TestAnInventoryItemsQuantityFollowsAnInvoiceAddedInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "invoices")
			h.sell(h.bolt, "5")
			h.sync(qbconnect.SyncFull)
			if got := h.refreshes(); len(got) != 0 {
				t.Errorf("the first, full sync queued refreshes %v; it reads every item anyway", got)
			}
			h.wantStock(h.bolt, "35")

			// An hour later someone sells three more bolts in
			// QuickBooks: the bolt's quantity on hand moves, and it is
			// not marked modified.
			h.later(time.Hour)
			before := len(*h.changes)
			h.sell(h.bolt, "3")
			h.sync(qbconnect.SyncIncremental)
			h.wantStock(h.bolt, "32")
			h.wantStock(h.nut, "100")
			if got := changedSince(*h.changes, before, "inventoryItems"); !slices.Equal(got, []string{h.bolt}) {
				t.Errorf("inventory items reported changed: %v, want the bolt %s", got, h.bolt)
			}
			if got := h.refreshes()["inventoryItems"]; !slices.Equal(got, []string{h.bolt}) {
				t.Errorf("refreshed inventory items %v, want the bolt %s read once", got, h.bolt)
			}
			h.checkMirror(0, "inventoryItems", "invoices")
		})
	}
}

func TestAnInvoiceMovedToAnotherItemOrDeletedInQuickBooksRefreshesBothItems(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "invoices")
			inv := h.sell(h.bolt, "6")
			h.sync(qbconnect.SyncFull)
			h.wantStock(h.bolt, "34")

			// The invoice's line is replaced by one of nuts: the bolts
			// come back on hand, the nuts go.
			h.later(time.Hour)
			ret := h.retOf(qbconnect.DataTypeInfo{Object: "Invoice", Transaction: true}, inv)
			es, _ := ret.ChildText("EditSequence")
			h.qb(`<InvoiceModRq><InvoiceMod><TxnID>` + inv + `</TxnID><EditSequence>` + es + `</EditSequence>
				<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><ListID>` + h.nut + `</ListID></ItemRef><Quantity>6</Quantity><Rate>1.00</Rate></InvoiceLineMod></InvoiceMod></InvoiceModRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantStock(h.bolt, "40")
			h.wantStock(h.nut, "94")
			want := []string{h.bolt, h.nut}
			slices.Sort(want)
			got := h.refreshes()["inventoryItems"]
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("refreshed inventory items %v, want the bolt and the nut %v", got, want)
			}

			// Deleted: the nuts come back.
			h.later(time.Hour)
			h.qb(`<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>` + inv + `</TxnID></TxnDelRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantStock(h.nut, "100")
			h.wantStock(h.bolt, "40")
			h.checkMirror(0, "inventoryItems", "invoices")
		})
	}
}

func TestAnInventoryItemsQuantityFollowsInvoicesWrittenThroughTheAPI(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "invoices")
			h.sync(qbconnect.SyncFull)
			before := len(*h.changes)

			// The bolt is named as a client knows it, by name: the
			// write's answer brings it with its new quantity.
			_, res := h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"customerRef":{"listId":"` + h.other + `"},"invoiceLine":[{"itemRef":{"fullName":"Bolt"},"quantity":"4","rate":"5.00"}]}`)})
			if res.Status != qbconnect.OpSucceeded || res.Record == nil {
				t.Fatalf("create: %s %v", res.Status, res.Error)
			}
			h.wantStock(h.bolt, "36")
			if got := changedSince(*h.changes, before, "inventoryItems"); !slices.Equal(got, []string{h.bolt}) {
				t.Errorf("inventory items reported changed by the write: %v, want the bolt %s", got, h.bolt)
			}

			// Its line replaced by one of nuts, named by ListID: the
			// bolts come back, the nuts go.
			body, _ := json.Marshal(map[string]any{"editSequence": res.Record.EditSequence,
				"invoiceLine": []any{map[string]any{"txnLineId": "-1", "itemRef": map[string]string{"listId": h.nut}, "quantity": "4", "rate": "1.00"}}})
			_, res = h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteUpdate, ID: res.Record.ID, Body: body})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("update: %s %v", res.Status, res.Error)
			}
			h.wantStock(h.bolt, "40")
			h.wantStock(h.nut, "96")

			// Voided: the nuts come back.
			_, res = h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteVoid, ID: res.Record.ID})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("void: %s %v", res.Status, res.Error)
			}
			h.wantStock(h.nut, "100")
			if got := h.refreshes(); len(got) != 0 {
				t.Errorf("writes queued refreshes %v; their own message sets read the items", got)
			}
		})
	}
}

// A write reads back, in its own message set, what it moves as the type
// the store holds it as: an invoice of a bolt and of a service by ListID
// asks for the bolt as an inventory item and for nothing else, where it
// used to ask for both as inventory items and as assemblies (QuickBooks
// answering a warning for each it does not hold). A ListID the store
// does not hold as a type the write moves (an item added in QuickBooks
// since the items' last pass) is left to its own pass, as after an
// incremental page. A line named by FullName still asks for every type
// the name may be, and the stored quantities follow either way.
func TestAWriteReadsBackWhatItMovesAsTheTypeTheStoreHoldsItAs(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "invoices", "serviceItems")
			labor := listID(h.qb(`<ItemServiceAddRq><ItemServiceAdd><Name>Labor</Name><SalesOrPurchase><Price>60.00</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`))
			h.sync(qbconnect.SyncFull)
			unsynced := h.item("Gasket", "7")

			line := func(ref string) string {
				return `{"itemRef":` + ref + `,"quantity":"2","rate":"5.00"}`
			}
			op, res := h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"customerRef":{"listId":"` + h.other + `"},"invoiceLine":[` + line(`{"listId":"`+h.bolt+`"}`) + `,` +
					line(`{"listId":"`+labor+`"}`) + `,` + line(`{"listId":"`+unsynced+`"}`) + `]}`)})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("create: %s %v", res.Status, res.Error)
			}
			want := map[string][]string{"customers": {h.other}, "inventoryItems": {h.bolt}}
			if diff := cmpDiff(want, readBacks(op.Request)); diff != "" {
				t.Errorf("the write's read-back queries (-want +got):\n%s\n%s", diff, op.Request)
			}
			h.wantStock(h.bolt, "38")

			// By name: the nut is asked for as an inventory item and as
			// an assembly, and only the first finds it.
			op, res = h.write(qbconnect.WriteRequest{DataType: "invoices", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"customerRef":{"listId":"` + h.other + `"},"invoiceLine":[` + line(`{"fullName":"Nut"}`) + `]}`)})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("create by name: %s %v", res.Status, res.Error)
			}
			for _, q := range []string{"<ItemInventoryQueryRq", "<ItemInventoryAssemblyQueryRq"} {
				if !strings.Contains(op.Request, q) {
					t.Errorf("the write by item name has no %s>:\n%s", q, op.Request)
				}
			}
			h.wantStock(h.nut, "98")
		})
	}
}

// wantOrdered fails unless the store holds an inventory item with the
// quantities on order and on sales orders given, and the item as
// QuickBooks holds it.
func (h *stockHarness) wantOrdered(id, onOrder, onSalesOrder string) {
	h.tb.Helper()
	r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "inventoryItems", id)
	if err != nil {
		h.tb.Fatalf("inventory item %s: %v", id, err)
	}
	if got, want := fmt.Sprint(field(h.tb, r, "quantityOnOrder"), " ", field(h.tb, r, "quantityOnSalesOrder")), onOrder+" "+onSalesOrder; got != want {
		h.tb.Errorf("stored inventory item %s (%s): on order and on sales orders %s, want %s", r.Name, id, got, want)
	}
	h.wantStock(id, fmt.Sprint(field(h.tb, r, "quantityOnHand")))
}

// purchaseOrder orders qty of an item from the harness's vendor in
// QuickBooks and returns the order.
func (h *stockHarness) purchaseOrder(item, qty string) *qbxml.Node {
	h.tb.Helper()
	return h.qb(`<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><ListID>` + h.vendor + `</ListID></VendorRef><TxnDate>2026-03-02</TxnDate>
		<PurchaseOrderLineAdd><ItemRef><ListID>` + item + `</ListID></ItemRef><Quantity>` + qty + `</Quantity><Rate>2.00</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>`)
}

// An open purchase order raises the quantity on order of the items it
// names, and receiving it lowers it (qbdsim's
// TestPurchaseOrdersPutItemsOnOrderUntilReceived has the sources); the
// item is not marked modified either way, as with its quantity on hand.
func TestAnItemsQuantityOnOrderFollowsPurchaseOrdersAndReceiptsInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "purchaseOrders", "itemReceipts")
			// An older order and receipt, so that the first passes find
			// some and the next are incremental.
			older := h.purchaseOrder(h.nut, "5")
			h.qb(`<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><ListID>` + h.vendor + `</ListID></VendorRef><LinkToTxnID>` + txnID(older) + `</LinkToTxnID></ItemReceiptAdd></ItemReceiptAddRq>`)
			h.purchaseOrder(h.nut, "5")
			h.sync(qbconnect.SyncFull)
			h.wantOrdered(h.nut, "5", "0")
			h.wantStock(h.nut, "105")

			h.later(time.Hour)
			po := h.purchaseOrder(h.bolt, "25")
			h.sync(qbconnect.SyncIncremental)
			h.wantOrdered(h.bolt, "25", "0")
			if got := h.refreshes()["inventoryItems"]; !slices.Equal(got, []string{h.bolt}) {
				t.Errorf("refreshed inventory items %v, want the bolt %s", got, h.bolt)
			}

			// Ten received against the order's line.
			h.later(time.Hour)
			line, _ := po.Child("PurchaseOrderLineRet").ChildText("TxnLineID")
			h.qb(`<ItemReceiptAddRq><ItemReceiptAdd><VendorRef><ListID>` + h.vendor + `</ListID></VendorRef><TxnDate>2026-03-05</TxnDate>
				<ItemLineAdd><Quantity>10</Quantity><LinkToTxn><TxnID>` + txnID(po) + `</TxnID><TxnLineID>` + line + `</TxnLineID></LinkToTxn></ItemLineAdd></ItemReceiptAdd></ItemReceiptAddRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantStock(h.bolt, "50")
			h.wantOrdered(h.bolt, "15", "0")
			h.checkMirror(0, "inventoryItems", "purchaseOrders", "itemReceipts")
		})
	}
}

func TestAnItemsQuantityOnSalesOrdersFollowsSalesOrdersInQuickBooks(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "salesOrders")
			h.qb(`<SalesOrderAddRq><SalesOrderAdd><CustomerRef><ListID>` + h.other + `</ListID></CustomerRef><TxnDate>2026-03-01</TxnDate>
				<SalesOrderLineAdd><ItemRef><ListID>` + h.bolt + `</ListID></ItemRef><Quantity>2</Quantity><Rate>1.00</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`)
			h.sync(qbconnect.SyncFull)
			h.wantOrdered(h.bolt, "0", "2")

			h.later(time.Hour)
			so := h.qb(`<SalesOrderAddRq><SalesOrderAdd><CustomerRef><ListID>` + h.other + `</ListID></CustomerRef><TxnDate>2026-03-02</TxnDate>
				<SalesOrderLineAdd><ItemRef><ListID>` + h.nut + `</ListID></ItemRef><Quantity>30</Quantity><Rate>1.00</Rate></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantOrdered(h.nut, "0", "30")

			// Closed by hand: nothing is on sales orders any more.
			h.later(time.Hour)
			es, _ := so.ChildText("EditSequence")
			h.qb(`<SalesOrderModRq><SalesOrderMod><TxnID>` + txnID(so) + `</TxnID><EditSequence>` + es + `</EditSequence><IsManuallyClosed>true</IsManuallyClosed></SalesOrderMod></SalesOrderModRq>`)
			h.sync(qbconnect.SyncIncremental)
			h.wantOrdered(h.nut, "0", "0")
			h.checkMirror(0, "inventoryItems", "salesOrders")
		})
	}
}

// A bill written through the API that links to a purchase order as a
// whole names no item itself: the items of the order, as the store holds
// it, are read back in the write's own message set.
func TestABillWrittenAgainstAPurchaseOrderRefreshesTheOrdersItems(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newStockHarness(t, dsn, "purchaseOrders", "bills")
			po := h.purchaseOrder(h.bolt, "25")
			h.sync(qbconnect.SyncFull)
			h.wantOrdered(h.bolt, "25", "0")

			_, res := h.write(qbconnect.WriteRequest{DataType: "bills", Action: qbconnect.WriteCreate,
				Body: json.RawMessage(`{"vendorRef":{"listId":"` + h.vendor + `"},"linkToTxnId":["` + txnID(po) + `"]}`)})
			if res.Status != qbconnect.OpSucceeded {
				t.Fatalf("create: %s %v", res.Status, res.Error)
			}
			h.wantStock(h.bolt, "65")
			h.wantOrdered(h.bolt, "0", "0")
			if got := h.refreshes(); len(got) != 0 {
				t.Errorf("the write queued refreshes %v; its own message set reads the items", got)
			}
		})
	}
}

// A build of an assembly puts the assemblies built on hand and takes
// their components off it; neither is marked modified. The build lists
// its components (ComponentItemLineRet, qbXML 13.0 schema), so both are
// read again.
func TestAnAssemblyBuiltInQuickBooksRefreshesTheAssemblyAndItsComponents(t *testing.T) {
	h := newStockHarnessWith(t, harnessOptions{DSN: storetest.SQLiteDSN(t), Features: []companyfile.Feature{companyfile.FeatureAssemblies}},
		"inventoryAssemblyItems", "buildAssemblies")
	kit := listID(h.qb(`<ItemInventoryAssemblyAddRq><ItemInventoryAssemblyAdd><Name>Kit</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
		<ItemInventoryAssemblyLine><ItemInventoryRef><ListID>` + h.bolt + `</ListID></ItemInventoryRef><Quantity>4</Quantity></ItemInventoryAssemblyLine></ItemInventoryAssemblyAdd></ItemInventoryAssemblyAddRq>`))
	// A later assembly moves the assemblies pass's high water past Kit.
	h.simNow.Advance(24 * time.Hour)
	h.qb(`<ItemInventoryAssemblyAddRq><ItemInventoryAssemblyAdd><Name>Later Kit</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef></ItemInventoryAssemblyAdd></ItemInventoryAssemblyAddRq>`)
	build := func(n string) {
		h.qb(`<BuildAssemblyAddRq><BuildAssemblyAdd><ItemInventoryAssemblyRef><ListID>` + kit + `</ListID></ItemInventoryAssemblyRef><TxnDate>2026-03-03</TxnDate>
			<QuantityToBuild>` + n + `</QuantityToBuild></BuildAssemblyAdd></BuildAssemblyAddRq>`)
	}
	build("1")
	h.sync(qbconnect.SyncFull)
	h.wantStock(h.bolt, "36")

	h.later(time.Hour)
	build("2")
	h.sync(qbconnect.SyncIncremental)
	r, err := h.env.Records.FindRecord(h.ctx, h.org.ID, h.conn.CompanyID, "inventoryAssemblyItems", kit)
	if err != nil {
		t.Fatal(err)
	}
	if got := field(t, r, "quantityOnHand"); got != "3" {
		t.Errorf("stored assembly Kit: quantity on hand %v, want 3", got)
	}
	h.wantStock(h.bolt, "28")
	refreshed := h.refreshes()
	if got := refreshed["inventoryAssemblyItems"]; !slices.Equal(got, []string{kit}) {
		t.Errorf("refreshed assemblies %v, want the kit %s", got, kit)
	}
	if got := refreshed["inventoryItems"]; !slices.Equal(got, []string{h.bolt}) {
		t.Errorf("refreshed inventory items %v, want the kit's bolt %s", got, h.bolt)
	}
	h.checkMirror(0, "inventoryItems", "inventoryAssemblyItems", "buildAssemblies")

	// A build written through the API names only the assembly, by
	// name: its components, as the stored assembly lists them, are read
	// back in the write's own message set.
	_, res := h.write(qbconnect.WriteRequest{DataType: "buildAssemblies", Action: qbconnect.WriteCreate,
		Body: json.RawMessage(`{"itemInventoryAssemblyRef":{"fullName":"Kit"},"txnDate":"2026-03-04","quantityToBuild":"1"}`)})
	if res.Status != qbconnect.OpSucceeded {
		t.Fatalf("build: %s %v", res.Status, res.Error)
	}
	h.wantStock(h.bolt, "24")
}
