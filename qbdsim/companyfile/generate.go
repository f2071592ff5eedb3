package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// GenerateOptions say what Generate adds to a company file. Counts are
// exact; zero adds none of that kind.
type GenerateOptions struct {
	// Seed makes the company deterministic: the same seed, counts, end date
	// and starting file give the same objects, IDs and amounts.
	Seed uint64
	// List elements.
	Customers, Jobs, Vendors, Employees, Items, Classes int
	// Transactions. Payments each pay one invoice (in full or in part)
	// while unpaid invoices remain; BillPayments likewise pay bills.
	Invoices, Payments, SalesReceipts, CreditMemos, Estimates, SalesOrders                   int
	Bills, BillPayments, PurchaseOrders, Checks, CreditCardCharges, Deposits, JournalEntries int
	// InventoryItems are inventory parts, each with an opening quantity on
	// hand at its average cost. Invoices and sales receipts sell them (never
	// more than is on hand), ItemReceipts and some bills buy them,
	// InventoryAdjustments count them; quantities on hand and average costs
	// move as the request processor moves them (inventory.go).
	InventoryItems, ItemReceipts, InventoryAdjustments int
	// Lists a company holds a few of: other names, sales reps (employees)
	// and price levels.
	OtherNames, SalesReps, PriceLevels int
	// Transactions a company holds a few of: vendor credits (open,
	// lowering the vendor's balance), credit card credits, statement
	// charges (open, raising the customer's balance), employees' time, and
	// transfers from checking to savings.
	VendorCredits, CreditCardCredits, Charges, TimeTracking, Transfers int
	// Years is how far back transaction dates go from End; 0 means 3.
	Years int
	// End is the date of the newest transaction; zero means the file's
	// clock (Options.Now).
	End time.Time
	// Progress, when set, is called now and then with the number of objects
	// written so far and the total.
	Progress func(done, total int)
}

// Total returns the number of objects the options ask for.
func (o GenerateOptions) Total() int {
	return o.Customers + o.Jobs + o.Vendors + o.Employees + o.Items + o.Classes +
		o.InventoryItems + o.OtherNames + o.SalesReps + o.PriceLevels + o.Transactions()
}

// Transactions returns the number of transactions the options ask for.
func (o GenerateOptions) Transactions() int {
	return o.Invoices + o.Payments + o.SalesReceipts + o.CreditMemos + o.Estimates + o.SalesOrders +
		o.Bills + o.BillPayments + o.PurchaseOrders + o.Checks + o.CreditCardCharges + o.Deposits + o.JournalEntries +
		o.ItemReceipts + o.InventoryAdjustments + o.VendorCredits + o.CreditCardCredits + o.Charges + o.TimeTracking + o.Transfers
}

// ref is a list element the generator refers to.
type ref struct{ id, name string }

func (r ref) el(name string) *qbxml.Node {
	return &qbxml.Node{Name: name, Children: []*qbxml.Node{qbxml.NewText("ListID", r.id), qbxml.NewText("FullName", r.name)}}
}

type genCustomer struct {
	ref
	addr    *qbxml.Node
	terms   ref
	taxable bool
	balance int64
	opening int64
	created time.Time
	ret     *qbxml.Node
}

type genItem struct {
	ref
	typ     string
	price   int64 // cents
	cost    int64
	taxable bool
	desc    string
}

// generator holds the state of one Generate run.
type generator struct {
	f     *File
	opt   GenerateOptions
	r     *rand.Rand
	start time.Time
	end   time.Time
	loc   *time.Location
	stmt  *sql.Stmt
	tx    *sql.Tx
	// refs are the rows of refs of the objects inserted since begin,
	// ListID and seq in turn, which commit adds.
	refs    []any
	ctx     context.Context
	done    int
	total   int
	inBatch int
	ord     *orderer
	// templates caches the default form template of each type (nil
	// when the company has none).
	templates map[string]*qbxml.Node
	refNums   map[string]int
	std       map[string]ref // standard lists by "Type/Name"
	terms     []ref
	termDays  map[string]int
	methods   []ref
	classes   []ref
	cust      []*genCustomer
	vend      []*genCustomer
	emps      []ref
	items     []genItem
	expense   []ref
	bank      ref
	card      ref
	ar, ap    ref
	undep     ref
	taxItem   ref
	taxRate   float64
	taxCode   ref
	nonCode   ref
	stock     []*genStock // inventory parts (generate_inventory.go)
	// orders draws which order lines name parts (orderedPart): a stream
	// of its own, so that the rest of the company stays as it was before
	// orders named parts.
	orders *rand.Rand
	moves  int // stock moves so far, to order moves of one second
	// adjustments wait for writeStock to know their value.
	adjustments []pendingAdjustment
}

// Generate adds a realistic company to f: customers with jobs and addresses,
// vendors, employees, items, and transactions spread over several years
// (invoices with item lines, payments applied to them, bills and bill
// payments, sales receipts, credit memos, estimates, orders, checks, credit
// card charges, deposits, journal entries) and, when asked, inventory parts
// with item receipts and adjustments, vendor and card credits, statement
// charges, time tracking, transfers, other names, sales reps and price
// levels. The result is exactly what the request processor would have
// produced for the same history; balances, open amounts, quantities on hand
// and average costs agree. It writes in large SQLite transactions: a million
// transactions take a few minutes.
func (f *File) Generate(ctx context.Context, opt GenerateOptions) error {
	if opt.Years <= 0 {
		opt.Years = 3
	}
	for _, n := range []int{opt.Customers, opt.Jobs, opt.Vendors, opt.Employees, opt.Items, opt.Classes, opt.InventoryItems, opt.OtherNames, opt.SalesReps, opt.PriceLevels,
		opt.Invoices, opt.Payments, opt.SalesReceipts, opt.CreditMemos, opt.Estimates, opt.SalesOrders, opt.Bills, opt.BillPayments, opt.PurchaseOrders, opt.Checks,
		opt.CreditCardCharges, opt.Deposits, opt.JournalEntries, opt.ItemReceipts, opt.InventoryAdjustments, opt.VendorCredits, opt.CreditCardCredits, opt.Charges,
		opt.TimeTracking, opt.Transfers} {
		if n < 0 {
			return errors.New("companyfile: generate: negative count")
		}
	}
	if err := opt.checkPrerequisites(); err != nil {
		return err
	}
	if opt.Transactions() > 0 && (opt.Invoices+opt.Payments+opt.SalesReceipts+opt.CreditMemos+opt.Estimates+opt.SalesOrders > 0) && opt.Customers == 0 {
		return errors.New("companyfile: generate: customer transactions need at least one customer")
	}
	if opt.Bills+opt.BillPayments+opt.PurchaseOrders > 0 && opt.Vendors == 0 {
		return errors.New("companyfile: generate: vendor transactions need at least one vendor")
	}
	if opt.Invoices+opt.SalesReceipts+opt.CreditMemos+opt.Estimates+opt.SalesOrders+opt.PurchaseOrders > 0 && opt.Items == 0 {
		return errors.New("companyfile: generate: sales and purchase orders need at least one item")
	}
	if opt.Payments > 0 && opt.Invoices == 0 {
		return errors.New("companyfile: generate: payments need invoices to pay")
	}
	if opt.BillPayments > 0 && opt.Bills == 0 {
		return errors.New("companyfile: generate: bill payments need bills to pay")
	}
	if opt.Jobs > 0 && opt.Customers == 0 {
		return errors.New("companyfile: generate: jobs need customers")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	f.writes++
	end := opt.End
	if end.IsZero() {
		end = f.opt.Now()
	}
	g := &generator{f: f, opt: opt, r: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9E3779B97F4A7C15)), end: end, loc: end.Location(),
		orders: rand.New(rand.NewPCG(opt.Seed^0x5EED0DE5, opt.Seed)),
		start:  end.AddDate(-opt.Years, 0, 0), ctx: ctx, total: opt.Total(), ord: newOrderer(), refNums: map[string]int{}, std: map[string]ref{}, termDays: map[string]int{}}
	saved := f.ids
	if err := g.run(); err != nil {
		if g.tx != nil {
			g.tx.Rollback()
		}
		f.ids = saved
		return err
	}
	// The generated file keeps its account balances, derived once here
	// rather than at the first AccountQuery of each copy of it.
	_, err := f.accountBalances(ctx)
	return err
}

func (g *generator) run() error {
	if _, err := g.f.db.ExecContext(g.ctx, `PRAGMA synchronous=OFF`); err != nil {
		return err
	}
	defer g.f.db.ExecContext(context.Background(), `PRAGMA synchronous=NORMAL`)
	if err := g.loadStandard(); err != nil {
		return err
	}
	if err := g.begin(); err != nil {
		return err
	}
	// The steps of the kinds added later come after the first ones, each
	// a no-op when its count is zero, so that options without them give
	// the same company as before.
	steps := []func() error{g.genClasses, g.genItems, g.genStockItems, g.genCustomers, g.genVendors, g.genEmployees,
		g.genOtherNames, g.genSalesReps, g.genPriceLevels,
		g.genInvoices, g.genSalesReceipts, g.genCreditMemos, g.genEstimates, g.genSalesOrders,
		g.genBills, g.genPurchaseOrders, g.genChecks, g.genCardCharges, g.genDeposits, g.genJournalEntries,
		g.genItemReceipts, g.genVendorCredits, g.genCardCredits, g.genCharges, g.genTimeTracking, g.genTransfers, g.genAdjustments,
		g.writeStock, g.writeEntities}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	for typ, n := range g.refNums {
		if err := putMetaTx(g.ctx, g.tx, "ref."+typ, strconv.Itoa(n)); err != nil {
			return err
		}
	}
	if err := g.f.saveIDs(g.ctx, g.tx); err != nil {
		return err
	}
	if err := g.commit(); err != nil {
		return err
	}
	if g.opt.Progress != nil {
		g.opt.Progress(g.done, g.total)
	}
	return nil
}

func (g *generator) begin() error {
	tx, err := g.f.db.BeginTx(g.ctx, nil)
	if err != nil {
		return err
	}
	if err := forgetBalances(g.ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	// A trigger makes SQLite keep a statement journal of every page an
	// insert writes, which doubles the cost of the generator's inserts:
	// it lists the refs of what it inserts itself, and commit creates
	// the trigger again.
	if _, err := tx.ExecContext(g.ctx, `DROP TRIGGER IF EXISTS objects_refs_insert`); err != nil {
		tx.Rollback()
		return err
	}
	stmt, err := tx.PrepareContext(g.ctx, insertObjectSQL)
	if err != nil {
		tx.Rollback()
		return err
	}
	g.tx, g.stmt, g.inBatch, g.refs = tx, stmt, 0, nil
	return nil
}

func (g *generator) commit() error {
	g.stmt.Close()
	if err := insertRefs(g.ctx, g.tx, g.refs); err != nil {
		return err
	}
	if _, err := g.tx.ExecContext(g.ctx, refsInsertTrigger); err != nil {
		return err
	}
	err := g.tx.Commit()
	g.tx = nil
	return err
}

// loadStandard reads the lists a new company has, which the generated
// objects refer to.
func (g *generator) loadStandard() error {
	rows, err := g.f.db.QueryContext(g.ctx, `SELECT `+objectCols+` FROM objects WHERE type IN ('Account','StandardTerms','DateDrivenTerms','PaymentMethod','SalesTaxCode','ItemSalesTax','CustomerType','VendorType','ShipMethod') ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return err
		}
		r := ref{o.id, o.name}
		g.std[o.typ+"/"+o.name] = r
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		switch o.typ {
		case "StandardTerms":
			g.terms = append(g.terms, r)
			g.termDays[o.id], _ = strconv.Atoi(textAt(ret, "StdDueDays"))
		case "PaymentMethod":
			g.methods = append(g.methods, r)
		case "ItemSalesTax":
			g.taxItem, g.taxRate = r, parseDecimal(textAt(ret, "TaxRate"))
		case "Account":
			switch textAt(ret, "AccountType") {
			case "Expense", "CostOfGoodsSold":
				g.expense = append(g.expense, r)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	need := func(key string) (ref, error) {
		r, ok := g.std[key]
		if !ok {
			return r, fmt.Errorf("companyfile: generate: the company file has no %s", key)
		}
		return r, nil
	}
	for _, x := range []struct {
		dst *ref
		key string
	}{{&g.bank, "Account/Checking"}, {&g.card, "Account/Credit Card"}, {&g.ar, "Account/Accounts Receivable"}, {&g.ap, "Account/Accounts Payable"},
		{&g.undep, "Account/Undeposited Funds"}, {&g.taxCode, "SalesTaxCode/Tax"}, {&g.nonCode, "SalesTaxCode/Non"}} {
		if *x.dst, err = need(x.key); err != nil {
			return err
		}
	}
	if len(g.terms) == 0 || len(g.methods) == 0 || len(g.expense) == 0 || g.taxItem.id == "" {
		return errors.New("companyfile: generate: the company file lacks standard terms, payment methods, expense accounts or a sales tax item")
	}
	return nil
}

// insert writes one object; it commits every 20,000 objects.
// owe leaves an item receipt open for its total and adds it to its
// vendor's balance, as the processor does (txn.go): the receipt is owed
// until its bill comes.
func (g *generator) owe(o *object, ret *qbxml.Node) {
	o.effect = mustCents(textAt(ret, "TotalAmount"))
	for _, v := range g.vend {
		if v.id == o.entityID {
			v.balance += o.effect
			return
		}
	}
}

func (g *generator) insert(o *object, ret *qbxml.Node) error {
	if err := g.ctx.Err(); err != nil {
		return err
	}
	if model, ok := contentModel(ret.Name); ok {
		if err := g.fill(ret, model); err != nil {
			return err
		}
		g.ord.order(ret, model)
	}
	if o.typ == "ItemReceipt" {
		g.owe(o, ret)
	}
	o.ret = marshalNode(ret)
	res, err := g.stmt.ExecContext(g.ctx, objectArgs(o)...)
	if err != nil {
		return fmt.Errorf("companyfile: generate %s: %w", o.typ, err)
	}
	o.seq, _ = res.LastInsertId()
	for _, id := range listIDsIn(o.ret) {
		g.refs = append(g.refs, id, o.seq)
	}
	if kid(ret, "AppliedToTxnRet") != nil {
		if err := insertLinks(g.ctx, g.tx, o, ret); err != nil {
			return fmt.Errorf("companyfile: generate %s: %w", o.typ, err)
		}
	}
	g.done++
	g.inBatch++
	if g.inBatch >= 20000 {
		if err := g.commit(); err != nil {
			return err
		}
		if err := g.begin(); err != nil {
			return err
		}
		if g.opt.Progress != nil {
			g.opt.Progress(g.done, g.total)
		}
	}
	return nil
}

// moment returns a business-hours time on a random day of the period,
// later days more likely (companies grow).
func (g *generator) moment() time.Time {
	span := g.end.Sub(g.start)
	x := g.r.Float64()
	x = 1 - x*x*0.6 - x*0.4*(1-x) // skew towards recent dates
	if x < 0 {
		x = 0
	}
	t := g.start.Add(time.Duration(float64(span) * (1 - x)))
	return g.workHours(t)
}

func (g *generator) workHours(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 8+g.r.IntN(10), g.r.IntN(60), g.r.IntN(60), 0, g.loc)
	if d.After(g.end) {
		d = g.end
	}
	return d
}

// header starts a Ret with the core elements of a list element or
// transaction created at t.
func (g *generator) header(retName string, list bool, created, modified time.Time) (*qbxml.Node, string, string) {
	id := g.f.ids.newID(created)
	edit := strconv.FormatInt(modified.Unix(), 10)
	idName := "TxnID"
	if list {
		idName = "ListID"
	}
	ret := qbxml.NewNode(retName, qbxml.NewText(idName, id), qbxml.NewText("TimeCreated", qbTime(created)), qbxml.NewText("TimeModified", qbTime(modified)), qbxml.NewText("EditSequence", edit))
	if !list {
		ret.Children = append(ret.Children, qbxml.NewText("TxnNumber", strconv.FormatInt(g.f.ids.newTxnNumber(), 10)))
	}
	return ret, id, edit
}

func (g *generator) nextRef(typ string) string {
	if _, ok := g.refNums[typ]; !ok {
		v, _ := getMetaTx(g.ctx, g.tx, "ref."+typ)
		g.refNums[typ], _ = strconv.Atoi(v)
	}
	g.refNums[typ]++
	return strconv.Itoa(g.refNums[typ])
}

func (g *generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *generator) cents(lo, hi int) int64 { return int64(lo*100 + g.r.IntN((hi-lo)*100+1)) }

func (g *generator) address(name string) *qbxml.Node {
	city := g.r.IntN(len(genCities))
	a := qbxml.NewNode(name, qbxml.NewText("Addr1", fmt.Sprintf("%d %s %s", 1+g.r.IntN(9899), g.pick(genStreets), g.pick(genStreetKinds))))
	if g.r.IntN(5) == 0 {
		a.Children = append(a.Children, qbxml.NewText("Addr2", fmt.Sprintf("Suite %d", 100+g.r.IntN(800))))
	}
	a.Children = append(a.Children, qbxml.NewText("City", genCities[city][0]), qbxml.NewText("State", genCities[city][1]),
		qbxml.NewText("PostalCode", fmt.Sprintf("%s%03d", genCities[city][2], g.r.IntN(1000))), qbxml.NewText("Country", "US"))
	return a
}

func (g *generator) phone() string {
	return fmt.Sprintf("(%d) %03d-%04d", 201+g.r.IntN(780), 200+g.r.IntN(799), g.r.IntN(10000))
}

// uniqueName returns base, or base with a number when it is taken.
func uniqueName(seen map[string]bool, base string, max int) string {
	if len(base) > max {
		base = base[:max]
	}
	name := base
	for n := 2; seen[nameKey(name)]; n++ {
		suffix := " " + strconv.Itoa(n)
		b := base
		if len(b)+len(suffix) > max {
			b = b[:max-len(suffix)]
		}
		name = b + suffix
	}
	seen[nameKey(name)] = true
	return name
}

func (g *generator) existingNames(ns string) (map[string]bool, error) {
	seen := map[string]bool{}
	rows, err := g.tx.QueryContext(g.ctx, `SELECT name_key FROM objects WHERE ns = ?`, ns)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		seen[k] = true
	}
	return seen, rows.Err()
}

func (g *generator) listCreated() time.Time {
	// List elements are created before most of the activity.
	span := g.end.Sub(g.start)
	return g.workHours(g.start.Add(time.Duration(g.r.Float64() * float64(span) * 0.3)))
}

func (g *generator) genClasses() error {
	if g.opt.Classes == 0 {
		return nil
	}
	seen, err := g.existingNames("Class")
	if err != nil {
		return err
	}
	for i := 0; i < g.opt.Classes; i++ {
		name := uniqueName(seen, genClasses[i%len(genClasses)], 31)
		t := g.listCreated()
		ret, id, edit := g.header("ClassRet", true, t, t)
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("FullName", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("Sublevel", "0"))
		if err := g.insert(&object{typ: "Class", id: id, name: name, ns: "Class", created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
		g.classes = append(g.classes, ref{id, name})
	}
	return nil
}

func (g *generator) genItems() error {
	if g.opt.Items == 0 {
		return nil
	}
	seen, err := g.existingNames("Item")
	if err != nil {
		return err
	}
	income := []ref{g.std["Account/Services"], g.std["Account/Product Sales"], g.std["Account/Sales"]}
	for i := 0; i < g.opt.Items; i++ {
		var it genItem
		t := g.listCreated()
		if g.r.IntN(3) == 0 {
			it.typ = "ItemService"
			it.desc = g.pick(genServiceAdj) + " " + g.pick(genServices)
			it.price = g.cents(45, 250)
		} else {
			it.typ = "ItemNonInventory"
			it.desc = g.pick(genProductAdj) + " " + g.pick(genProducts)
			it.price = g.cents(3, 900)
		}
		it.cost = it.price * int64(40+g.r.IntN(40)) / 100
		it.taxable = it.typ != "ItemService"
		name := uniqueName(seen, it.desc, 31)
		if it.typ == "ItemNonInventory" {
			name = uniqueName(seen, fmt.Sprintf("%s-%03d", genSKUPrefix[g.r.IntN(len(genSKUPrefix))], g.r.IntN(1000)), 31)
		}
		ret, id, edit := g.header(it.typ+"Ret", true, t, t)
		code := g.itemTaxCode(it.taxable)
		acct := income[0]
		if it.typ != "ItemService" {
			acct = income[1+g.r.IntN(2)]
		}
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("FullName", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("Sublevel", "0"),
			code.el("SalesTaxCodeRef"),
			qbxml.NewNode("SalesOrPurchase", qbxml.NewText("Desc", it.desc), qbxml.NewText("Price", formatCents(it.price)), acct.el("AccountRef")))
		it.ref = ref{id, name}
		if err := g.insert(&object{typ: it.typ, id: id, name: name, ns: "Item", created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
		g.items = append(g.items, it)
	}
	return nil
}

// genCustomers assigns IDs and names to customers and jobs; they are
// written at the end, once their balances are known.
func (g *generator) genCustomers() error {
	seen, err := g.existingNames("Entity")
	if err != nil {
		return err
	}
	for i := 0; i < g.opt.Customers; i++ {
		t := g.listCreated()
		ret, id, edit := g.header("CustomerRet", true, t, t)
		var company, first, last string
		first, last = g.pick(genFirstNames), g.pick(genLastNames)
		if g.r.IntN(4) > 0 {
			company = g.companyName(last)
		}
		display := company
		if display == "" {
			display = last + ", " + first
		}
		name := uniqueName(seen, display, 41)
		c := &genCustomer{ref: ref{id, name}, addr: g.address("BillAddress"), terms: g.terms[g.r.IntN(len(g.terms))], taxable: g.r.IntN(3) > 0, created: t}
		if g.r.IntN(10) == 0 {
			c.opening = g.cents(50, 5000)
		}
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("FullName", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("Sublevel", "0"))
		if company != "" {
			ret.Children = append(ret.Children, qbxml.NewText("CompanyName", truncate(company, 41)))
		}
		ret.Children = append(ret.Children, qbxml.NewText("FirstName", first), qbxml.NewText("LastName", last), c.addr)
		ship := c.addr.Clone()
		ship.Name = "ShipAddress"
		ret.Children = append(ret.Children, ship, qbxml.NewText("Phone", g.phone()),
			qbxml.NewText("Email", fmt.Sprintf("%s.%s@%s", lower(first), lower(last), g.pick(genDomains))),
			qbxml.NewText("Contact", first+" "+last))
		ctype := g.std["CustomerType/"+g.pick([]string{"Commercial", "Residential", "Referral"})]
		if ctype.id != "" {
			ret.Children = append(ret.Children, ctype.el("CustomerTypeRef"))
		}
		ret.Children = append(ret.Children, c.terms.el("TermsRef"))
		code := g.nonCode
		if c.taxable {
			code = g.taxCode
		}
		ret.Children = append(ret.Children, code.el("SalesTaxCodeRef"), qbxml.NewText("JobStatus", "None"))
		c.ret = ret
		c.balance = c.opening
		_ = edit
		g.cust = append(g.cust, c)
	}
	parents := len(g.cust)
	for i := 0; i < g.opt.Jobs; i++ {
		p := g.cust[g.r.IntN(parents)]
		t := p.created.Add(time.Duration(g.r.IntN(90*24)) * time.Hour)
		if t.After(g.end) {
			t = g.end
		}
		ret, id, _ := g.header("CustomerRet", true, t, t)
		job := g.pick(genJobs)
		full := uniqueName(seen, p.name+":"+job, 209)
		jobName := full[len(p.name)+1:]
		c := &genCustomer{ref: ref{id, full}, addr: p.addr, terms: p.terms, taxable: p.taxable, created: t}
		ret.Children = append(ret.Children, qbxml.NewText("Name", truncate(jobName, 41)), qbxml.NewText("FullName", full), qbxml.NewText("IsActive", "true"),
			p.ref.el("ParentRef"), qbxml.NewText("Sublevel", "1"), p.addr.Clone(), c.terms.el("TermsRef"), qbxml.NewText("JobStatus", g.pick([]string{"Awarded", "InProgress", "Closed", "Pending"})),
			qbxml.NewText("JobDesc", job))
		c.ret = ret
		g.cust = append(g.cust, c)
	}
	return nil
}

func (g *generator) genVendors() error {
	seen, err := g.existingNames("Entity")
	if err != nil {
		return err
	}
	for _, c := range g.cust {
		seen[nameKey(c.name)] = true
	}
	for i := 0; i < g.opt.Vendors; i++ {
		t := g.listCreated()
		ret, id, _ := g.header("VendorRet", true, t, t)
		last := g.pick(genLastNames)
		name := uniqueName(seen, g.pick(genVendorPrefix)+" "+g.pick(genVendorKinds), 41)
		if g.r.IntN(3) == 0 {
			name = uniqueName(seen, last+" "+g.pick(genVendorKinds), 41)
		}
		v := &genCustomer{ref: ref{id, name}, addr: g.address("VendorAddress"), terms: g.terms[g.r.IntN(len(g.terms))], created: t}
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("CompanyName", truncate(name, 41)), v.addr,
			qbxml.NewText("Phone", g.phone()), qbxml.NewText("Email", "billing@"+g.pick(genDomains)), qbxml.NewText("NameOnCheck", name),
			qbxml.NewText("AccountNumber", fmt.Sprintf("%d-%05d", 10+g.r.IntN(90), g.r.IntN(100000))))
		if vt := g.std["VendorType/"+g.pick([]string{"Consultant", "Service Providers", "Suppliers"})]; vt.id != "" {
			ret.Children = append(ret.Children, vt.el("VendorTypeRef"))
		}
		ret.Children = append(ret.Children, v.terms.el("TermsRef"), qbxml.NewText("IsVendorEligibleFor1099", boolText(g.r.IntN(4) == 0)))
		v.ret = ret
		g.vend = append(g.vend, v)
	}
	return nil
}

func (g *generator) genEmployees() error {
	seen, err := g.existingNames("Entity")
	if err != nil {
		return err
	}
	for _, c := range g.cust {
		seen[nameKey(c.name)] = true
	}
	for _, c := range g.vend {
		seen[nameKey(c.name)] = true
	}
	for i := 0; i < g.opt.Employees; i++ {
		t := g.listCreated()
		ret, id, edit := g.header("EmployeeRet", true, t, t)
		first, last := g.pick(genFirstNames), g.pick(genLastNames)
		name := uniqueName(seen, first+" "+last, 41)
		ret.Children = append(ret.Children, qbxml.NewText("Name", name), qbxml.NewText("IsActive", "true"), qbxml.NewText("FirstName", first), qbxml.NewText("LastName", last),
			qbxml.NewText("JobTitle", g.pick(genJobTitles)), g.address("EmployeeAddress"), qbxml.NewText("Phone", g.phone()),
			qbxml.NewText("Email", lower(first)+"@"+g.pick(genDomains)), qbxml.NewText("EmployeeType", "Regular"), qbxml.NewText("HiredDate", qbDate(t)))
		if err := g.insert(&object{typ: "Employee", id: id, name: name, ns: "Entity", created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
		g.emps = append(g.emps, ref{id, name})
	}
	return nil
}

// writeEntities writes customers and vendors with their final balances.
func (g *generator) writeEntities() error {
	model, _ := contentModel("CustomerRet")
	totals := make(map[string]int64, len(g.cust))
	for _, c := range g.cust {
		totals[c.id] += c.balance
		if pr := kid(c.ret, "ParentRef"); pr != nil {
			totals[textAt(pr, "ListID")] += c.balance
		}
	}
	for _, c := range g.cust {
		setOrdered(c.ret, model, "Balance", formatCents(c.balance))
		setOrdered(c.ret, model, "TotalBalance", formatCents(totals[c.id]))
		o := &object{typ: "Customer", id: c.id, name: c.name, ns: "Entity", parentID: textAt(c.ret, "ParentRef/ListID"), created: c.created.Unix(), modified: c.created.Unix(),
			active: true, editSeq: textAt(c.ret, "EditSequence"), effect: c.opening}
		if err := g.insert(o, c.ret); err != nil {
			return err
		}
	}
	vmodel, _ := contentModel("VendorRet")
	for _, v := range g.vend {
		setOrdered(v.ret, vmodel, "Balance", formatCents(v.balance))
		o := &object{typ: "Vendor", id: v.id, name: v.name, ns: "Entity", created: v.created.Unix(), modified: v.created.Unix(), active: true, editSeq: textAt(v.ret, "EditSequence")}
		if err := g.insert(o, v.ret); err != nil {
			return err
		}
	}
	return nil
}

// salesLines returns 1-6 item lines named lineName and their sum and
// taxable sum.
func (g *generator) salesLines(lineName string, c *genCustomer, t time.Time) ([]*qbxml.Node, int64, int64) {
	n := 1 + g.r.IntN(4)
	if g.r.IntN(6) == 0 {
		n += g.r.IntN(3)
	}
	lines := make([]*qbxml.Node, 0, n)
	var sum, taxable int64
	for i := 0; i < n; i++ {
		if len(g.stock) > 0 && (lineName == "InvoiceLineRet" || lineName == "SalesReceiptLineRet") && g.r.IntN(4) == 0 {
			if l, amt, tax, ok := g.stockSale(lineName, c, t); ok {
				lines = append(lines, l)
				sum += amt
				taxable += tax
				continue
			}
		}
		it := &g.items[g.r.IntN(len(g.items))]
		qty := 1 + g.r.IntN(12)
		if it.typ == "ItemService" {
			qty = 1 + g.r.IntN(40)
		}
		item, desc, price, isTaxable := it.el("ItemRef"), it.desc, it.price, it.taxable
		if lineName == "SalesOrderLineRet" {
			if s := g.orderedPart(t); s != nil {
				item, desc, price, isTaxable = s.el("ItemRef"), s.desc, s.price, true
				s.onSalesOrder += qty
			}
		}
		amt := price * int64(qty)
		code := g.nonCode
		if isTaxable && c.taxable {
			code = g.taxCode
			taxable += amt
		}
		l := qbxml.NewNode(lineName, qbxml.NewText("TxnLineID", g.f.ids.newID(t)), item, qbxml.NewText("Desc", desc), qbxml.NewText("Quantity", strconv.Itoa(qty)),
			qbxml.NewText("Rate", formatCents(price)))
		if len(g.classes) > 0 && g.r.IntN(2) == 0 {
			l.Children = append(l.Children, g.classes[g.r.IntN(len(g.classes))].el("ClassRef"))
		}
		l.Children = append(l.Children, qbxml.NewText("Amount", formatCents(amt)), code.el("SalesTaxCodeRef"))
		lines = append(lines, l)
		sum += amt
	}
	return lines, sum, taxable
}

// itemTaxCode is the sales tax code of a taxable or non-taxable item.
func (g *generator) itemTaxCode(taxable bool) ref {
	if taxable {
		return g.taxCode
	}
	return g.nonCode
}

func (g *generator) tax(taxable int64) int64 {
	return int64(float64(taxable)*g.taxRate/100 + 0.5)
}

// salesHeader adds the customer part of a sales transaction.
func (g *generator) salesHeader(ret *qbxml.Node, c *genCustomer, typ string, t time.Time, withAR bool) string {
	ret.Children = append(ret.Children, c.ref.el("CustomerRef"))
	if code := kid(c.ret, "SalesTaxCodeRef"); code != nil {
		// QuickBooks fills the customer's sales tax code (salestax.go).
		ret.Children = append(ret.Children, renamed(code, "CustomerSalesTaxCodeRef"))
	}
	if withAR {
		ret.Children = append(ret.Children, g.ar.el("ARAccountRef"))
	}
	refNum := g.nextRef(typ)
	ret.Children = append(ret.Children, qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("RefNumber", refNum), c.addr)
	return refNum
}

func (g *generator) genInvoices() error {
	if g.opt.Invoices == 0 {
		return nil
	}
	// Which invoices get paid: the oldest ones mostly, as in real books.
	payFor := make([]int, g.opt.Invoices) // 0 unpaid, 1 paid in full, 2 partly
	payments := min(g.opt.Payments, g.opt.Invoices)
	order := g.r.Perm(g.opt.Invoices)
	for i := 0; i < payments; i++ {
		payFor[order[i]] = 1
		if g.r.IntN(10) == 0 {
			payFor[order[i]] = 2
		}
	}
	extra := g.opt.Payments - payments // unapplied payments (deposits from customers)
	for i := 0; i < g.opt.Invoices; i++ {
		c := g.cust[g.r.IntN(len(g.cust))]
		t := g.moment()
		if t.Before(c.created) {
			t = c.created
		}
		lines, sum, taxable := g.salesLines("InvoiceLineRet", c, t)
		tax := g.tax(taxable)
		total := sum + tax
		var paid int64
		var payTime time.Time
		if payFor[i] > 0 {
			paid = total
			if payFor[i] == 2 {
				paid = total / 2
			}
			payTime = g.workHours(t.AddDate(0, 0, 3+g.r.IntN(50)))
			if payTime.Before(t) {
				payTime = t
			}
		}
		modified := t
		if !payTime.IsZero() {
			modified = payTime
		}
		ret, id, edit := g.header("InvoiceRet", false, t, modified)
		refNum := g.salesHeader(ret, c, "Invoice", t, true)
		ret.Children = append(ret.Children, qbxml.NewText("IsPending", "false"), c.terms.el("TermsRef"),
			qbxml.NewText("DueDate", qbDate(t.AddDate(0, 0, g.termDays[c.terms.id]))), qbxml.NewText("Subtotal", formatCents(sum)),
			g.taxItem.el("ItemSalesTaxRef"), qbxml.NewText("SalesTaxPercentage", strconv.FormatFloat(g.taxRate, 'f', -1, 64)), qbxml.NewText("SalesTaxTotal", formatCents(tax)),
			qbxml.NewText("AppliedAmount", formatCents(-paid)), qbxml.NewText("BalanceRemaining", formatCents(total-paid)),
			qbxml.NewText("Memo", g.pick(genMemos)), qbxml.NewText("IsPaid", boolText(total == paid)), qbxml.NewText("IsToBePrinted", "false"), qbxml.NewText("IsToBeEmailed", "true"))
		ret.Children = append(ret.Children, lines...)
		c.balance += total - paid
		o := &object{typ: "Invoice", id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: modified.Unix(), active: true,
			entityID: c.id, accountID: g.ar.id, editSeq: edit, effect: total - paid}
		if err := g.insert(o, ret); err != nil {
			return err
		}
		if paid > 0 {
			if err := g.payment(c, payTime, paid, paid, &applied{id: id, refNum: refNum, date: qbDate(t), balance: total, amount: paid}); err != nil {
				return err
			}
		}
	}
	for i := 0; i < extra; i++ {
		c := g.cust[g.r.IntN(len(g.cust))]
		amt := g.cents(50, 2000)
		if err := g.payment(c, g.moment(), amt, 0, nil); err != nil {
			return err
		}
	}
	return nil
}

type applied struct {
	id, refNum, date string
	balance, amount  int64
}

func (g *generator) payment(c *genCustomer, t time.Time, total, used int64, a *applied) error {
	ret, id, edit := g.header("ReceivePaymentRet", false, t, t)
	method := g.methods[g.r.IntN(len(g.methods))]
	ret.Children = append(ret.Children, c.ref.el("CustomerRef"), g.ar.el("ARAccountRef"), qbxml.NewText("TxnDate", qbDate(t)),
		qbxml.NewText("RefNumber", strconv.Itoa(1000+g.r.IntN(9000))), qbxml.NewText("TotalAmount", formatCents(total)), method.el("PaymentMethodRef"),
		g.undep.el("DepositToAccountRef"), qbxml.NewText("UnusedPayment", formatCents(total-used)), qbxml.NewText("UnusedCredits", "0.00"))
	if a != nil {
		ret.Children = append(ret.Children, qbxml.NewNode("AppliedToTxnRet", qbxml.NewText("TxnID", a.id), qbxml.NewText("TxnType", "Invoice"), qbxml.NewText("TxnDate", a.date),
			qbxml.NewText("RefNumber", a.refNum), qbxml.NewText("BalanceRemaining", formatCents(a.balance)), qbxml.NewText("Amount", formatCents(a.amount))))
	}
	c.balance -= total - used
	return g.insert(&object{typ: "ReceivePayment", id: id, refNumber: textAt(ret, "RefNumber"), txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
		entityID: c.id, accountID: g.ar.id, editSeq: edit, effect: -(total - used)}, ret)
}

// simpleSales writes sales receipts, credit memos, estimates and sales
// orders: a customer, item lines and totals.
func (g *generator) simpleSales(typ string, n int) error {
	for i := 0; i < n; i++ {
		c := g.cust[g.r.IntN(len(g.cust))]
		t := g.moment()
		if t.Before(c.created) {
			t = c.created
		}
		lines, sum, taxable := g.salesLines(typ+"LineRet", c, t)
		tax := g.tax(taxable)
		ret, id, edit := g.header(typ+"Ret", false, t, t)
		refNum := g.salesHeader(ret, c, typ, t, typ == "CreditMemo")
		o := &object{typ: typ, id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true, entityID: c.id, editSeq: edit}
		switch typ {
		case "SalesReceipt":
			ret.Children = append(ret.Children, qbxml.NewText("IsPending", "false"), g.methods[g.r.IntN(len(g.methods))].el("PaymentMethodRef"))
		case "CreditMemo":
			ret.Children = append(ret.Children, qbxml.NewText("IsPending", "false"))
			o.accountID = g.ar.id
		case "Estimate":
			ret.Children = append(ret.Children, qbxml.NewText("IsActive", boolText(g.r.IntN(3) > 0)), c.terms.el("TermsRef"))
		case "SalesOrder":
			// The processor ships to the customer's ship address and
			// sets the due date by the terms (fill.go, txn.go).
			if ship := kid(c.ret, "ShipAddress"); ship != nil {
				ret.Children = append(ret.Children, ship.Clone())
			}
			ret.Children = append(ret.Children, c.terms.el("TermsRef"), qbxml.NewText("DueDate", qbDate(t.AddDate(0, 0, g.termDays[c.terms.id]))))
		}
		ret.Children = append(ret.Children, qbxml.NewText("Subtotal", formatCents(sum)), g.taxItem.el("ItemSalesTaxRef"),
			qbxml.NewText("SalesTaxPercentage", strconv.FormatFloat(g.taxRate, 'f', -1, 64)), qbxml.NewText("SalesTaxTotal", formatCents(tax)),
			qbxml.NewText("TotalAmount", formatCents(sum+tax)))
		switch typ {
		case "CreditMemo":
			ret.Children = append(ret.Children, qbxml.NewText("CreditRemaining", formatCents(sum+tax)))
			o.effect = -(sum + tax)
			c.balance -= sum + tax
		case "SalesOrder":
			ret.Children = append(ret.Children, qbxml.NewText("IsManuallyClosed", "false"), qbxml.NewText("IsFullyInvoiced", "false"))
		case "SalesReceipt":
			ret.Children = append(ret.Children, g.undep.el("DepositToAccountRef"))
			o.accountID = g.undep.id
		}
		ret.Children = append(ret.Children, qbxml.NewText("Memo", g.pick(genMemos)))
		ret.Children = append(ret.Children, lines...)
		if err := g.insert(o, ret); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) genSalesReceipts() error {
	return g.simpleSales("SalesReceipt", g.opt.SalesReceipts)
}
func (g *generator) genCreditMemos() error { return g.simpleSales("CreditMemo", g.opt.CreditMemos) }
func (g *generator) genEstimates() error   { return g.simpleSales("Estimate", g.opt.Estimates) }
func (g *generator) genSalesOrders() error { return g.simpleSales("SalesOrder", g.opt.SalesOrders) }

// expenseLines returns 1-4 expense lines and their sum.
func (g *generator) expenseLines(t time.Time) ([]*qbxml.Node, int64) {
	n := 1 + g.r.IntN(3)
	var sum int64
	lines := make([]*qbxml.Node, 0, n)
	for i := 0; i < n; i++ {
		amt := g.cents(15, 2500)
		l := qbxml.NewNode("ExpenseLineRet", qbxml.NewText("TxnLineID", g.f.ids.newID(t)), g.expense[g.r.IntN(len(g.expense))].el("AccountRef"),
			qbxml.NewText("Amount", formatCents(amt)), qbxml.NewText("Memo", g.pick(genExpenseMemos)))
		if len(g.classes) > 0 && g.r.IntN(2) == 0 {
			l.Children = append(l.Children, g.classes[g.r.IntN(len(g.classes))].el("ClassRef"))
		}
		lines = append(lines, l)
		sum += amt
	}
	return lines, sum
}

func (g *generator) genBills() error {
	if g.opt.Bills == 0 {
		return nil
	}
	payFor := make([]bool, g.opt.Bills)
	order := g.r.Perm(g.opt.Bills)
	for i := 0; i < min(g.opt.BillPayments, g.opt.Bills); i++ {
		payFor[order[i]] = true
	}
	for i := 0; i < g.opt.Bills; i++ {
		v := g.vend[g.r.IntN(len(g.vend))]
		t := g.moment()
		if t.Before(v.created) {
			t = v.created
		}
		lines, sum := g.expenseLines(t)
		if len(g.stock) > 0 && g.r.IntN(3) == 0 {
			items, isum := g.stockPurchase(t, 1+g.r.IntN(2))
			lines, sum = append(lines, items...), sum+isum
		}
		var payTime time.Time
		paid := int64(0)
		if payFor[i] {
			paid = sum
			payTime = g.workHours(t.AddDate(0, 0, 5+g.r.IntN(40)))
			if payTime.Before(t) {
				payTime = t
			}
		}
		modified := t
		if paid > 0 {
			modified = payTime
		}
		ret, id, edit := g.header("BillRet", false, t, modified)
		refNum := fmt.Sprintf("%s-%d", string(rune('A'+g.r.IntN(26))), 10000+g.r.IntN(90000))
		ret.Children = append(ret.Children, v.ref.el("VendorRef"), v.addr, g.ap.el("APAccountRef"), qbxml.NewText("TxnDate", qbDate(t)),
			qbxml.NewText("DueDate", qbDate(t.AddDate(0, 0, g.termDays[v.terms.id]))), qbxml.NewText("AmountDue", formatCents(sum)), qbxml.NewText("RefNumber", refNum),
			v.terms.el("TermsRef"), qbxml.NewText("Memo", g.pick(genExpenseMemos)), qbxml.NewText("IsPaid", boolText(paid == sum)))
		ret.Children = append(ret.Children, lines...)
		ret.Children = append(ret.Children, qbxml.NewText("OpenAmount", formatCents(sum-paid)))
		v.balance += sum - paid
		if err := g.insert(&object{typ: "Bill", id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: modified.Unix(), active: true,
			entityID: v.id, accountID: g.ap.id, editSeq: edit, effect: sum - paid}, ret); err != nil {
			return err
		}
		if paid > 0 {
			pret, pid, pedit := g.header("BillPaymentCheckRet", false, payTime, payTime)
			checkNo := g.nextRef("Check")
			pret.Children = append(pret.Children, v.ref.el("PayeeEntityRef"), g.ap.el("APAccountRef"), qbxml.NewText("TxnDate", qbDate(payTime)), g.bank.el("BankAccountRef"),
				qbxml.NewText("Amount", formatCents(paid)), qbxml.NewText("RefNumber", checkNo), qbxml.NewText("IsToBePrinted", "false"),
				qbxml.NewNode("AppliedToTxnRet", qbxml.NewText("TxnID", id), qbxml.NewText("TxnType", "Bill"), qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("RefNumber", refNum),
					qbxml.NewText("BalanceRemaining", formatCents(sum)), qbxml.NewText("Amount", formatCents(paid))))
			if err := g.insert(&object{typ: "BillPaymentCheck", id: pid, refNumber: checkNo, txnDate: qbDate(payTime), created: payTime.Unix(), modified: payTime.Unix(),
				active: true, entityID: v.id, accountID: g.bank.id, editSeq: pedit}, pret); err != nil {
				return err
			}
		}
	}
	// Bill payments beyond the number of bills are not generated: each
	// bill payment pays one bill.
	return nil
}

func (g *generator) genPurchaseOrders() error {
	for i := 0; i < g.opt.PurchaseOrders; i++ {
		v := g.vend[g.r.IntN(len(g.vend))]
		t := g.moment()
		ret, id, edit := g.header("PurchaseOrderRet", false, t, t)
		refNum := g.nextRef("PurchaseOrder")
		n := 1 + g.r.IntN(4)
		var sum int64
		var lines []*qbxml.Node
		for j := 0; j < n; j++ {
			it := &g.items[g.r.IntN(len(g.items))]
			qty := 1 + g.r.IntN(50)
			item, desc, cost, code := it.el("ItemRef"), it.desc, it.cost, g.itemTaxCode(it.taxable)
			if s := g.orderedPart(t); s != nil {
				item, desc, cost, code = s.el("ItemRef"), s.desc, s.cost, g.itemTaxCode(true)
				s.onOrder += qty
			}
			amt := cost * int64(qty)
			// The processor gives each line its item's sales tax code
			// (fill.go) and counts it unbilled until a bill links to it
			// (orders.go).
			lines = append(lines, qbxml.NewNode("PurchaseOrderLineRet", qbxml.NewText("TxnLineID", g.f.ids.newID(t)), item, qbxml.NewText("Desc", desc),
				qbxml.NewText("Quantity", strconv.Itoa(qty)), qbxml.NewText("Rate", formatCents(cost)), qbxml.NewText("Amount", formatCents(amt)), code.el("SalesTaxCodeRef"),
				qbxml.NewText("ReceivedQuantity", "0"), qbxml.NewText("UnbilledQuantity", strconv.Itoa(qty)), qbxml.NewText("IsBilled", "false"),
				qbxml.NewText("IsManuallyClosed", "false")))
			sum += amt
		}
		ret.Children = append(ret.Children, v.ref.el("VendorRef"), qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("RefNumber", refNum), v.addr,
			v.terms.el("TermsRef"), qbxml.NewText("DueDate", qbDate(t.AddDate(0, 0, g.termDays[v.terms.id]))), qbxml.NewText("ExpectedDate", qbDate(t.AddDate(0, 0, 7+g.r.IntN(21)))),
			qbxml.NewText("TotalAmount", formatCents(sum)), qbxml.NewText("IsManuallyClosed", "false"), qbxml.NewText("IsFullyReceived", "false"), qbxml.NewText("Memo", g.pick(genExpenseMemos)))
		ret.Children = append(ret.Children, lines...)
		if err := g.insert(&object{typ: "PurchaseOrder", id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true,
			entityID: v.id, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

// payee returns a vendor (or an employee) to pay.
func (g *generator) payee() (ref, bool) {
	if len(g.vend) > 0 && (len(g.emps) == 0 || g.r.IntN(5) > 0) {
		return g.vend[g.r.IntN(len(g.vend))].ref, true
	}
	if len(g.emps) > 0 {
		return g.emps[g.r.IntN(len(g.emps))], true
	}
	return ref{}, false
}

func (g *generator) spend(typ string, n int, account ref) error {
	for i := 0; i < n; i++ {
		t := g.moment()
		lines, sum := g.expenseLines(t)
		ret, id, edit := g.header(typ+"Ret", false, t, t)
		p, hasPayee := g.payee()
		o := &object{typ: typ, id: id, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true, accountID: account.id, editSeq: edit}
		ret.Children = append(ret.Children, account.el("AccountRef"))
		if hasPayee {
			ret.Children = append(ret.Children, p.el("PayeeEntityRef"))
			o.entityID = p.id
		}
		if typ == "Check" {
			o.refNumber = g.nextRef("Check")
		} else {
			o.refNumber = strconv.Itoa(100000 + g.r.IntN(900000))
		}
		ret.Children = append(ret.Children, qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("RefNumber", o.refNumber), qbxml.NewText("Amount", formatCents(sum)), qbxml.NewText("Memo", g.pick(genExpenseMemos)))
		if typ == "Check" {
			ret.Children = append(ret.Children, qbxml.NewText("IsToBePrinted", "false"))
		}
		ret.Children = append(ret.Children, lines...)
		if err := g.insert(o, ret); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) genChecks() error { return g.spend("Check", g.opt.Checks, g.bank) }
func (g *generator) genCardCharges() error {
	return g.spend("CreditCardCharge", g.opt.CreditCardCharges, g.card)
}

func (g *generator) genDeposits() error {
	for i := 0; i < g.opt.Deposits; i++ {
		t := g.moment()
		ret, id, edit := g.header("DepositRet", false, t, t)
		n := 1 + g.r.IntN(3)
		var sum int64
		ret.Children = append(ret.Children, qbxml.NewText("TxnDate", qbDate(t)), g.bank.el("DepositToAccountRef"), qbxml.NewText("Memo", "Deposit"))
		var lines []*qbxml.Node
		for j := 0; j < n; j++ {
			amt := g.cents(20, 3000)
			l := qbxml.NewNode("DepositLineRet", qbxml.NewText("TxnType", "Deposit"), qbxml.NewText("TxnID", id), qbxml.NewText("TxnLineID", g.f.ids.newID(t)))
			if len(g.cust) > 0 {
				l.Children = append(l.Children, g.cust[g.r.IntN(len(g.cust))].ref.el("EntityRef"))
			}
			l.Children = append(l.Children, g.std["Account/Interest Income"].el("AccountRef"), qbxml.NewText("Memo", "Interest and refunds"),
				qbxml.NewText("CheckNumber", strconv.Itoa(100+g.r.IntN(9000))), g.methods[g.r.IntN(len(g.methods))].el("PaymentMethodRef"), qbxml.NewText("Amount", formatCents(amt)))
			lines = append(lines, l)
			sum += amt
		}
		ret.Children = append(ret.Children, qbxml.NewText("DepositTotal", formatCents(sum)))
		ret.Children = append(ret.Children, lines...)
		if err := g.insert(&object{typ: "Deposit", id: id, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true, accountID: g.bank.id, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) genJournalEntries() error {
	for i := 0; i < g.opt.JournalEntries; i++ {
		t := g.moment()
		ret, id, edit := g.header("JournalEntryRet", false, t, t)
		refNum := g.nextRef("JournalEntry")
		amt := g.cents(50, 10000)
		debit := g.expense[g.r.IntN(len(g.expense))]
		ret.Children = append(ret.Children, qbxml.NewText("TxnDate", qbDate(t)), qbxml.NewText("RefNumber", refNum), qbxml.NewText("Memo", g.pick(genJournalMemos)), qbxml.NewText("IsAdjustment", "false"),
			qbxml.NewNode("JournalDebitLine", qbxml.NewText("TxnLineID", g.f.ids.newID(t)), debit.el("AccountRef"), qbxml.NewText("Amount", formatCents(amt))),
			qbxml.NewNode("JournalCreditLine", qbxml.NewText("TxnLineID", g.f.ids.newID(t)), g.bank.el("AccountRef"), qbxml.NewText("Amount", formatCents(amt))))
		if err := g.insert(&object{typ: "JournalEntry", id: id, refNumber: refNum, txnDate: qbDate(t), created: t.Unix(), modified: t.Unix(), active: true, editSeq: edit}, ret); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) companyName(last string) string {
	switch g.r.IntN(4) {
	case 0:
		return last + " " + g.pick(genTrades)
	case 1:
		return last + " & " + g.pick(genLastNames) + " " + g.pick(genFirmKinds)
	case 2:
		return g.pick(genPlaces) + " " + g.pick(genTrades)
	default:
		return g.pick(genPlaces) + " " + g.pick(genFirmKinds)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
		if c == ' ' || c == '\'' {
			b[i] = '.'
		}
	}
	return string(b)
}

// orderer puts elements in schema order, caching each element type's
// child positions.
type orderer struct {
	cache map[*qbxml.ElementType]map[string]int
}

func newOrderer() *orderer { return &orderer{cache: map[*qbxml.ElementType]map[string]int{}} }

// order sorts the children of e (recursively) into the order of its type
// t. Elements of one repeated group keep their relative order.
func (o *orderer) order(e *qbxml.Node, t *qbxml.ElementType) {
	pos, ok := o.cache[t]
	if !ok {
		pos = childRanks(t)
		o.cache[t] = pos
	}
	sort.SliceStable(e.Children, func(i, j int) bool { return pos[e.Children[i].Name] < pos[e.Children[j].Name] })
	for _, k := range e.Children {
		if len(k.Children) > 0 && !isRefElem(k) {
			if c := t.Child(k.Name); c != nil && c.Type() != nil {
				o.order(k, c.Type())
			}
		}
	}
}

func isRefElem(e *qbxml.Node) bool {
	return len(e.Children) <= 2 && len(e.Children) > 0 && e.Children[0].Name == "ListID"
}

// fill adds what QuickBooks fills in a Ret (see fill.go) to a generated
// one, before it is put in schema order: the flag and quantity defaults,
// address blocks, the default template and the line defaults. The lines'
// sales tax codes and the forms' addresses the generator sets itself.
func (g *generator) fill(ret *qbxml.Node, model *qbxml.ElementType) error {
	for _, d := range retDefaults {
		if model.Child(d[0]) != nil && kid(ret, d[0]) == nil {
			ret.Children = append(ret.Children, qbxml.NewText(d[0], d[1]))
		}
	}
	if model.Child("AverageCost") != nil && kid(ret, "AverageCost") == nil {
		ret.Children = append(ret.Children, qbxml.NewText("AverageCost", orDefault(textAt(ret, "PurchaseCost"), "0")))
	}
	for _, ab := range addressBlocks {
		if c := model.Child(ab[1]); c != nil && kid(ret, ab[1]) == nil {
			if block := addressBlock(kid(ret, ab[0]), c.Type()); block != nil {
				ret.Children = append(ret.Children, block)
			}
		}
	}
	if model.Child("TemplateRef") != nil && kid(ret, "TemplateRef") == nil {
		typ := strings.TrimSuffix(ret.Name, "Ret")
		ref, ok := g.templates[typ]
		if !ok {
			var err error
			if ref, err = g.f.defaultTemplate(g.ctx, g.tx, typ); err != nil {
				return err
			}
			if g.templates == nil {
				g.templates = map[string]*qbxml.Node{}
			}
			g.templates[typ] = ref
		}
		if ref != nil {
			ret.Children = append(ret.Children, ref.Clone())
		}
	}
	for _, l := range ret.Children {
		if _, isLine := lineCategory(l.Name); !isLine {
			continue
		}
		lm := model.Child(l.Name)
		if lm == nil || lm.Type() == nil {
			continue
		}
		for _, d := range lineDefaults {
			if lm.Type().Child(d[0]) != nil && kid(l, d[0]) == nil {
				l.Children = append(l.Children, qbxml.NewText(d[0], d[1]))
			}
		}
	}
	return nil
}
