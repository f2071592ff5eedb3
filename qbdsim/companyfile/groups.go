package companyfile

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Group lines. An item group (ItemGroupRet) names items and how many of
// each (ItemGroupLine) so that they are entered together. A transaction's
// group line (InvoiceLineGroupAdd, ItemGroupLineAdd on purchases) names
// only the group and how many of it; QuickBooks writes the group's items
// as lines inside the group line (InvoiceLineRet inside
// InvoiceLineGroupRet), each with the item's description and price and the
// group's quantity times the item's, and the group line's TotalAmount is
// the sum of its lines. From then on the lines inside are lines like any
// other: they feed the totals, the sales tax, the stock and the books.

// isGroupLine says whether a line element is a group line: a sales form's
// XxxLineGroupRet (or its Add or Mod) or a purchase's ItemGroupLineRet.
func isGroupLine(name string) bool {
	return strings.Contains(name, "LineGroup") || strings.HasPrefix(name, "ItemGroupLine")
}

// groupLines returns the group lines of e.
func groupLines(e *qbxml.Node) []*qbxml.Node {
	var out []*qbxml.Node
	for _, l := range e.Children {
		if _, ok := lineCategory(l.Name); ok && isGroupLine(l.Name) {
			out = append(out, l)
		}
	}
	return out
}

// memberLines returns the lines inside a group line.
func memberLines(g *qbxml.Node) []*qbxml.Node {
	var out []*qbxml.Node
	for _, l := range g.Children {
		if _, ok := lineCategory(l.Name); ok {
			out = append(out, l)
		}
	}
	return out
}

// completeGroupLines fills the group lines of ret, a transaction of type t
// built from src (a Mod merged over old, the stored version, or an Add):
//
//   - a new group line (from an Add, or a Mod's TxnLineID -1) that names
//     no lines of its own gets the group's items as its lines;
//   - a stored group line whose Mod names another group gets the new
//     group's items instead of its lines;
//   - a stored group line whose Mod changes its Quantity, and names none
//     of its lines, scales their quantities by as much;
//   - a Mod that names lines inside a group line changes those lines as a
//     transaction's lines are changed (mergeLines) and nothing else.
//
// The group line takes the group's description when it has none, and the
// group's IsPrintItemsInGroup.
func (f *File) completeGroupLines(ctx context.Context, q querier, t *objType, ret, src *qbxml.Node, old *object) error {
	lines := groupLines(ret)
	if len(lines) == 0 {
		return nil
	}
	sources := groupLines(src)
	stored := map[string]*qbxml.Node{}
	if old != nil {
		prev, err := parseNode(old.ret)
		if err != nil {
			return err
		}
		for _, g := range groupLines(prev) {
			stored[textAt(g, "TxnLineID")] = g
		}
	}
	// Purchases price their items at cost, sales at the sales price.
	purchase := t.Name == "PurchaseOrder" || lines[0].Name == "ItemGroupLineRet"
	for i, g := range lines {
		gm, ok := contentModel(g.Name)
		if !ok {
			continue
		}
		sentLines := false // the Mod names lines inside the group line
		if i < len(sources) {
			for _, l := range memberLines(sources[i]) {
				sentLines = sentLines || strings.HasSuffix(l.Name, "Mod")
			}
		}
		prev := stored[textAt(g, "TxnLineID")]
		regrouped := prev != nil && textAt(prev, "ItemGroupRef/ListID") != textAt(g, "ItemGroupRef/ListID")
		switch {
		case prev == nil && len(memberLines(g)) == 0, regrouped:
			_, group, err := getRetByID(ctx, q, textAt(g, "ItemGroupRef/ListID"))
			if err != nil {
				return err
			}
			if regrouped {
				removeKids(g, "Desc")
				g.Children = slices.DeleteFunc(g.Children, func(k *qbxml.Node) bool { _, isLine := lineCategory(k.Name); return isLine })
			}
			if textAt(g, "Desc") == "" {
				if d := textAt(group, "ItemDesc"); d != "" {
					setOrdered(g, gm, "Desc", d)
				}
			}
			setIf(g, gm, "IsPrintItemsInGroup", orDefault(textAt(group, "IsPrintItemsInGroup"), "false"))
			var from *qbxml.Node
			if i < len(sources) {
				from = sources[i]
			}
			site, err := f.groupSite(ctx, q, t, from)
			if err != nil {
				return err
			}
			if err := f.expandGroup(ctx, q, g, gm, group, purchase, site); err != nil {
				return err
			}
		case prev != nil && !sentLines && groupQuantity(prev) != groupQuantity(g):
			scaleGroup(g, groupQuantity(g)/groupQuantity(prev))
		}
		if kid(g, "IsPrintItemsInGroup") == nil {
			setIf(g, gm, "IsPrintItemsInGroup", "false")
		}
	}
	return nil
}

// groupQuantity is how many of its group a group line is for: its
// Quantity, or one.
func groupQuantity(g *qbxml.Node) float64 {
	if v := textAt(g, "Quantity"); v != "" {
		return parseDecimal(v)
	}
	return 1
}

// groupSite resolves the InventorySiteRef of the request's group line
// from: a group line's Ret has no site, so the site is its inventory
// lines' (expandGroup). nil when from names none.
func (f *File) groupSite(ctx context.Context, q querier, t *objType, from *qbxml.Node) (*qbxml.Node, error) {
	s := kid(from, "InventorySiteRef")
	if s == nil {
		return nil, nil
	}
	b := &builder{f: f, ctx: ctx, q: q, typ: t, now: f.opt.Now()}
	return b.resolveRef("InventorySiteRef", s)
}

// expandGroup writes the items of group as the lines of the group line g:
// each with its item, the item's description and price (its cost on a
// purchase), and the group line's quantity times the item's quantity in
// the group; each takes the group line's ServiceDate, and each inventory
// line the group line's site. computeLines then gives each line its
// Amount (quantity times price) and the group line its TotalAmount.
func (f *File) expandGroup(ctx context.Context, q querier, g *qbxml.Node, gm *qbxml.ElementType, group *qbxml.Node, purchase bool, site *qbxml.Node) error {
	name, lm := memberModel(gm)
	if lm == nil {
		return nil
	}
	times := groupQuantity(g)
	for _, gl := range kids(group, "ItemGroupLine") {
		o, it, err := getRetByID(ctx, q, textAt(gl, "ItemRef/ListID"))
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return err
		}
		l := qbxml.NewNode(name, qbxml.NewText("TxnLineID", f.ids.newID(f.opt.Now())))
		insertOrdered(l, lm, refTo("ItemRef", o))
		desc, price, percent := itemTerms(it, purchase)
		if desc != "" {
			setIf(l, lm, "Desc", desc)
		}
		qty := times
		if v := textAt(gl, "Quantity"); v != "" {
			qty *= parseDecimal(v)
		}
		setIf(l, lm, "Quantity", strconv.FormatFloat(qty, 'f', -1, 64))
		if v := textAt(gl, "UnitOfMeasure"); v != "" {
			setIf(l, lm, "UnitOfMeasure", v)
		}
		rate := "Rate"
		if _, ok := lookupChild(lm, "Cost"); ok {
			rate = "Cost"
		}
		_, hasPercent := lookupChild(lm, "RatePercent")
		switch {
		case percent != "" && hasPercent:
			// computeLines applies it to the line above.
			setOrdered(l, lm, "RatePercent", percent)
		case price != "":
			setIf(l, lm, rate, price)
		}
		if v := textAt(g, "ServiceDate"); v != "" {
			setIf(l, lm, "ServiceDate", v)
		}
		if _, ok := lookupChild(lm, "InventorySiteRef"); ok && site != nil && (o.typ == "ItemInventory" || o.typ == "ItemInventoryAssembly") {
			insertOrdered(l, lm, site.Clone())
		}
		insertOrdered(g, gm, l)
	}
	return nil
}

// memberModel returns the name and content model of the lines a group
// line of type gm holds (InvoiceLineRet in InvoiceLineGroupRet).
func memberModel(gm *qbxml.ElementType) (string, *qbxml.ElementType) {
	for _, c := range gm.Children {
		if _, ok := lineCategory(c.Name); ok && strings.HasSuffix(c.Name, "LineRet") {
			lm, _ := contentModel(c.Name)
			return c.Name, lm
		}
	}
	return "", nil
}

// itemTerms returns what an item puts on a sales line (purchase false) or
// a purchase line: its description, and its price or, for an item priced
// as a percentage (a discount or a charge of so many percent), the
// percentage. A discount is negative on the form.
func itemTerms(it *qbxml.Node, purchase bool) (desc, price, percent string) {
	first := func(paths ...string) string {
		for _, p := range paths {
			if v := textAt(it, p); v != "" {
				return v
			}
		}
		return ""
	}
	if purchase {
		return first("PurchaseDesc", "SalesAndPurchase/PurchaseDesc", "SalesOrPurchase/Desc", "ItemDesc"),
			first("PurchaseCost", "SalesAndPurchase/PurchaseCost", "SalesOrPurchase/Price"), ""
	}
	desc = first("SalesDesc", "SalesAndPurchase/SalesDesc", "SalesOrPurchase/Desc", "ItemDesc")
	price = first("SalesPrice", "SalesAndPurchase/SalesPrice", "SalesOrPurchase/Price")
	percent = first("SalesOrPurchase/PricePercent")
	if v := textAt(it, "DiscountRate"); v != "" {
		price = strconv.FormatFloat(-math.Abs(parseDecimal(v)), 'f', -1, 64)
	}
	if v := textAt(it, "DiscountRatePercent"); v != "" {
		percent = strconv.FormatFloat(-math.Abs(parseDecimal(v)), 'f', -1, 64)
	}
	return desc, price, percent
}

// scaleGroup multiplies the quantities of the lines inside the group line
// g by factor, as a group's new quantity changes how many of each of its
// items: a line priced per unit is computed again, a line with an amount
// only is scaled with it.
func scaleGroup(g *qbxml.Node, factor float64) {
	for _, l := range memberLines(g) {
		if v := textAt(l, "Quantity"); v != "" {
			setKid(l, "Quantity", strconv.FormatFloat(parseDecimal(v)*factor, 'f', -1, 64))
		}
		switch {
		case hasKid(l, "Rate") || hasKid(l, "Cost"):
			removeKids(l, "Amount")
		case hasKid(l, "Amount"):
			setKid(l, "Amount", formatCents(int64(math.Round(float64(mustCents(textAt(l, "Amount")))*factor))))
		}
	}
}
