package companyfile

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// The simulator keeps no general ledger: it stores each object as its Ret.
// Reports derive the postings QuickBooks would have made from the
// transactions themselves, every time a report is asked for, so that they
// can never disagree with what the file's queries return:
//
//   - Invoice, SalesReceipt, CreditMemo: each item line credits the item's
//     income account (its inventory part also debits cost of goods sold and
//     credits the asset account at the item's purchase cost), sales tax
//     credits Sales Tax Payable, and the header account (A/R, or the deposit
//     account of a sales receipt) takes the balancing amount.
//   - Bill, ItemReceipt, VendorCredit, Check, CreditCardCharge,
//     CreditCardCredit: each expense line debits its account, each item line
//     the item's expense (or inventory asset) account, and the header
//     account (A/P, the bank, the card) takes the balancing amount.
//   - ReceivePayment debits its deposit account (Undeposited Funds when
//     none) and the discount account of each discount it gives, and
//     credits A/R; bill payments debit A/P and credit the bank or card and
//     the discount account of each discount; deposits debit the bank and credit each line's account
//     (Undeposited Funds for deposited payments); journal entries and
//     transfers post as written.
//   - Statement charges post like a one-line invoice; credit card refunds
//     credit the refund account and debit A/R; sales tax payments debit
//     Sales Tax Payable and credit the bank; inventory adjustments move
//     each item's asset by the line's value difference against the
//     adjustment account; builds move the components' cost into the
//     assembly's asset account.
//   - Opening balances of accounts, customers and vendors post against
//     Opening Balance Equity on the day the record was created.
//   - Estimates, sales orders and purchase orders do not post.
//
// Every transaction's postings sum to zero, so the trial balance and the
// balance sheet balance by construction. On the cash basis, invoices and
// bills post nothing; a payment applied to one posts that transaction's
// income or expense lines pro rata to the amount paid, on the payment's
// date, as QuickBooks' cash-basis reports do.

// posting is one line of the derived general ledger. Amount is in cents,
// debits positive.
type posting struct {
	date     string // YYYY-MM-DD
	txnID    string
	txnType  string
	refNum   string
	account  string // ListID
	amount   int64
	entity   string // ListID of the customer, vendor, employee or other name
	job      string // ListID of the customer or job the line is for (job costing)
	class    string // ListID
	item     string // ListID
	quantity float64
	memo     string
	modified int64
}

// ledgerAccount is an account as reports show it.
type ledgerAccount struct {
	id, name, fullName, typ, number string
	parent                          string // ListID of the parent account, "" at the top
}

// ledgerItem is what reports need of an item.
type ledgerItem struct {
	id, fullName, typ            string
	income, expense, asset, cogs string
	cost                         int64
	quantityOnHand               float64
	components                   []component // of an assembly
}

// component is one line of an assembly's bill of materials.
type component struct {
	item     string // ListID
	quantity float64
}

// ledgerTxn is a transaction, kept for the reports that list documents
// rather than postings (aging, open invoices, estimates).
type ledgerTxn struct {
	id, typ, date, dueDate, refNum, entity string
	total, open                            int64 // open: what it adds to its entity's balance now
	modified                               int64
	ret                                    *qbxml.Node
	// side is "AR" or "AP" for the open item of one journal entry line
	// (journalItems), "" for a whole transaction.
	side string
}

// docType is the type documents() selects t by: a journal entry line's
// open item is a "JournalEntry/AR" or a "JournalEntry/AP", so that the
// customers' reports and the vendors' each list their own.
func (t *ledgerTxn) docType() string {
	if t.side != "" {
		return t.typ + "/" + t.side
	}
	return t.typ
}

// ledger is the derived general ledger of a company file.
type ledger struct {
	accounts  map[string]*ledgerAccount
	byName    map[string]string // upper-cased full name -> ListID, every list
	names     map[string]string // ListID -> full name, every list
	listTypes map[string]string // ListID -> object type
	items     map[string]*ledgerItem
	txns      []*ledgerTxn
	txnByID   map[string]*ledgerTxn
	accrual   []posting
	cash      []posting
	// openings are the opening balances of customers and vendors, which
	// aging counts as open items.
	openings []*ledgerTxn
	// journalItems are the journal entry lines that move a customer's or
	// vendor's balance (the journal_lines table), which aging also counts
	// as open items.
	journalItems []*ledgerTxn
	loc          *time.Location // the file's clock's zone, for creation dates
	// special accounts (ListIDs), created virtually when the file lacks them.
	ar, ap, undeposited, salesTax, openingEquity, retained, income, expense string
}

// newLedger returns an empty ledger of a file whose clock is in loc.
func newLedger(loc *time.Location) *ledger {
	return &ledger{accounts: map[string]*ledgerAccount{}, byName: map[string]string{}, names: map[string]string{},
		listTypes: map[string]string{}, items: map[string]*ledgerItem{}, txnByID: map[string]*ledgerTxn{}, loc: loc}
}

// loadLedger reads every object of the file and derives the ledger.
func (f *File) loadLedger(ctx context.Context) (*ledger, error) {
	l := newLedger(f.opt.Now().Location())
	rows, err := f.db.QueryContext(ctx, `SELECT `+objectCols+` FROM objects ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("companyfile: read ledger: %w", err)
	}
	defer rows.Close()
	type pending struct {
		o   *object
		ret *qbxml.Node
	}
	var txns, openings []pending
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, fmt.Errorf("companyfile: read ledger: %w", err)
		}
		ret, err := parseNode(o.ret)
		if err != nil {
			return nil, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
		}
		t := f.reg().byName[o.typ]
		if t == nil || t.Kind == kindTxn {
			if t != nil || o.txnDate != "" {
				txns = append(txns, pending{o, ret})
			}
			continue
		}
		if l.addList(t, o, ret) {
			openings = append(openings, pending{o, ret})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("companyfile: read ledger: %w", err)
	}
	l.findSpecialAccounts(ctx, f.db)
	for _, p := range openings {
		l.postOpening(p.o, p.ret)
	}
	// Cash postings of payments need the postings of what they pay, so
	// every transaction is derived first.
	perTxn := map[string][]posting{}
	for _, p := range txns {
		lt := &ledgerTxn{id: p.o.id, typ: p.o.typ, date: p.o.txnDate, dueDate: textAt(p.ret, "DueDate"), refNum: p.o.refNumber,
			entity: p.o.entityID, open: p.o.effect, modified: p.o.modified, ret: p.ret}
		lt.total = txnTotal(p.ret)
		l.txns = append(l.txns, lt)
		l.txnByID[lt.id] = lt
		ps := l.derive(lt)
		perTxn[lt.id] = ps
		l.accrual = append(l.accrual, ps...)
	}
	for _, lt := range l.txns {
		l.cash = append(l.cash, l.cashPostings(lt, perTxn)...)
	}
	if err := l.loadJournalItems(ctx, f); err != nil {
		return nil, err
	}
	return l, nil
}

// addList adds the list element o (of type t, stored as ret) to the
// names, accounts and items of the ledger, and says whether it has an
// opening balance to post (postOpening).
func (l *ledger) addList(t *objType, o *object, ret *qbxml.Node) (opening bool) {
	full := orDefault(textAt(ret, "FullName"), o.name)
	l.names[o.id] = full
	l.listTypes[o.id] = o.typ
	if full != "" {
		l.byName[t.NS+"/"+nameKey(full)] = o.id
	}
	switch {
	case o.typ == "Account":
		a := &ledgerAccount{id: o.id, name: textAt(ret, "Name"), fullName: full, typ: textAt(ret, "AccountType"),
			number: textAt(ret, "AccountNumber"), parent: textAt(ret, "ParentRef/ListID")}
		l.accounts[o.id] = a
		return o.effect != 0
	case strings.HasPrefix(o.typ, "Item"):
		l.items[o.id] = newLedgerItem(o, ret, full)
	case o.typ == "Customer" || o.typ == "Vendor":
		return o.effect != 0
	}
	return false
}

// loadJournalItems makes an open item of each journal entry line that
// moves a customer's or vendor's balance, from what it adds to that
// balance, so that the reports agree with the balances.
func (l *ledger) loadJournalItems(ctx context.Context, f *File) error {
	rows, err := f.db.QueryContext(ctx, `SELECT txn_id, entity_id, effect FROM journal_lines WHERE effect IS NOT NULL ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("companyfile: read ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var txnID, entity string
		var effect int64
		if err := rows.Scan(&txnID, &entity, &effect); err != nil {
			return fmt.Errorf("companyfile: read ledger: %w", err)
		}
		je := l.txnByID[txnID]
		if je == nil {
			continue
		}
		side := "AR"
		if l.listTypes[entity] == "Vendor" {
			side = "AP"
		}
		l.journalItems = append(l.journalItems, &ledgerTxn{id: je.id, typ: je.typ, date: je.date, dueDate: je.date, refNum: je.refNum,
			entity: entity, total: effect, open: effect, modified: je.modified, ret: je.ret, side: side})
	}
	return rows.Err()
}

func newLedgerItem(o *object, ret *qbxml.Node, full string) *ledgerItem {
	it := &ledgerItem{id: o.id, fullName: full, typ: o.typ}
	it.income = orDefault(textAt(ret, "SalesOrPurchase/AccountRef/ListID"), orDefault(textAt(ret, "SalesAndPurchase/IncomeAccountRef/ListID"), textAt(ret, "IncomeAccountRef/ListID")))
	it.expense = orDefault(textAt(ret, "SalesAndPurchase/ExpenseAccountRef/ListID"), textAt(ret, "SalesOrPurchase/AccountRef/ListID"))
	it.asset = textAt(ret, "AssetAccountRef/ListID")
	it.cogs = textAt(ret, "COGSAccountRef/ListID")
	if o.typ == "ItemDiscount" || o.typ == "ItemOtherCharge" && it.income == "" {
		it.income = orDefault(it.income, textAt(ret, "AccountRef/ListID"))
	}
	if o.typ == "ItemDiscount" {
		it.income = orDefault(textAt(ret, "AccountRef/ListID"), it.income)
	}
	cost := orDefault(textAt(ret, "AverageCost"), orDefault(textAt(ret, "PurchaseCost"), textAt(ret, "SalesAndPurchase/PurchaseCost")))
	it.cost = int64(math.Round(parseDecimal(cost) * 100))
	it.quantityOnHand = parseDecimal(textAt(ret, "QuantityOnHand"))
	for _, line := range kids(ret, "ItemInventoryAssemblyLine") {
		it.components = append(it.components, component{item: textAt(line, "ItemInventoryRef/ListID"), quantity: parseDecimal(textAt(line, "Quantity"))})
	}
	if it.expense == "" && it.asset != "" {
		it.expense = it.asset
	}
	return it
}

// findSpecialAccounts finds the accounts postings go to by default. A file
// missing one (an account deleted by a client) gets a virtual account, so
// that the books still balance.
func (l *ledger) findSpecialAccounts(ctx context.Context, q querier) {
	meta := func(key string) string {
		v, err := getMetaTx(ctx, q, key)
		if err != nil {
			return ""
		}
		if _, ok := l.accounts[v]; !ok {
			return ""
		}
		return v
	}
	var sorted []*ledgerAccount // sorted once, again after a virtual account is added
	byType := func(typ string) string {
		if sorted == nil {
			sorted = l.sortedAccounts()
		}
		for _, a := range sorted {
			if a.typ == typ {
				return a.id
			}
		}
		return ""
	}
	byName := func(name, typ string) string {
		if id := l.byName["Account/"+nameKey(name)]; id != "" && l.accounts[id].typ == typ {
			return id
		}
		return ""
	}
	virtual := func(id, name, typ string) string {
		if _, ok := l.accounts[id]; !ok {
			l.accounts[id] = &ledgerAccount{id: id, name: name, fullName: name, typ: typ}
			l.names[id] = name
			sorted = nil
		}
		return id
	}
	or := func(id, vid, name, typ string) string {
		if id != "" {
			return id
		}
		return virtual(vid, name, typ)
	}
	l.ar = or(orDefault(meta("account.ar"), byType("AccountsReceivable")), "virtual-ar", "Accounts Receivable", "AccountsReceivable")
	l.ap = or(orDefault(meta("account.ap"), byType("AccountsPayable")), "virtual-ap", "Accounts Payable", "AccountsPayable")
	l.undeposited = or(orDefault(meta("account.undeposited"), byName("Undeposited Funds", "OtherCurrentAsset")), "virtual-uf", "Undeposited Funds", "OtherCurrentAsset")
	l.salesTax = or(byName("Sales Tax Payable", "OtherCurrentLiability"), "virtual-stp", "Sales Tax Payable", "OtherCurrentLiability")
	l.openingEquity = or(byName("Opening Balance Equity", "Equity"), "virtual-obe", "Opening Balance Equity", "Equity")
	l.retained = or(byName("Retained Earnings", "Equity"), "virtual-re", "Retained Earnings", "Equity")
	l.income = or(orDefault(byName("Sales", "Income"), byType("Income")), "virtual-income", "Uncategorized Income", "Income")
	l.expense = or(orDefault(byName("Ask My Accountant", "Expense"), byType("Expense")), "virtual-expense", "Uncategorized Expenses", "Expense")
}

// sortedAccounts returns the accounts in QuickBooks' chart order: by type
// as the balance sheet and profit and loss list them, then by number and
// name.
func (l *ledger) sortedAccounts() []*ledgerAccount {
	out := make([]*ledgerAccount, 0, len(l.accounts))
	for _, a := range l.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := accountTypeRank(a.typ), accountTypeRank(b.typ); ra != rb {
			return ra < rb
		}
		if a.number != b.number {
			return a.number < b.number
		}
		return nameKey(a.fullName) < nameKey(b.fullName)
	})
	return out
}

// accountTypes lists QuickBooks' account types in chart order.
var accountTypes = []string{"Bank", "AccountsReceivable", "OtherCurrentAsset", "FixedAsset", "OtherAsset",
	"AccountsPayable", "CreditCard", "OtherCurrentLiability", "LongTermLiability", "Equity",
	"Income", "CostOfGoodsSold", "Expense", "OtherIncome", "OtherExpense", "NonPosting"}

func accountTypeRank(typ string) int {
	for i, t := range accountTypes {
		if t == typ {
			return i
		}
	}
	return len(accountTypes)
}

// isBalanceSheet says whether an account type is on the balance sheet.
func isBalanceSheet(typ string) bool { return accountTypeRank(typ) <= accountTypeRank("Equity") }

// isDebitNormal says whether an account type's balance is a debit.
func isDebitNormal(typ string) bool {
	switch typ {
	case "Bank", "AccountsReceivable", "OtherCurrentAsset", "FixedAsset", "OtherAsset", "CostOfGoodsSold", "Expense", "OtherExpense":
		return true
	}
	return false
}

// ref returns the ListID of a reference element of n, resolving a FullName
// in namespace ns when the ListID is absent.
func (l *ledger) ref(n *qbxml.Node, name, ns string) string {
	if id := textAt(n, name+"/ListID"); id != "" {
		return id
	}
	if full := textAt(n, name+"/FullName"); full != "" {
		return l.byName[ns+"/"+nameKey(full)]
	}
	return ""
}

// accountOr returns a known account, or def.
func (l *ledger) accountOr(id, def string) string {
	if _, ok := l.accounts[id]; ok {
		return id
	}
	return def
}

func (l *ledger) postOpening(o *object, ret *qbxml.Node) {
	date := qbDate(time.Unix(o.created, 0).In(l.loc))
	if d := textAt(ret, "OpenBalanceDate"); d != "" {
		date = d
	}
	base := posting{date: date, txnID: o.id, txnType: "OpeningBalance", modified: o.modified, memo: "Opening balance"}
	add := func(acct string, amt int64, entity string) {
		p := base
		p.account, p.amount, p.entity = acct, amt, entity
		l.accrual = append(l.accrual, p)
		l.cash = append(l.cash, p)
	}
	switch o.typ {
	case "Account":
		amt := o.effect
		if !isDebitNormal(l.accounts[o.id].typ) {
			amt = -amt
		}
		add(o.id, amt, "")
		add(l.openingEquity, -amt, "")
	case "Customer":
		add(l.ar, o.effect, o.id)
		add(l.openingEquity, -o.effect, o.id)
		l.openings = append(l.openings, &ledgerTxn{id: o.id, typ: "Customer", date: date, dueDate: date, entity: o.id, total: o.effect, open: o.effect, ret: ret})
	case "Vendor":
		add(l.ap, -o.effect, o.id)
		add(l.openingEquity, o.effect, o.id)
		l.openings = append(l.openings, &ledgerTxn{id: o.id, typ: "Vendor", date: date, dueDate: date, entity: o.id, total: o.effect, open: o.effect, ret: ret})
	}
}

// txnTotal returns the amount a transaction is for.
func txnTotal(ret *qbxml.Node) int64 {
	for _, name := range []string{"TotalAmount", "AmountDue", "CreditAmount", "Amount", "DepositTotal"} {
		if v := textAt(ret, name); v != "" {
			return mustCents(v)
		}
	}
	var sum int64
	for _, k := range kids(ret, "JournalDebitLine") {
		sum += mustCents(textAt(k, "Amount"))
	}
	return sum
}

// postingLines lists a transaction's posting lines: the lines inside a
// group line (InvoiceLineGroupRet, ItemGroupLineRet) in its place, the
// group line itself, which only adds them up, not.
func postingLines(ret *qbxml.Node) []*qbxml.Node {
	var out []*qbxml.Node
	for _, c := range ret.Children {
		if isGroupLine(c.Name) {
			out = append(out, memberLines(c)...)
			continue
		}
		if strings.HasSuffix(c.Name, "LineRet") {
			out = append(out, c)
		}
	}
	return out
}

// derive returns the accrual postings of one transaction.
func (l *ledger) derive(t *ledgerTxn) []posting {
	ret := t.ret
	base := posting{date: t.date, txnID: t.id, txnType: t.typ, refNum: t.refNum, entity: t.entity, modified: t.modified,
		memo: textAt(ret, "Memo"), class: l.ref(ret, "ClassRef", "Class")}
	if l.listTypes[t.entity] == "Customer" {
		base.job = t.entity
	}
	var out []posting
	add := func(acct string, amt int64, line *qbxml.Node) {
		if amt == 0 {
			return
		}
		p := base
		p.account, p.amount = acct, amt
		if line != nil {
			if c := l.ref(line, "ClassRef", "Class"); c != "" {
				p.class = c
			}
			if m := textAt(line, "Memo"); m != "" {
				p.memo = m
			} else if d := textAt(line, "Desc"); d != "" {
				p.memo = d
			}
			if it := l.ref(line, "ItemRef", "Item"); it != "" {
				p.item = it
				p.quantity = parseDecimal(textAt(line, "Quantity"))
			}
			if e := l.ref(line, "EntityRef", "Entity"); e != "" {
				p.entity = e
			}
			if e := l.ref(line, "CustomerRef", "Entity"); e != "" {
				p.job = e
			}
		}
		out = append(out, p)
	}
	balance := func(acct string) {
		var sum int64
		for _, p := range out {
			sum += p.amount
		}
		add(acct, -sum, nil)
	}
	// discounts posts the discounts a payment gives (discount.go) to
	// their accounts, with their classes: debits (sign 1) for a
	// customer's, credits (-1) for a vendor's; A/R or A/P takes the other
	// side with the payment's balance.
	discounts := func(sign int64, def string) {
		for _, a := range kids(ret, "AppliedToTxnRet") {
			n := len(out)
			add(l.accountOr(l.ref(a, "DiscountAccountRef", "Account"), def), sign*discountGiven(a), nil)
			if c := l.ref(a, "DiscountClassRef", "Class"); c != "" && len(out) > n {
				out[n].class = c
			}
		}
	}
	switch t.typ {
	case "Invoice", "SalesReceipt", "CreditMemo":
		sign := int64(-1) // income is a credit
		if t.typ == "CreditMemo" {
			sign = 1
		}
		for _, line := range postingLines(ret) {
			it := l.items[l.ref(line, "ItemRef", "Item")]
			amt := mustCents(textAt(line, "Amount"))
			if it != nil && it.typ == "ItemSubtotal" {
				continue // a subtotal repeats the lines above it
			}
			acct := l.income
			switch {
			case it != nil && it.typ == "ItemPayment":
				acct = l.undeposited
			case it != nil && (it.typ == "ItemSalesTax" || it.typ == "ItemSalesTaxGroup"):
				acct = l.salesTax
			case it != nil:
				acct = l.accountOr(it.income, l.income)
			}
			add(acct, sign*amt, line)
			if it != nil && it.asset != "" && it.cogs != "" && it.cost != 0 {
				cost := int64(math.Round(parseDecimal(textAt(line, "Quantity")) * float64(it.cost)))
				add(l.accountOr(it.cogs, l.income), -sign*cost, line)
				add(l.accountOr(it.asset, l.income), sign*cost, line)
			}
		}
		add(l.salesTax, sign*mustCents(textAt(ret, "SalesTaxTotal")), nil)
		if t.typ == "SalesReceipt" {
			balance(l.accountOr(l.ref(ret, "DepositToAccountRef", "Account"), l.undeposited))
		} else {
			balance(l.accountOr(l.ref(ret, "ARAccountRef", "Account"), l.ar))
		}
	case "Bill", "ItemReceipt", "VendorCredit", "Check", "CreditCardCharge", "CreditCardCredit":
		sign := int64(1) // expenses are debits
		if t.typ == "VendorCredit" || t.typ == "CreditCardCredit" {
			sign = -1
		}
		for _, line := range postingLines(ret) {
			amt := mustCents(textAt(line, "Amount"))
			acct := l.ref(line, "AccountRef", "Account")
			if it := l.items[l.ref(line, "ItemRef", "Item")]; it != nil && acct == "" {
				acct = it.expense
			}
			add(l.accountOr(acct, l.expense), sign*amt, line)
		}
		switch t.typ {
		case "Bill", "ItemReceipt", "VendorCredit":
			balance(l.accountOr(l.ref(ret, "APAccountRef", "Account"), l.ap))
		default:
			balance(l.accountOr(l.ref(ret, "AccountRef", "Account"), l.ap))
		}
	case "ReceivePayment":
		add(l.accountOr(l.ref(ret, "DepositToAccountRef", "Account"), l.undeposited), mustCents(textAt(ret, "TotalAmount")), nil)
		discounts(1, l.expense)
		balance(l.accountOr(l.ref(ret, "ARAccountRef", "Account"), l.ar))
	case "BillPaymentCheck", "BillPaymentCreditCard":
		src := "BankAccountRef"
		if t.typ == "BillPaymentCreditCard" {
			src = "CreditCardAccountRef"
		}
		add(l.accountOr(l.ref(ret, src, "Account"), l.ap), -mustCents(textAt(ret, "Amount")), nil)
		discounts(-1, l.income)
		balance(l.accountOr(l.ref(ret, "APAccountRef", "Account"), l.ap))
	case "Deposit":
		for _, line := range kids(ret, "DepositLineRet") {
			acct := l.accountOr(l.ref(line, "AccountRef", "Account"), l.undeposited)
			add(acct, -mustCents(textAt(line, "Amount")), line)
		}
		if cb := kid(ret, "CashBackInfoRet"); cb != nil {
			add(l.accountOr(l.ref(cb, "AccountRef", "Account"), l.income), mustCents(textAt(cb, "Amount")), cb)
		}
		balance(l.accountOr(l.ref(ret, "DepositToAccountRef", "Account"), l.undeposited))
	case "JournalEntry":
		for _, line := range ret.Children {
			switch line.Name {
			case "JournalDebitLine":
				add(l.accountOr(l.ref(line, "AccountRef", "Account"), l.openingEquity), mustCents(textAt(line, "Amount")), line)
			case "JournalCreditLine":
				add(l.accountOr(l.ref(line, "AccountRef", "Account"), l.openingEquity), -mustCents(textAt(line, "Amount")), line)
			}
		}
		balance(l.openingEquity) // a stored entry always balances; this keeps a damaged one from unbalancing the books
	case "Transfer":
		amt := mustCents(textAt(ret, "Amount"))
		add(l.accountOr(l.ref(ret, "TransferToAccountRef", "Account"), l.openingEquity), amt, nil)
		add(l.accountOr(l.ref(ret, "TransferFromAccountRef", "Account"), l.openingEquity), -amt, nil)
	case "Charge":
		// A statement charge is a one-line invoice: the item's income
		// account is credited, A/R debited.
		acct := l.income
		if it := l.items[l.ref(ret, "ItemRef", "Item")]; it != nil {
			acct = l.accountOr(it.income, l.income)
		}
		add(acct, -mustCents(textAt(ret, "Amount")), ret)
		balance(l.accountOr(l.ref(ret, "ARAccountRef", "Account"), l.ar))
	case "ARRefundCreditCard":
		// Paying a customer's credit back takes the money out of the
		// refund account and clears that much credit on A/R.
		add(l.accountOr(l.ref(ret, "RefundFromAccountRef", "Account"), l.undeposited), -mustCents(textAt(ret, "TotalAmount")), nil)
		balance(l.accountOr(l.ref(ret, "ARAccountRef", "Account"), l.ar))
	case "SalesTaxPaymentCheck":
		// Paying the tax agency settles Sales Tax Payable from the bank.
		add(l.accountOr(l.ref(ret, "BankAccountRef", "Account"), l.undeposited), -mustCents(textAt(ret, "Amount")), nil)
		balance(l.salesTax)
	case "InventoryAdjustment":
		// Each line moves the item's inventory asset by its value
		// difference; the adjustment account takes the other side.
		for _, line := range kids(ret, "InventoryAdjustmentLineRet") {
			it := l.items[l.ref(line, "ItemRef", "Item")]
			if it == nil || it.asset == "" {
				continue
			}
			add(l.accountOr(it.asset, l.expense), mustCents(textAt(line, "ValueDifference")), line)
		}
		balance(l.accountOr(l.ref(ret, "AccountRef", "Account"), l.expense))
	case "BuildAssembly":
		// Building moves the components' cost into the assembly's
		// inventory asset; with one asset account it nets to nothing.
		// A pending build (more than the components allow) posts nothing.
		asm := l.items[l.ref(ret, "ItemInventoryAssemblyRef", "Item")]
		if asm == nil || asm.asset == "" || textAt(ret, "IsPending") == "true" {
			break
		}
		built := parseDecimal(textAt(ret, "QuantityToBuild"))
		for _, c := range asm.components {
			it := l.items[c.item]
			if it == nil || it.asset == "" {
				continue
			}
			add(it.asset, -int64(math.Round(c.quantity*built*float64(it.cost))), nil)
		}
		balance(asm.asset)
	}
	return out
}

// cashPostings returns a transaction's postings on the cash basis.
func (l *ledger) cashPostings(t *ledgerTxn, perTxn map[string][]posting) []posting {
	own := perTxn[t.id]
	switch t.typ {
	case "Invoice", "CreditMemo", "Charge", "Bill", "ItemReceipt", "VendorCredit":
		return nil
	case "ReceivePayment", "BillPaymentCheck", "BillPaymentCreditCard":
	default:
		return own
	}
	control := l.ar
	if t.typ != "ReceivePayment" {
		control = l.ap
	}
	var out []posting
	var controlAmt int64 // the payment's own posting to A/R or A/P
	for _, p := range own {
		if p.account == control {
			controlAmt += p.amount
			continue
		}
		out = append(out, p)
	}
	for _, ap := range kids(t.ret, "AppliedToTxnRet") {
		// A discount settles its part of the invoice or bill as money
		// does: that part's income or expense is recognised, and the
		// discount's own posting (kept above) offsets it.
		paid := mustCents(textAt(ap, "Amount")) + discountGiven(ap)
		target := l.txnByID[textAt(ap, "TxnID")]
		// A journal entry posts the same on either basis: what pays it
		// stays on A/R.
		if target == nil || paid == 0 || target.typ == "JournalEntry" {
			continue
		}
		var base []posting
		var total int64
		for _, p := range perTxn[target.id] {
			if p.account == control || p.account == l.ar || p.account == l.ap {
				total += p.amount
				continue
			}
			base = append(base, p)
		}
		if total == 0 {
			continue
		}
		scaled := prorate(base, -total, paid, controlAmt < 0)
		for i := range scaled {
			scaled[i].date, scaled[i].txnID, scaled[i].txnType, scaled[i].refNum = t.date, t.id, t.typ, t.refNum
			scaled[i].modified = t.modified
		}
		out = append(out, scaled...)
	}
	// What no applied transaction absorbed stays on A/R or A/P (a
	// customer's prepayment, a vendor's unapplied credit).
	var sum int64
	for _, p := range out {
		sum += p.amount
	}
	if sum != 0 {
		p := posting{date: t.date, txnID: t.id, txnType: t.typ, refNum: t.refNum, account: control, amount: -sum, entity: t.entity, modified: t.modified}
		out = append(out, p)
	}
	return out
}

// prorate scales postings that sum to total down to the part paid,
// keeping the sum exact: they come to -paid for a customer payment (credit,
// which credits A/R: income lines are credits) and to paid for a bill
// payment (expense lines are debits).
func prorate(base []posting, total, paid int64, credit bool) []posting {
	want := paid
	if credit {
		want = -paid
	}
	// base sums to total; scale so it sums to want.
	out := make([]posting, len(base))
	var sum int64
	big := -1
	for i, p := range base {
		out[i] = p
		out[i].amount = int64(math.Round(float64(p.amount) * float64(want) / float64(total)))
		out[i].quantity = p.quantity * math.Abs(float64(paid)/float64(total))
		sum += out[i].amount
		if big < 0 || abs64(p.amount) > abs64(base[big].amount) {
			big = i
		}
	}
	if big >= 0 {
		out[big].amount += want - sum
	}
	return out
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
