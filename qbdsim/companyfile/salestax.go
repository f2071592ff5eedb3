package companyfile

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// US sales tax on a sales form, as QuickBooks Desktop works it out. The
// form charges one sales tax item or group (ItemSalesTaxRef): the one the
// request names, else the customer's, else the company's most common sales
// tax item. It charges it on the taxable lines (those whose sales tax code
// is taxable) unless the customer's sales tax code on the form
// (CustomerSalesTaxCodeRef, by default the customer's) is non-taxable. A
// group charges each of its items on the taxable amount, each rounded to
// the cent, and the form's tax is their sum; its rate is the sum of theirs.
// The sources are cited in salestax_test.go.

// taxShare is what one sales tax item of a form charges.
type taxShare struct {
	item   *object
	amount int64
}

// salesTax is the tax a sales form charges.
type salesTax struct {
	rate   float64 // percent; for a group, the sum of its items' rates
	total  int64   // cents
	shares []taxShare
}

// fillSalesTaxRefs gives a sales form that names none the customer's sales
// tax item and code, or the company's most common sales tax item, as
// QuickBooks fills the form when the customer is chosen. A Mod keeps what
// the form has (unverified: a Mod that names another customer keeps the
// tax item, as it keeps the addresses).
func (f *File) fillSalesTaxRefs(ctx context.Context, q querier, model *qbxml.ElementType, ret *qbxml.Node) error {
	_, hasItem := lookupChild(model, "ItemSalesTaxRef")
	_, hasCode := lookupChild(model, "CustomerSalesTaxCodeRef")
	if !hasItem && !hasCode {
		return nil
	}
	var cust *qbxml.Node
	if id := textAt(ret, "CustomerRef/ListID"); id != "" {
		_, c, err := getRetByID(ctx, q, id)
		if err != nil && !errors.Is(err, errNoObject) {
			return err
		}
		cust = c
	}
	refill := func(name, from string) {
		if kid(ret, name) != nil || cust == nil {
			return
		}
		if r := kid(cust, from); r != nil {
			insertOrdered(ret, model, renamed(r, name))
		}
	}
	if hasCode {
		refill("CustomerSalesTaxCodeRef", "SalesTaxCodeRef")
	}
	if !hasItem {
		return nil
	}
	refill("ItemSalesTaxRef", "ItemSalesTaxRef")
	if kid(ret, "ItemSalesTaxRef") != nil {
		return nil
	}
	o, err := getObjectByName(ctx, q, "Item", defaultSalesTaxItem)
	if errors.Is(err, errNoObject) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.typ == "ItemSalesTax" || o.typ == "ItemSalesTaxGroup" {
		insertOrdered(ret, model, refTo("ItemSalesTaxRef", o))
	}
	return nil
}

// salesTaxOf works out the tax of the sales form ret (kinds as for
// computeLines).
func (f *File) salesTaxOf(ctx context.Context, q querier, ret *qbxml.Node, kinds map[string]string) (salesTax, error) {
	var st salesTax
	id := textAt(ret, "ItemSalesTaxRef/ListID")
	if id == "" {
		return st, nil
	}
	o, it, err := getRetByID(ctx, q, id)
	if errors.Is(err, errNoObject) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	items := []*object{o}
	rets := []*qbxml.Node{it}
	if o.typ == "ItemSalesTaxGroup" {
		items, rets = nil, nil
		for _, m := range kids(it, "ItemSalesTaxRef") {
			mo, mr, err := getRetByID(ctx, q, textAt(m, "ListID"))
			if errors.Is(err, errNoObject) {
				continue
			}
			if err != nil {
				return st, err
			}
			items, rets = append(items, mo), append(rets, mr)
		}
	}
	codes := taxCodes{}
	taxable := int64(0)
	custTaxed, err := codes.taxable(ctx, q, kid(ret, "CustomerSalesTaxCodeRef"))
	if err != nil {
		return st, err
	}
	if custTaxed {
		if err := codes.load(ctx, q, ret); err != nil {
			return st, err
		}
		taxable, _ = taxableLines(ret, kinds, codes.lineTaxed)
	}
	for i, r := range rets {
		rate := parseDecimal(textAt(r, "TaxRate"))
		amt := taxOn(taxable, rate)
		st.rate += rate
		st.total += amt
		st.shares = append(st.shares, taxShare{item: items[i], amount: amt})
	}
	st.rate = math.Round(st.rate*1e6) / 1e6
	return st, nil
}

// formatRate writes a percentage as qbXML does, without trailing zeros.
func formatRate(rate float64) string { return strconv.FormatFloat(rate, 'f', -1, 64) }

// taxOn is rate percent of cents, rounded to the cent (half away from
// zero). The product is first rounded to a millionth of a cent so that
// binary noise cannot move a half cent.
func taxOn(cents int64, rate float64) int64 {
	v := float64(cents) * rate / 100
	return int64(math.Round(math.Round(v*1e6) / 1e6))
}

// taxCodes caches whether each sales tax code is taxable, by ListID.
type taxCodes map[string]bool

// taxable reports whether the code ref names a taxable code; no code, or
// one not on the list, is taxable, as the form then charges its lines by
// their own codes (unverified: QuickBooks always fills the customer's
// code).
func (c taxCodes) taxable(ctx context.Context, q querier, ref *qbxml.Node) (bool, error) {
	if ref == nil {
		return true, nil
	}
	id := textAt(ref, "ListID")
	if v, ok := c[id]; ok {
		return v, nil
	}
	_, code, err := getRetByID(ctx, q, id)
	if errors.Is(err, errNoObject) {
		return !strings.EqualFold(textAt(ref, "FullName"), "Non"), nil
	}
	if err != nil {
		return false, err
	}
	v := textAt(code, "IsTaxable") == "true"
	c[id] = v
	return v, nil
}

// load reads the codes of the lines of e, inside group lines too.
func (c taxCodes) load(ctx context.Context, q querier, e *qbxml.Node) error {
	for _, l := range e.Children {
		if _, ok := lineCategory(l.Name); !ok {
			continue
		}
		if isGroupLine(l.Name) {
			if err := c.load(ctx, q, l); err != nil {
				return err
			}
			continue
		}
		if r := kid(l, "SalesTaxCodeRef"); r != nil {
			if _, err := c.taxable(ctx, q, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// lineTaxed reports whether a line's sales tax code (loaded) is taxable;
// a line without one is not.
func (c taxCodes) lineTaxed(l *qbxml.Node) bool {
	r := kid(l, "SalesTaxCodeRef")
	if r == nil {
		return false
	}
	if v, ok := c[textAt(r, "ListID")]; ok {
		return v
	}
	return strings.EqualFold(textAt(r, "FullName"), "Tax")
}

// taxShares splits the tax a stored sales form charged among its sales
// tax items: a group's among its items, each as the form charges it, so
// that the sales tax owed to each agency is each item's own. Should the
// items' rates have changed since, the last share takes the difference,
// so the shares always add up to the form's tax.
func (f *File) taxShares(ctx context.Context, q querier, ret *qbxml.Node, tax int64) ([]taxShare, error) {
	id := textAt(ret, "ItemSalesTaxRef/ListID")
	o, err := getObjectByID(ctx, q, id)
	if errors.Is(err, errNoObject) {
		return []taxShare{{item: &object{id: id}, amount: tax}}, nil
	}
	if err != nil {
		return nil, err
	}
	if o.typ != "ItemSalesTaxGroup" {
		return []taxShare{{item: o, amount: tax}}, nil
	}
	kinds, err := lineItemTypes(ctx, q, ret)
	if err != nil {
		return nil, err
	}
	st, err := f.salesTaxOf(ctx, q, ret, kinds)
	if err != nil {
		return nil, err
	}
	if len(st.shares) == 0 {
		return []taxShare{{item: o, amount: tax}}, nil
	}
	st.shares[len(st.shares)-1].amount += tax - st.total
	return st.shares, nil
}
