package companyfile

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// The generator's inventory parts. Each starts with an opening quantity on
// hand at its purchase cost, as ItemInventoryAdd with a QuantityOnHand
// would. Sales and counts that find stock missing never take away more
// than the opening quantity in all, and only after the part exists, so no
// part is ever short whatever the order of the purchases. The parts, and
// the inventory adjustments (whose value difference depends on the
// average cost of the day), are written last: their moves are then
// replayed in the order they were made, by the rules of the request
// processor (moveStock, completeAdjustment).

// genStock is an inventory part being generated.
type genStock struct {
	ref
	desc    string
	price   int64 // cents
	cost    int64 // purchase cost, cents
	created time.Time
	opening int
	budget  int // units that sales and counts may still take away
	// onOrder and onSalesOrder are the units open purchase and sales
	// orders name (the generator's orders are all open and untouched).
	onOrder, onSalesOrder int
	ret                   *qbxml.Node
	moves                 []stockEvent
}

// stockEvent is one move of a part: qty units (negative: out) at time t;
// a costed move (a purchase) is worth value and moves the average cost.
// adjLine, when set, is the inventory adjustment line whose
// ValueDifference the replay fills in.
type stockEvent struct {
	t       time.Time
	seq     int
	qty     float64
	value   float64
	costed  bool
	adjLine *qbxml.Node
}

// checkPrerequisites checks that the kinds asked for have the lists they
// need: a vendor for item receipts, employees for time tracking, and so on.
func (o GenerateOptions) checkPrerequisites() error {
	for _, c := range []struct {
		need bool
		what string
	}{
		{o.ItemReceipts+o.InventoryAdjustments > 0 && o.InventoryItems == 0, "item receipts and inventory adjustments need inventory items"},
		{o.ItemReceipts+o.VendorCredits > 0 && o.Vendors == 0, "item receipts and vendor credits need at least one vendor"},
		{o.Charges > 0 && (o.Customers == 0 || o.Items == 0), "statement charges need customers and items"},
		{o.InventoryItems > 0 && o.Invoices+o.SalesReceipts > 0 && o.Items == 0, "sales need at least one item"},
		{o.TimeTracking+o.SalesReps > 0 && o.Employees == 0, "time tracking and sales reps need employees"},
		{o.SalesReps > 26*26, "at most 676 sales reps (two-letter initials)"},
	} {
		if c.need {
			return fmt.Errorf("companyfile: generate: %s", c.what)
		}
	}
	return nil
}

func (g *generator) move(s *genStock, e stockEvent) {
	g.moves++
	e.seq = g.moves
	s.moves = append(s.moves, e)
}

// genStockItems makes the inventory parts; writeStock writes them.
func (g *generator) genStockItems() error {
	if g.opt.InventoryItems == 0 {
		return nil
	}
	seen, err := g.existingNames("Item")
	if err != nil {
		return err
	}
	for _, it := range g.items {
		seen[nameKey(it.name)] = true
	}
	income, cogs, asset := g.std["Account/Product Sales"], g.std["Account/Cost of Goods Sold"], g.std["Account/Inventory Asset"]
	if income.id == "" || cogs.id == "" || asset.id == "" {
		return fmt.Errorf("companyfile: generate: inventory parts need the accounts Product Sales, Cost of Goods Sold and Inventory Asset")
	}
	for i := 0; i < g.opt.InventoryItems; i++ {
		t := g.listCreated()
		s := &genStock{desc: g.pick(genProductAdj) + " " + g.pick(genProducts), price: g.cents(8, 600), created: t}
		s.cost = s.price * int64(45+g.r.IntN(30)) / 100
		s.opening = 20 + g.r.IntN(180)
		s.budget = s.opening
		name := uniqueName(seen, fmt.Sprintf("INV-%s-%03d", genSKUPrefix[g.r.IntN(len(genSKUPrefix))], g.r.IntN(1000)), 31)
		ret, id, _ := g.header("ItemInventoryRet", true, t, t)
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("FullName", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("Sublevel", "0"),
			g.taxCode.el("SalesTaxCodeRef"), qbxml.NewText("SalesDesc", s.desc), qbxml.NewText("SalesPrice", formatCents(s.price)), income.el("IncomeAccountRef"),
			qbxml.NewText("PurchaseDesc", s.desc), qbxml.NewText("PurchaseCost", formatCents(s.cost)), cogs.el("COGSAccountRef"), asset.el("AssetAccountRef"),
			qbxml.NewText("ReorderPoint", strconv.Itoa(5+g.r.IntN(20))))
		s.ref, s.ret = ref{id, name}, ret
		g.stock = append(g.stock, s)
	}
	return nil
}

// stockSale returns a sales line selling a part that exists at t and has
// units left to sell, its amount and its taxable amount; ok is false when
// the part drawn has none.
func (g *generator) stockSale(lineName string, c *genCustomer, t time.Time) (l *qbxml.Node, amt, taxable int64, ok bool) {
	s := g.stock[g.r.IntN(len(g.stock))]
	if s.budget == 0 || t.Before(s.created) {
		return nil, 0, 0, false
	}
	qty := 1 + g.r.IntN(min(8, s.budget))
	s.budget -= qty
	g.move(s, stockEvent{t: t, qty: -float64(qty)})
	amt = s.price * int64(qty)
	code := g.nonCode
	if c.taxable {
		code, taxable = g.taxCode, amt
	}
	l = qbxml.NewNode(lineName, qbxml.NewText("TxnLineID", g.f.ids.newID(t)), s.el("ItemRef"), qbxml.NewText("Desc", s.desc), qbxml.NewText("Quantity", strconv.Itoa(qty)),
		qbxml.NewText("Rate", formatCents(s.price)), qbxml.NewText("Amount", formatCents(amt)), code.el("SalesTaxCodeRef"))
	return l, amt, taxable, true
}

// stockPurchase returns up to n item lines buying parts that exist at t,
// at around their purchase cost, and their sum.
func (g *generator) stockPurchase(t time.Time, n int) ([]*qbxml.Node, int64) {
	var lines []*qbxml.Node
	var sum int64
	for i := 0; i < n; i++ {
		s := g.stock[g.r.IntN(len(g.stock))]
		if t.Before(s.created) {
			continue
		}
		qty := 5 + g.r.IntN(56)
		cost := s.cost * int64(90+g.r.IntN(21)) / 100
		amt := cost * int64(qty)
		g.move(s, stockEvent{t: t, qty: float64(qty), value: float64(amt) / 100, costed: true})
		lines = append(lines, qbxml.NewNode("ItemLineRet", qbxml.NewText("TxnLineID", g.f.ids.newID(t)), s.el("ItemRef"), qbxml.NewText("Desc", s.desc),
			qbxml.NewText("Quantity", strconv.Itoa(qty)), qbxml.NewText("Cost", formatCents(cost)), qbxml.NewText("Amount", formatCents(amt)),
			// The processor gives a line without a code its item's (fill.go).
			g.taxCode.el("SalesTaxCodeRef")))
		sum += amt
	}
	return lines, sum
}

// orderedPart returns, for a line of an order made at t, one time in
// four when the company has parts, a part that exists at t to order or
// sell instead of the item drawn; nil otherwise.
func (g *generator) orderedPart(t time.Time) *genStock {
	if len(g.stock) == 0 || g.orders.IntN(4) != 0 {
		return nil
	}
	if s := g.stock[g.orders.IntN(len(g.stock))]; !t.Before(s.created) {
		return s
	}
	return nil
}

// firstStock is when the first part was made.
func (g *generator) firstStock() time.Time {
	first := g.stock[0].created
	for _, s := range g.stock {
		if s.created.Before(first) {
			first = s.created
		}
	}
	return first
}

// genItemReceipts writes item receipts: parts received from a vendor
// before (or without) a bill. Like the processor, the generator leaves
// each receipt owed to its vendor for its total (see
// TestAnItemReceiptIsOwedToItsVendorUntilItsBill).
func (g *generator) genItemReceipts() error {
	for i := 0; i < g.opt.ItemReceipts; i++ {
		v := g.vend[g.r.IntN(len(g.vend))]
		t := g.moment()
		for _, after := range []time.Time{v.created, g.firstStock()} {
			if t.Before(after) {
				t = after
			}
		}
		lines, sum := g.stockPurchase(t, 1+g.r.IntN(3))
		for len(lines) == 0 {
			lines, sum = g.stockPurchase(t, 1)
		}
		ret, id, edit := g.header("ItemReceiptRet", false, t, t)
		refNum := fmt.Sprintf("PS-%d", 1000+g.r.IntN(9000))
		ret.Children = append(ret.Children, v.ref.el("VendorRef"), g.ap.el("APAccountRef"), qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("TotalAmount", formatCents(sum)),
			qbxml.NewText("RefNumber", refNum), qbxml.NewText("Memo", "Received with packing slip"))
		ret.Children = append(ret.Children, lines...)
		if err := g.insert(&object{typ: "ItemReceipt", id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			entityID: v.id, accountID: g.ap.id, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

// genAdjustments makes inventory adjustments: a count that finds a few
// units missing (within what may still leave stock) or a few more.
// writeStock fills in their value and writes them.
func (g *generator) genAdjustments() error {
	for i := 0; i < g.opt.InventoryAdjustments; i++ {
		s := g.stock[g.r.IntN(len(g.stock))]
		t := g.moment()
		if t.Before(s.created) {
			t = s.created
		}
		diff := 1 + g.r.IntN(5)
		if s.budget > 0 && g.r.IntN(3) > 0 {
			diff = -(1 + g.r.IntN(min(3, s.budget)))
			s.budget += diff
		}
		ret, id, edit := g.header("InventoryAdjustmentRet", false, t, t)
		line := qbxml.NewNode("InventoryAdjustmentLineRet", qbxml.NewText("TxnLineID", g.f.ids.newID(t)), s.el("ItemRef"), qbxml.NewText("QuantityDifference", strconv.Itoa(diff)))
		ret.Children = append(ret.Children, g.std["Account/Cost of Goods Sold"].el("AccountRef"), qbxml.NewText("TxnDate", qbDate(t)),
			qbxml.NewText("Memo", "Physical count"), line)
		g.move(s, stockEvent{t: t, qty: float64(diff), adjLine: line})
		adj := &object{typ: "InventoryAdjustment", id: id, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			accountID: g.std["Account/Cost of Goods Sold"].id, editSeq: edit}
		g.adjustments = append(g.adjustments, pendingAdjustment{adj, ret})
	}
	return nil
}

type pendingAdjustment struct {
	o   *object
	ret *qbxml.Node
}

// writeStock replays each part's moves in the order they were made, as
// the processor would have applied them, fills in the adjustments'
// values, and writes the parts with their final quantity and average
// cost, and what open orders name of them, then the adjustments.
func (g *generator) writeStock() error {
	model, _ := contentModel("ItemInventoryRet")
	lm, _ := contentModel("InventoryAdjustmentLineRet")
	for _, s := range g.stock {
		sort.SliceStable(s.moves, func(i, j int) bool {
			a, b := s.moves[i], s.moves[j]
			if !a.t.Equal(b.t) {
				return a.t.Before(b.t)
			}
			return a.seq < b.seq
		})
		onHand := float64(s.opening)
		avgText := formatCents(s.cost)
		for _, m := range s.moves {
			avg := parseDecimal(avgText)
			if m.adjLine != nil {
				setOrdered(m.adjLine, lm, "ValueDifference", formatCents(int64(m.qty*avg*100)))
			}
			if m.costed {
				avgText = strconv.FormatFloat(averageCost(onHand, avg, m.qty, m.value), 'f', -1, 64)
			}
			onHand += m.qty
		}
		setOrdered(s.ret, model, "QuantityOnHand", strconv.FormatFloat(onHand, 'f', -1, 64))
		setOrdered(s.ret, model, "AverageCost", avgText)
		setOrdered(s.ret, model, onOrder, strconv.Itoa(s.onOrder))
		setOrdered(s.ret, model, onSalesOrder, strconv.Itoa(s.onSalesOrder))
		t := s.created
		if err := g.insert(&object{typ: "ItemInventory", id: s.id, name: s.name, ns: "Item", created: t.Unix(), modified: t.Unix(), active: true,
			editSeq: textAt(s.ret, "EditSequence")}, s.ret); err != nil {
			return err
		}
	}
	for _, a := range g.adjustments {
		if err := g.insert(a.o, a.ret); err != nil {
			return err
		}
	}
	return nil
}
