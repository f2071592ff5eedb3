package companyfile

import (
	"context"
	"errors"
	"math"
	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Price levels. A price level (PriceLevelRet) is either a fixed
// percentage (PriceLevelFixedPercentage: 20 raises every item's sales
// price by 20%, -10 lowers it by 10%) or a list of prices for some items
// (PriceLevelPerItemRet: the item and its CustomPrice, or a
// CustomPricePercent of its sales price). A sales line that names a price
// level (PriceLevelRef on InvoiceLineAdd, SalesReceiptLineAdd,
// SalesOrderLineAdd, CreditMemoLineAdd and their Mods), or a new line with
// no price of a customer that has one (CustomerRet's PriceLevelRef), is
// priced at the level's price for its item. The line keeps only the Rate:
// QuickBooks does not record which level priced it. Per-item levels are
// Premier and above: a company without FeaturePerItemPrices (Pro) has
// fixed-percentage ones only (features.go). See prices_test.go for the
// sources.

// notLevelPriced are the item types a price level leaves at their own
// price: they are no goods or services sold.
var notLevelPriced = map[string]bool{
	"ItemDiscount": true, "ItemSubtotal": true, "ItemPayment": true,
	"ItemSalesTax": true, "ItemSalesTaxGroup": true,
}

// levelPrice returns the price the price level level gives the item it
// (an object of type typ) on a sales line: its custom price on a per-item
// level, its sales price raised or lowered by the level's percentage,
// rounded to the cent; the item's own sales price when the level does
// not price it, and "" when the item has no price.
func levelPrice(level *qbxml.Node, itemID, typ string, it *qbxml.Node) string {
	_, price, percent := itemTerms(it, false)
	if percent != "" || notLevelPriced[typ] || level == nil {
		return price
	}
	adjust := func(pct string) string {
		if price == "" {
			return ""
		}
		return centsPrice(parseDecimal(price) * (1 + parseDecimal(pct)/100))
	}
	if pct := textAt(level, "PriceLevelFixedPercentage"); pct != "" {
		return adjust(pct)
	}
	for _, p := range kids(level, "PriceLevelPerItemRet") {
		if textAt(p, "ItemRef/ListID") != itemID {
			continue
		}
		if v := textAt(p, "CustomPrice"); v != "" {
			return v
		}
		if v := textAt(p, "CustomPricePercent"); v != "" {
			return adjust(v)
		}
	}
	return price
}

// centsPrice formats a price rounded to the cent, without trailing zeros.
func centsPrice(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// completePriceLevel fills what QuickBooks computes on a price level: its
// PriceLevelType, and the custom price of each item a per-item level
// adjusts by a percentage (PriceLevelPerItem's AdjustPercentage, relative
// to the item's sales price, its cost, or the price the level gave it
// before: AdjustRelativeTo StandardPrice, Cost, CurrentCustomPrice). src
// is the Add, or the Mod merged over the stored level, old the stored
// level of a Mod.
func (f *File) completePriceLevel(ctx context.Context, q querier, model *qbxml.ElementType, ret, src *qbxml.Node, old *object) error {
	typ := "PerItem"
	if hasKid(ret, "PriceLevelFixedPercentage") {
		typ = "FixedPercentage"
	}
	if old != nil {
		prev, err := parseNode(old.ret)
		if err != nil {
			return err
		}
		// "the type cannot be changed later by a PriceLevelMod"
		// (Intuit, "Requests that create and apply price levels").
		if was := textAt(prev, "PriceLevelType"); was != "" && was != typ && (hasKid(src, "PriceLevelFixedPercentage") || hasKid(src, "PriceLevelPerItem")) {
			return qbErr(stInvalidValue, "The price level %q is a %s price level: its type cannot be changed.", textAt(prev, "Name"), was)
		}
		if err := f.adjustLevelPrices(ctx, q, ret, src, prev); err != nil {
			return err
		}
	} else if err := f.adjustLevelPrices(ctx, q, ret, src, nil); err != nil {
		return err
	}
	setIf(ret, model, "PriceLevelType", typ)
	return nil
}

// adjustLevelPrices gives each PriceLevelPerItemRet of ret that has no
// price the price its PriceLevelPerItem in src adjusts by a percentage.
// prev is the stored level of a Mod (nil for an Add): its custom price of
// the item is the CurrentCustomPrice.
func (f *File) adjustLevelPrices(ctx context.Context, q querier, ret, src, prev *qbxml.Node) error {
	var adds []*qbxml.Node
	for _, s := range src.Children {
		if s.Name == "PriceLevelPerItem" || s.Name == "PriceLevelPerItemRet" {
			adds = append(adds, s)
		}
	}
	pm, ok := contentModel("PriceLevelPerItemRet")
	if !ok {
		return nil
	}
	for i, p := range kids(ret, "PriceLevelPerItemRet") {
		if hasKid(p, "CustomPrice") || hasKid(p, "CustomPricePercent") || i >= len(adds) {
			continue
		}
		pct, rel := textAt(adds[i], "AdjustPercentage"), textAt(adds[i], "AdjustRelativeTo")
		id := textAt(p, "ItemRef/ListID")
		o, it, err := getRetByID(ctx, q, id)
		if err != nil && !errors.Is(err, errNoObject) {
			return err
		}
		var base string
		switch {
		case it == nil:
		case rel == "Cost":
			_, base, _ = itemTerms(it, true)
		case rel == "CurrentCustomPrice" && prev != nil:
			base = levelPrice(prev, id, o.typ, it)
		default:
			_, base, _ = itemTerms(it, false)
		}
		price := "0"
		if base != "" {
			price = centsPrice(parseDecimal(base) * (1 + parseDecimal(pct)/100))
		}
		setOrdered(p, pm, "CustomPrice", price)
	}
	return nil
}

// lineLevel returns the price level that prices a sales line: the one the
// request's line s names (resolved, 3140 when there is none of that name),
// else, for a new line, its customer's; nil for none.
func (f *File) lineLevel(ctx context.Context, q querier, t *objType, s *qbxml.Node, customer func() (*qbxml.Node, error)) (*qbxml.Node, error) {
	if named := kid(s, "PriceLevelRef"); named != nil {
		b := &builder{f: f, ctx: ctx, q: q, typ: t, now: f.opt.Now()}
		ref, err := b.resolveRef("PriceLevelRef", named)
		if err != nil {
			return nil, err
		}
		_, level, err := getRetByID(ctx, q, textAt(ref, "ListID"))
		if err != nil {
			return nil, err
		}
		return level, nil
	}
	return customer()
}

// customerLevel returns the price level of the customer (or job) with
// ListID id, or nil.
func customerLevel(ctx context.Context, q querier, id string) (*qbxml.Node, error) {
	if id == "" {
		return nil, nil
	}
	_, c, err := getRetByID(ctx, q, id)
	if errors.Is(err, errNoObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lid := textAt(c, "PriceLevelRef/ListID")
	if lid == "" {
		return nil, nil
	}
	_, level, err := getRetByID(ctx, q, lid)
	if errors.Is(err, errNoObject) {
		return nil, nil
	}
	return level, err
}
