package companyfile

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Inventory adjustments change what is on hand: each line says the new
// quantity or the difference (QuantityAdjustment, ValueAdjustment), and
// its Ret holds the difference in quantity and value, from which the
// item's QuantityOnHand moves. Deleting or modifying the adjustment moves
// it back first.

// completeAdjustment computes each line's QuantityDifference and
// ValueDifference from the item's quantity on hand and average cost.
func (f *File) completeAdjustment(ctx context.Context, q querier, ret, src *qbxml.Node, old *object) error {
	var srcLines []*qbxml.Node
	for _, s := range src.Children {
		if retFor(s.Name, "InventoryAdjustmentLineRet") {
			srcLines = append(srcLines, s)
		}
	}
	// A modified adjustment is computed against the quantities it had
	// not yet moved.
	undo := map[string]float64{}
	if old != nil {
		if prev, err := parseNode(old.ret); err == nil {
			for _, l := range kids(prev, "InventoryAdjustmentLineRet") {
				undo[textAt(l, "ItemRef/ListID")] += parseDecimal(textAt(l, "QuantityDifference"))
			}
		}
	}
	lm, _ := contentModel("InventoryAdjustmentLineRet")
	for i, l := range kids(ret, "InventoryAdjustmentLineRet") {
		if i >= len(srcLines) {
			break
		}
		s := srcLines[i]
		adj := kid(s, "QuantityAdjustment")
		if adj == nil {
			adj = kid(s, "ValueAdjustment")
		}
		if adj == nil {
			continue // a stored line the Mod keeps as it was
		}
		id := textAt(l, "ItemRef/ListID")
		o, err := getObjectByID(ctx, q, id)
		if errors.Is(err, errNoObject) || (err == nil && o.typ != "ItemInventory" && o.typ != "ItemInventoryAssembly") {
			return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks ItemInventory %q in the InventoryAdjustment.", id)
		}
		if err != nil {
			return err
		}
		it, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		onHand := parseDecimal(textAt(it, "QuantityOnHand")) - undo[id]
		cost := parseDecimal(orDefault(textAt(it, "AverageCost"), textAt(it, "PurchaseCost")))
		diff := parseDecimal(textAt(adj, "QuantityDifference"))
		if v := textAt(adj, "NewQuantity"); v != "" {
			diff = parseDecimal(v) - onHand
		}
		value := int64(diff * cost * 100)
		if v := textAt(adj, "ValueDifference"); v != "" {
			value = mustCents(v)
		} else if v := textAt(adj, "NewValue"); v != "" {
			value = mustCents(v) - int64(onHand*cost*100)
		}
		setOrdered(l, lm, "QuantityDifference", strconv.FormatFloat(diff, 'f', -1, 64))
		setOrdered(l, lm, "ValueDifference", formatCents(value))
	}
	return nil
}

// moveInventory adds sign times each line's QuantityDifference to its
// item's QuantityOnHand.
func (f *File) moveInventory(ctx context.Context, q querier, ret *qbxml.Node, sign float64) error {
	for _, l := range kids(ret, "InventoryAdjustmentLineRet") {
		if err := addOnHand(ctx, q, textAt(l, "ItemRef/ListID"), sign*parseDecimal(textAt(l, "QuantityDifference"))); err != nil {
			return err
		}
	}
	return nil
}

// moveBuild makes (sign 1) or unmakes (sign -1) a build that is not
// pending: the assemblies built go on hand, their components off it.
func (f *File) moveBuild(ctx context.Context, q querier, ret *qbxml.Node, sign float64) error {
	if textAt(ret, "IsPending") == "true" {
		return nil
	}
	n := parseDecimal(textAt(ret, "QuantityToBuild"))
	asmID := textAt(ret, "ItemInventoryAssemblyRef/ListID")
	o, err := getObjectByID(ctx, q, asmID)
	if errors.Is(err, errNoObject) {
		return nil
	}
	if err != nil {
		return err
	}
	asm, err := parseNode(o.ret)
	if err != nil {
		return err
	}
	for _, l := range kids(asm, "ItemInventoryAssemblyLine") {
		if err := addOnHand(ctx, q, textAt(l, "ItemInventoryRef/ListID"), -sign*n*parseDecimal(textAt(l, "Quantity"))); err != nil {
			return err
		}
	}
	return addOnHand(ctx, q, asmID, sign*n)
}

// addOnHand adds delta to an inventory item's QuantityOnHand; other items
// (services in an assembly) keep no quantity.
func addOnHand(ctx context.Context, q querier, itemID string, delta float64) error {
	return moveStock(ctx, q, itemID, onHand, delta, 0, false)
}

// The quantities of an inventory item (or assembly) that transactions move.
const (
	onHand       = "QuantityOnHand"
	onOrder      = "QuantityOnOrder"
	onSalesOrder = "QuantityOnSalesOrder"
)

// stockMove says how the item lines of a transaction type move an item's
// quantities: purchases (sign 1) and returns to the vendor (-1) move what
// is on hand at the line's cost, which moves the average cost; sales (-1)
// and customer returns (1) at the average cost, which they leave as it
// is. Orders move no stock but what is on order: each open line of a
// purchase order adds what is not yet received to QuantityOnOrder, each
// open line of a sales order what is not yet invoiced to
// QuantityOnSalesOrder (orders.go).
type stockMove struct {
	sign   float64
	costed bool
	// quantity is the item's element the lines move.
	quantity string
	// done, for an order, is its line's element that says how much of
	// the line was received or invoiced.
	done string
}

var stockMoves = map[string]stockMove{
	"Bill": {1, true, onHand, ""}, "ItemReceipt": {1, true, onHand, ""}, "Check": {1, true, onHand, ""}, "CreditCardCharge": {1, true, onHand, ""},
	"VendorCredit": {-1, true, onHand, ""}, "CreditCardCredit": {-1, true, onHand, ""},
	"Invoice": {-1, false, onHand, ""}, "SalesReceipt": {-1, false, onHand, ""}, "CreditMemo": {1, false, onHand, ""},
	"PurchaseOrder": {1, false, onOrder, "ReceivedQuantity"}, "SalesOrder": {1, false, onSalesOrder, "Invoiced"},
}

// lineQuantity is what an item line of a transaction moved by m counts:
// its Quantity, or for an order what is still open of it, nothing when
// the line or the whole order is closed.
func (m stockMove) lineQuantity(txn, l *qbxml.Node) float64 {
	qty := parseDecimal(textAt(l, "Quantity"))
	if m.done == "" {
		return qty
	}
	if textAt(txn, "IsManuallyClosed") == "true" || textAt(l, "IsManuallyClosed") == "true" {
		return 0
	}
	return max(qty-parseDecimal(textAt(l, m.done)), 0)
}

// moveItemLines moves the quantities of the inventory items on the item
// lines of ret (a transaction of type typ): sign 1 when it is written, -1
// when it is modified (before the new version moves them again), deleted
// or voided. A pending sale moves nothing until it is final.
func (f *File) moveItemLines(ctx context.Context, q querier, typ string, ret *qbxml.Node, sign float64) error {
	m, ok := stockMoves[typ]
	if !ok || textAt(ret, "IsPending") == "true" {
		return nil
	}
	var walk func(e *qbxml.Node) error
	walk = func(e *qbxml.Node) error {
		for _, l := range e.Children {
			if _, isLine := lineCategory(l.Name); !isLine || l.Name == "ExpenseLineRet" {
				continue
			}
			if strings.Contains(l.Name, "Group") {
				if err := walk(l); err != nil {
					return err
				}
				continue
			}
			id := textAt(l, "ItemRef/ListID")
			if id == "" || textAt(l, "Quantity") == "" {
				continue
			}
			qty := m.lineQuantity(ret, l)
			if qty == 0 && m.done != "" {
				continue // a closed or received order line
			}
			s := sign * m.sign
			if err := moveStock(ctx, q, id, m.quantity, s*qty, s*float64(mustCents(textAt(l, "Amount")))/100, m.costed); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(ret)
}

// moveStock adds qty to the quantity (QuantityOnHand, QuantityOnOrder,
// QuantityOnSalesOrder) of an inventory item and, when the move is costed
// (a purchase worth value), recomputes its AverageCost. Other items keep
// no quantity.
func moveStock(ctx context.Context, q querier, itemID, quantity string, qty, value float64, costed bool) error {
	o, err := getObjectByID(ctx, q, itemID)
	if errors.Is(err, errNoObject) {
		return nil
	}
	if err != nil {
		return err
	}
	model, _ := contentModel(o.typ + "Ret")
	if _, ok := lookupChild(model, quantity); !ok {
		return nil
	}
	it, err := parseNode(o.ret)
	if err != nil {
		return err
	}
	was := parseDecimal(textAt(it, quantity))
	if costed {
		avg := parseDecimal(orDefault(textAt(it, "AverageCost"), textAt(it, "PurchaseCost")))
		setIf(it, model, "AverageCost", strconv.FormatFloat(averageCost(was, avg, qty, value), 'f', -1, 64))
	}
	setOrdered(it, model, quantity, strconv.FormatFloat(was+qty, 'f', -1, 64))
	o.ret = marshalNode(it)
	return updateObject(ctx, q, o)
}

// averageCost is the average cost of an item after qty units worth value
// come into (or, negative, go back out of) onHand units at avg: the value
// on hand divided by the quantity on hand, to five decimals. Stock below
// zero has no value; with nothing left on hand the cost stays as it was.
// A change to an older purchase is taken out and put back at the current
// quantity, where QuickBooks would recompute the item's whole history: the
// quantities agree, the cost comes close.
func averageCost(onHand, avg, qty, value float64) float64 {
	base := max(onHand, 0)
	n := base + qty
	if n <= 0 {
		return avg
	}
	return math.Round((base*avg+value)/n*1e5) / 1e5
}
