package companyfile

import (
	"context"
	"errors"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// What QuickBooks fills in a Ret that the Add did not say: the Is* flags
// at their defaults, the quantities of inventory, the address blocks
// (the address as it prints), the form template, and on each line the
// sales tax code of its item and what was invoiced or received. Each is
// set only where the type's Ret has the element, in schema order.

// retDefaults are the flags and quantities QuickBooks writes when the
// request leaves them out.
var retDefaults = [][2]string{
	{"IsPending", "false"},
	{"IsFinanceCharge", "false"},
	{"IsToBePrinted", "false"},
	{"IsToBeEmailed", "false"},
	{"IsManuallyClosed", "false"},
	{"IsFullyInvoiced", "false"},
	{"IsFullyReceived", "false"},
	{"IsStatementWithParent", "false"},
	{"IsVendorEligibleFor1099", "false"},
	{"IsSalesTaxAgency", "false"},
	{"QuantityOnHand", "0"},
	{"QuantityOnOrder", "0"},
	{"QuantityOnSalesOrder", "0"},
}

// lineDefaults are those of transaction lines.
var lineDefaults = [][2]string{
	{"Invoiced", "0"},
	{"ReceivedQuantity", "0"},
	{"IsManuallyClosed", "false"},
}

// addressBlocks pairs each address with the block QuickBooks prints it as.
var addressBlocks = [][2]string{
	{"BillAddress", "BillAddressBlock"},
	{"ShipAddress", "ShipAddressBlock"},
	{"VendorAddress", "VendorAddressBlock"},
	{"Address", "AddressBlock"},
}

// fillRet sets what QuickBooks fills in ret, a new or modified object of
// type t.
func (f *File) fillRet(ctx context.Context, q querier, t *objType, model *qbxml.ElementType, ret *qbxml.Node) error {
	for _, d := range retDefaults {
		if kid(ret, d[0]) == nil {
			setIf(ret, model, d[0], d[1])
		}
	}
	if _, ok := lookupChild(model, "AverageCost"); ok && kid(ret, "AverageCost") == nil {
		setOrdered(ret, model, "AverageCost", orDefault(textAt(ret, "PurchaseCost"), "0"))
	}
	if err := f.copyAddresses(ctx, q, t, model, ret); err != nil {
		return err
	}
	for _, ab := range addressBlocks {
		if c, ok := lookupChild(model, ab[1]); ok {
			removeKids(ret, ab[1])
			if block := addressBlock(kid(ret, ab[0]), c.Type()); block != nil {
				insertOrdered(ret, model, block)
			}
		}
	}
	if _, ok := lookupChild(model, "TemplateRef"); ok && kid(ret, "TemplateRef") == nil {
		ref, err := f.defaultTemplate(ctx, q, t.Name)
		if err != nil {
			return err
		}
		if ref != nil {
			insertOrdered(ret, model, ref)
		}
	}
	if t.Kind == kindTxn {
		return f.fillLines(ctx, q, ret)
	}
	return nil
}

// fillLines gives each sales line the sales tax code of its item when it
// names none, and the line defaults.
func (f *File) fillLines(ctx context.Context, q querier, e *qbxml.Node) error {
	codes := map[string]*qbxml.Node{}
	for _, l := range e.Children {
		if _, ok := lineCategory(l.Name); !ok || l.Name == "JournalDebitLine" || l.Name == "JournalCreditLine" {
			continue
		}
		lm, ok := contentModel(l.Name)
		if !ok {
			continue
		}
		if strings.Contains(l.Name, "Group") {
			if err := f.fillLines(ctx, q, l); err != nil {
				return err
			}
			continue
		}
		for _, d := range lineDefaults {
			if kid(l, d[0]) == nil {
				setIf(l, lm, d[0], d[1])
			}
		}
		item := textAt(l, "ItemRef/ListID")
		if _, has := lookupChild(lm, "SalesTaxCodeRef"); !has || item == "" || kid(l, "SalesTaxCodeRef") != nil {
			continue
		}
		code, seen := codes[item]
		if !seen {
			o, err := getObjectByID(ctx, q, item)
			if err == nil {
				if it, err := parseNode(o.ret); err == nil {
					code = kid(it, "SalesTaxCodeRef")
				}
			}
			codes[item] = code
		}
		if code != nil {
			insertOrdered(l, lm, code.Clone())
		}
	}
	return nil
}

// addressBlock returns the address as QuickBooks prints it, in up to five
// lines: the street lines, then "City, State PostalCode", then the
// country; nil for no address.
func addressBlock(a *qbxml.Node, t *qbxml.ElementType) *qbxml.Node {
	if a == nil || t == nil {
		return nil
	}
	var lines []string
	for _, k := range []string{"Addr1", "Addr2", "Addr3", "Addr4", "Addr5"} {
		if v := textAt(a, k); v != "" {
			lines = append(lines, v)
		}
	}
	city := textAt(a, "City")
	if st := strings.TrimSpace(textAt(a, "State") + " " + textAt(a, "PostalCode")); st != "" {
		if city != "" {
			city += ", "
		}
		city += st
	}
	if city != "" {
		lines = append(lines, city)
	}
	if v := textAt(a, "Country"); v != "" {
		lines = append(lines, v)
	}
	if len(lines) == 0 {
		return nil
	}
	if len(lines) > 5 {
		lines = lines[:5]
	}
	b := &qbxml.Node{Name: t.Name}
	for i, l := range lines {
		if c := t.Child("Addr" + string(rune('1'+i))); c != nil {
			if c.Simple != nil && c.Simple.MaxLength > 0 && len([]rune(l)) > c.Simple.MaxLength {
				l = string([]rune(l)[:c.Simple.MaxLength])
			}
			b.Children = append(b.Children, qbxml.NewText(c.Name, l))
		}
	}
	return b
}

// defaultTemplate returns a reference to the first template (by name) of
// the transaction type, as QuickBooks picks one for a form that names
// none, or nil when the company has none.
func (f *File) defaultTemplate(ctx context.Context, q querier, txnType string) (*qbxml.Node, error) {
	objs, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE type = 'Template' AND active = 1 AND instr(ret, ?) > 0 ORDER BY name_key`,
		[]byte("<TemplateType>"+txnType+"</TemplateType>"))
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	return refTo("TemplateRef", objs[0]), nil
}

// copyAddresses gives a sales or purchase form that names no address the
// customer's or vendor's, as QuickBooks fills the form.
func (f *File) copyAddresses(ctx context.Context, q querier, t *objType, model *qbxml.ElementType, ret *qbxml.Node) error {
	if t.Kind != kindTxn {
		return nil
	}
	var from string
	var pairs [][2]string // Ret element, the entity's element
	switch {
	case kid(ret, "CustomerRef") != nil:
		from, pairs = textAt(ret, "CustomerRef/ListID"), [][2]string{{"BillAddress", "BillAddress"}, {"ShipAddress", "ShipAddress"}}
	case kid(ret, "VendorRef") != nil:
		from, pairs = textAt(ret, "VendorRef/ListID"), [][2]string{{"VendorAddress", "VendorAddress"}}
	default:
		return nil
	}
	var ent *qbxml.Node
	for _, p := range pairs {
		if _, ok := lookupChild(model, p[0]); !ok || kid(ret, p[0]) != nil {
			continue
		}
		if ent == nil {
			o, err := getObjectByID(ctx, q, from)
			if err != nil {
				return nil
			}
			if ent, err = parseNode(o.ret); err != nil {
				return err
			}
		}
		if a := kid(ent, p[1]); a != nil {
			insertOrdered(ret, model, renamed(a, p[0]))
		}
	}
	return nil
}

// pricedFrom says whether the item lines of a transaction type are priced
// from the item when the request names no price, and whether at the
// item's purchase cost (purchase) rather than its sales price.
func pricedFrom(txnType string) (purchase, priced bool) {
	switch txnType {
	case "Invoice", "SalesReceipt", "Estimate", "SalesOrder", "CreditMemo":
		return false, true
	case "Bill", "PurchaseOrder", "ItemReceipt", "Check", "CreditCardCharge", "CreditCardCredit", "VendorCredit":
		return true, true
	}
	return false, false
}

// fillItemPrices gives each new item line of ret (a line of an Add, or a
// Mod's line with TxnLineID -1) that has no price (Rate, Cost, RatePercent,
// or a PriceLevelRef in the request) and no Amount, of its own or from the
// order it links to, the price its item lists:
// the sales price on a sales form, the purchase cost on a purchase, as
// QuickBooks' forms fill the line when an item is picked. On a sales form
// the customer's price level (pricelevel.go) prices the line instead, and
// a line whose request names a PriceLevelRef, new or stored, takes that
// level's price. computeLines then makes the Amount the quantity (one when
// none is given) times that price. A sales line of an item priced as a
// percentage takes the percentage (RatePercent), which computeLines
// applies to the line above.
func (f *File) fillItemPrices(ctx context.Context, q querier, t *objType, ret, src *qbxml.Node) error {
	purchase, priced := pricedFrom(t.Name)
	if !priced || src == nil {
		return nil
	}
	items := map[string]*object{}
	rets := map[string]*qbxml.Node{}
	var custLevel *qbxml.Node
	custDone := false
	customer := func() (*qbxml.Node, error) {
		if purchase || custDone {
			return custLevel, nil
		}
		custDone = true
		var err error
		custLevel, err = customerLevel(ctx, q, textAt(ret, "CustomerRef/ListID"))
		return custLevel, err
	}
	var walk func(ret, src *qbxml.Node) error
	walk = func(ret, src *qbxml.Node) error {
		for _, p := range pairLines(ret, src) {
			l, s := p[0], p[1]
			if isGroupLine(l.Name) {
				if err := walk(l, s); err != nil {
					return err
				}
				continue
			}
			named := hasKid(s, "PriceLevelRef")
			if !named && !strings.HasSuffix(s.Name, "Add") && textAt(s, "TxnLineID") != "-1" {
				continue
			}
			// The line's own price or amount, or one it took from the
			// order it links to (linkOrders), stands.
			if !named && (hasKid(l, "Amount") || hasKid(l, "Rate") || hasKid(l, "Cost") || hasKid(l, "RatePercent")) {
				continue
			}
			id := textAt(l, "ItemRef/ListID")
			lm, ok := contentModel(l.Name)
			if id == "" || !ok {
				continue
			}
			rate := "Rate"
			if _, ok := lookupChild(lm, "Cost"); ok {
				rate = "Cost"
			}
			if _, ok := lookupChild(lm, rate); !ok {
				continue
			}
			it, seen := rets[id]
			if !seen {
				o, r, err := getRetByID(ctx, q, id)
				if err != nil && !errors.Is(err, errNoObject) {
					return err
				}
				items[id], rets[id], it = o, r, r
			}
			if it == nil {
				continue
			}
			_, price, percent := itemTerms(it, purchase)
			if !purchase {
				level, err := f.lineLevel(ctx, q, t, s, customer)
				if err != nil {
					return err
				}
				price = levelPrice(level, id, items[id].typ, it)
			}
			switch {
			case percent != "":
				if _, ok := lookupChild(lm, "RatePercent"); ok && !purchase {
					setOrdered(l, lm, "RatePercent", percent)
				}
			case price != "":
				removeKids(l, "RatePercent")
				setOrdered(l, lm, rate, price)
			}
		}
		return nil
	}
	return walk(ret, src)
}

// pairLines pairs each line of ret with the line of src it was built from:
// the builder keeps the lines of each Ret element in their source order.
func pairLines(ret, src *qbxml.Node) [][2]*qbxml.Node {
	var out [][2]*qbxml.Node
	seen := map[string]int{}
	for _, l := range ret.Children {
		if _, ok := lineCategory(l.Name); !ok {
			continue
		}
		n := 0
		for _, s := range src.Children {
			if !retFor(s.Name, l.Name) {
				continue
			}
			if n == seen[l.Name] {
				out = append(out, [2]*qbxml.Node{l, s})
				break
			}
			n++
		}
		seen[l.Name]++
	}
	return out
}
