package companyfile

import (
	"context"
	"errors"
	"strconv"

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
	o, err := getObjectByID(ctx, q, itemID)
	if errors.Is(err, errNoObject) {
		return nil
	}
	if err != nil {
		return err
	}
	it, err := parseNode(o.ret)
	if err != nil {
		return err
	}
	model, _ := contentModel(o.typ + "Ret")
	if _, ok := lookupChild(model, "QuantityOnHand"); !ok {
		return nil
	}
	qty := parseDecimal(textAt(it, "QuantityOnHand")) + delta
	setOrdered(it, model, "QuantityOnHand", strconv.FormatFloat(qty, 'f', -1, 64))
	o.ret = marshalNode(it)
	return updateObject(ctx, q, o)
}
