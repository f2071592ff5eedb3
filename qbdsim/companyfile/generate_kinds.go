package companyfile

import (
	"fmt"
	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// The lists and transactions a company holds a few of: other names,
// sales reps, price levels, vendor credits, credit card credits, statement
// charges, time tracking and transfers. Each writes what the request
// processor would store for the same Add (txn.go: a vendor credit's
// CreditAmount and OpenAmount, a charge's BalanceRemaining) and moves the
// same balances.

var (
	genPriceLevels = []string{"Wholesale", "Preferred Customer", "Contractor", "Volume", "Government", "Nonprofit", "Friends and Family", "Trade Partner"}
	genTimeNotes   = []string{"On-site work", "Travel to site", "Planning and estimate", "Follow-up visit", "Installation", "Cleanup"}
)

func (g *generator) genOtherNames() error {
	if g.opt.OtherNames == 0 {
		return nil
	}
	seen, err := g.existingNames("Entity")
	if err != nil {
		return err
	}
	for _, c := range g.cust {
		seen[nameKey(c.name)] = true
	}
	for _, v := range g.vend {
		seen[nameKey(v.name)] = true
	}
	for _, e := range g.emps {
		seen[nameKey(e.name)] = true
	}
	for i := 0; i < g.opt.OtherNames; i++ {
		t := g.listCreated()
		ret, id, edit := g.header("OtherNameRet", true, t, t)
		first, last := g.pick(genFirstNames), g.pick(genLastNames)
		name := uniqueName(seen, first+" "+last, 41)
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("FirstName", first), qbxml.NewText("LastName", last),
			g.address("OtherNameAddress"), qbxml.NewText("Phone", g.phone()), qbxml.NewText("Email", lower(first)+"."+lower(last)+"@"+g.pick(genDomains)))
		if err := g.insert(&object{typ: "OtherName", id: id, name: name, ns: "Entity", created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

// genSalesReps makes sales reps of employees, named by two-letter
// initials.
func (g *generator) genSalesReps() error {
	if g.opt.SalesReps == 0 {
		return nil
	}
	seen, err := g.existingNames("SalesRep")
	if err != nil {
		return err
	}
	for i := 0; i < g.opt.SalesReps; i++ {
		e := g.emps[i%len(g.emps)]
		initial := ""
		for _, w := range []byte(e.name) {
			if w >= 'A' && w <= 'Z' && len(initial) < 2 {
				initial += string(w)
			}
		}
		for n := 0; len(initial) != 2 || seen[nameKey(initial)]; n++ {
			initial = string(rune('A'+n/26%26)) + string(rune('A'+n%26))
		}
		seen[nameKey(initial)] = true
		t := g.listCreated()
		ret, id, edit := g.header("SalesRepRet", true, t, t)
		ret.Children = append(ret.Children, qbxml.NewText("Initial", initial), qbxml.NewText("IsActive", "true"), e.el("SalesRepEntityRef"))
		if err := g.insert(&object{typ: "SalesRep", id: id, name: initial, ns: "SalesRep", created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

// genPriceLevels makes fixed-percentage price levels: discounts mostly,
// a markup now and then.
func (g *generator) genPriceLevels() error {
	if g.opt.PriceLevels == 0 {
		return nil
	}
	seen, err := g.existingNames("PriceLevel")
	if err != nil {
		return err
	}
	for i := 0; i < g.opt.PriceLevels; i++ {
		name := uniqueName(seen, genPriceLevels[i%len(genPriceLevels)], 31)
		pct := -5 * (1 + g.r.IntN(6))
		if g.r.IntN(4) == 0 {
			pct = 5 * (1 + g.r.IntN(4))
		}
		t := g.listCreated()
		ret, id, edit := g.header("PriceLevelRet", true, t, t)
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("PriceLevelType", "FixedPercentage"),
			qbxml.NewText("PriceLevelFixedPercentage", strconv.Itoa(pct)))
		if err := g.insert(&object{typ: "PriceLevel", id: id, name: name, ns: "PriceLevel", created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

// genVendorCredits writes open vendor credits: they lower what the
// company owes the vendor (the processor's VendorCredit effect is minus
// its total).
func (g *generator) genVendorCredits() error {
	for i := 0; i < g.opt.VendorCredits; i++ {
		v := g.vend[g.r.IntN(len(g.vend))]
		t := g.moment()
		if t.Before(v.created) {
			t = v.created
		}
		lines, sum := g.expenseLines(t)
		ret, id, edit := g.header("VendorCreditRet", false, t, t)
		refNum := fmt.Sprintf("CR-%d", 1000+g.r.IntN(9000))
		ret.Children = append(ret.Children, v.ref.el("VendorRef"), g.ap.el("APAccountRef"), qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("CreditAmount", formatCents(sum)),
			qbxml.NewText("RefNumber", refNum), qbxml.NewText("Memo", "Credit for returned goods"), qbxml.NewText("OpenAmount", formatCents(sum)))
		ret.Children = append(ret.Children, lines...)
		v.balance -= sum
		if err := g.insert(&object{typ: "VendorCredit", id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			entityID: v.id, accountID: g.ap.id, editSeq: edit, effect: -sum}, ret); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) genCardCredits() error {
	return g.spend("CreditCardCredit", g.opt.CreditCardCredits, g.card)
}

// genCharges writes open statement charges: one item, its quantity and
// rate, raising the customer's balance by its amount.
func (g *generator) genCharges() error {
	for i := 0; i < g.opt.Charges; i++ {
		c := g.cust[g.r.IntN(len(g.cust))]
		t := g.moment()
		if t.Before(c.created) {
			t = c.created
		}
		it := &g.items[g.r.IntN(len(g.items))]
		qty := 1 + g.r.IntN(8)
		amt := it.price * int64(qty)
		ret, id, edit := g.header("ChargeRet", false, t, t)
		ret.Children = append(ret.Children, c.ref.el("CustomerRef"), qbxml.NewText("TxnDate", qbDate(t)), it.el("ItemRef"), qbxml.NewText("Quantity", strconv.Itoa(qty)),
			qbxml.NewText("Rate", formatCents(it.price)), qbxml.NewText("Amount", formatCents(amt)), qbxml.NewText("BalanceRemaining", formatCents(amt)),
			qbxml.NewText("Desc", it.desc), g.ar.el("ARAccountRef"), qbxml.NewText("IsPaid", "false"))
		c.balance += amt
		if err := g.insert(&object{typ: "Charge", id: id, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			entityID: c.id, accountID: g.ar.id, editSeq: edit, effect: amt}, ret); err != nil {
			return err
		}
	}
	return nil
}

// genTimeTracking writes employees' time: a day's hours, for a customer
// and a service item when the company has them.
func (g *generator) genTimeTracking() error {
	var services []ref
	for _, it := range g.items {
		if it.typ == "ItemService" {
			services = append(services, it.ref)
		}
	}
	for i := 0; i < g.opt.TimeTracking; i++ {
		e := g.emps[g.r.IntN(len(g.emps))]
		t := g.moment()
		ret, id, edit := g.header("TimeTrackingRet", false, t, t)
		ret.Children = append(ret.Children, qbxml.NewText("TxnDate", qbDate(t)), e.el("EntityRef"))
		billable := "NotBillable"
		if len(g.cust) > 0 && g.r.IntN(4) > 0 {
			ret.Children = append(ret.Children, g.cust[g.r.IntN(len(g.cust))].ref.el("CustomerRef"))
			billable = "Billable"
		}
		if len(services) > 0 {
			ret.Children = append(ret.Children, services[g.r.IntN(len(services))].el("ItemServiceRef"))
		}
		ret.Children = append(ret.Children, qbxml.NewText("Duration", fmt.Sprintf("PT%dH%dM", 1+g.r.IntN(9), 15*g.r.IntN(4))),
			qbxml.NewText("Notes", g.pick(genTimeNotes)), qbxml.NewText("BillableStatus", billable))
		if err := g.insert(&object{typ: "TimeTracking", id: id, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			entityID: e.id, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

// genTransfers moves money from checking to savings.
func (g *generator) genTransfers() error {
	if g.opt.Transfers == 0 {
		return nil
	}
	savings := g.std["Account/Savings"]
	if savings.id == "" {
		return fmt.Errorf("companyfile: generate: transfers need a Savings account")
	}
	for i := 0; i < g.opt.Transfers; i++ {
		t := g.moment()
		ret, id, edit := g.header("TransferRet", false, t, t)
		ret.Children = append(ret.Children, qbxml.NewText("TxnDate", qbDate(t)), g.bank.el("TransferFromAccountRef"), savings.el("TransferToAccountRef"),
			qbxml.NewText("Amount", formatCents(g.cents(100, 5000))), qbxml.NewText("Memo", "Funds transfer"))
		if err := g.insert(&object{typ: "Transfer", id: id, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			accountID: g.bank.id, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}
