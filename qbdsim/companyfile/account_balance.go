package companyfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// An account's Balance and TotalBalance in AccountRet are what the ledger
// the reports derive (report_ledger.go) gives at the time they are asked
// for, so that they move with every posting and never disagree with the
// balance sheet or the trial balance. The file keeps them (balancesKey):
// derived from every posting when it keeps none, then moved by each
// write in its own transaction (moveBalances) by what the transactions it
// wrote post now less what they posted before, with the chart, the
// opening balances and the accounts posted to by default read again. A
// transaction posts to accounts it does not name (an item's income
// account, Undeposited Funds, Sales Tax Payable), and what it posts where
// changes when the items it names change: a write that changes those
// (an item's accounts or cost, another default account) deletes the
// balances instead, for the next reader to derive.
//
// What QuickBooks returns, and where that comes from (the scenario tests
// in account_balance_test.go cite the sources):
//
//   - Balance is the account's own balance, TotalBalance its balance and
//     all its sub-accounts' (Intuit's AccountRet field descriptions, as
//     Conductor's QuickBooks Desktop API reference repeats them; a real
//     AccountQueryRs shows parents with Balance 0.00 and the sum of their
//     sub-accounts as TotalBalance).
//   - Each is signed as the account type's normal balance: a liability,
//     equity or income account is positive when it holds a credit, an
//     asset or expense account when it holds a debit (Intuit: a credit
//     card account's positive balance is what is owed, a negative one an
//     overpayment; the real AccountQueryRs shows Accumulated Depreciation,
//     a credit on a fixed asset account, negative). That is also how
//     AccountAdd's OpenBalance is read.
//   - Balance sheet accounts hold every posting, whatever its date
//     (Intuit's data checks compare the A/R balance in the chart of
//     accounts with the Open Invoices report over all dates).
//   - Income, cost of goods sold and expense accounts hold the current
//     fiscal year's postings, and Retained Earnings the earlier years'
//     net income, as the trial balance shows them. Intuit says only that
//     income accounts "may not have balances"; the fiscal year to date is
//     our choice, the one that keeps every AccountRet equal to the trial
//     balance (and the books balanced), not a documented fact.
//   - A non-posting account (estimates, purchase orders) receives no
//     posting and answers 0.00.
//
// A posting does not mark the account modified here: its TimeModified and
// EditSequence stay as the last AccountAdd or AccountMod left them, as
// for a customer's balance without Options.BalanceMarksModified. Whether
// QuickBooks touches TimeModified is not documented; a captured real
// AccountQueryRs shows accounts whose TimeModified is years newer than
// their EditSequence, which suggests it may, so a sync engine must not
// rely on either.

// accountBalance is an account's Balance and TotalBalance in cents.
type accountBalance struct{ balance, total int64 }

// maxAccountDepth bounds the walk up an account's parents (QuickBooks
// allows five levels of sub-accounts); a loop in damaged data stops there.
const maxAccountDepth = 8

// accountBalances returns the Balance and TotalBalance of every account of
// the ledger on the day today (YYYY-MM-DD), by ListID.
func (l *ledger) accountBalances(today string) map[string]accountBalance {
	all := postedSums{}
	all.add(l.accrual, fiscalYearStart(today), 1)
	return l.balances(all)
}

// postedSums add up postings by account ListID, in cents, debits
// positive: [0] is what was posted before the first day of the fiscal
// year, [1] what was posted since.
type postedSums map[string][2]int64

// add adds sign times each posting to s.
func (s postedSums) add(ps []posting, fy string, sign int64) {
	for _, p := range ps {
		v := s[p.account]
		if p.date >= fy {
			v[1] += sign * p.amount
		} else {
			v[0] += sign * p.amount
		}
		s[p.account] = v
	}
}

// balances returns the Balance and TotalBalance of every account of the
// ledger, by ListID, from the postings sums add up. Postings to an
// account the ledger lacks count nowhere.
func (l *ledger) balances(sums ...postedSums) map[string]accountBalance {
	posted := map[string]int64{} // debits positive
	for _, s := range sums {
		for id, v := range s {
			a := l.accounts[id]
			if a == nil {
				continue
			}
			if isBalanceSheet(a.typ) {
				posted[id] += v[0] + v[1]
			} else {
				posted[id] += v[1]
				posted[l.retained] += v[0]
			}
		}
	}
	natural := func(a *ledgerAccount, amount int64) int64 {
		if isDebitNormal(a.typ) {
			return amount
		}
		return -amount
	}
	out := make(map[string]accountBalance, len(l.accounts))
	for id, a := range l.accounts {
		own := posted[id]
		b := out[id]
		b.balance = natural(a, own)
		b.total += b.balance
		out[id] = b
		cur := a
		for depth := 0; cur.parent != "" && depth < maxAccountDepth; depth++ {
			parent := l.accounts[cur.parent]
			if parent == nil {
				break
			}
			pb := out[parent.id]
			pb.total += natural(parent, own)
			out[parent.id] = pb
			cur = parent
		}
	}
	return out
}

// isOpening says whether p posts an opening balance of an account, a
// customer or a vendor (postOpening) rather than a transaction.
func isOpening(p posting) bool { return p.txnType == "OpeningBalance" }

// postedSums adds up the postings of the ledger that are (opening) or
// are not (!opening) opening balances.
func (l *ledger) postedSums(fy string, opening bool) postedSums {
	out := postedSums{}
	for _, p := range l.accrual {
		if isOpening(p) == opening {
			out.add([]posting{p}, fy, 1)
		}
	}
	return out
}

// defaults lists the accounts the ledger posts to by default
// (findSpecialAccounts).
func (l *ledger) defaults() []string {
	return []string{l.ar, l.ap, l.undeposited, l.salesTax, l.openingEquity, l.retained, l.income, l.expense}
}

// derivedBalances are the account balances derived after the file's
// writes-th write, in the fiscal year starting fy.
type derivedBalances struct {
	writes   uint64
	fy       string
	accounts map[string]accountBalance
}

// balancesKey is the meta key under which the file keeps its account
// balances (storedBalances). Its version changes with the derivation, so
// that a file never answers balances an earlier simulator derived
// otherwise.
const balancesKey = "ledger.accountBalances.v1"

// storedBalances is how the file keeps its account balances: the fiscal
// year's first day, and each account's Balance and TotalBalance in
// cents, by ListID. Posted and Defaults let a write move the balances
// (moveBalances): the postings of the transactions, by account
// (postedSums), without the opening balances, and the accounts they were
// derived to post to by default (ledger.defaults). A simulator before
// them neither reads nor writes them, and deletes the whole key when it
// writes: a file with Posted has had no write that did not move them.
type storedBalances struct {
	FY       string              `json:"fy"`
	Accounts map[string][2]int64 `json:"accounts"`
	Posted   map[string][2]int64 `json:"posted"`
	Defaults []string            `json:"defaults"`
	// raw is the JSON read (readBalances).
	raw string
}

// readBalances returns the balances the file keeps, and false when it
// keeps none (or none it can read, which are derived again).
func readBalances(ctx context.Context, q querier) (storedBalances, bool, error) {
	var sb storedBalances
	v, err := getMetaTx(ctx, q, balancesKey)
	if err != nil || v == "" {
		return sb, false, err
	}
	if err := json.Unmarshal([]byte(v), &sb); err != nil {
		return sb, false, nil
	}
	sb.raw = v
	return sb, true, nil
}

// keepBalances keeps in the file, in q's transaction, the account
// balances of the ledger l (whose accrual postings are the opening
// balances, with or without the transactions') given the transactions'
// postings, and returns them. It writes nothing when the file keeps them
// already (was, as readBalances read them): a write that moves no
// balance (a customer's phone) then writes no more than before.
func keepBalances(ctx context.Context, q querier, l *ledger, fy string, txns postedSums, was string) (map[string]accountBalance, error) {
	accounts := l.balances(txns, l.postedSums(fy, true))
	sb := storedBalances{FY: fy, Accounts: make(map[string][2]int64, len(accounts)), Posted: txns, Defaults: l.defaults()}
	for id, b := range accounts {
		sb.Accounts[id] = [2]int64{b.balance, b.total}
	}
	data, err := json.Marshal(sb)
	if err != nil {
		return nil, err
	}
	if string(data) == was {
		return accounts, nil
	}
	if err := putMetaTx(ctx, q, balancesKey, string(data)); err != nil {
		return nil, fmt.Errorf("companyfile: keep account balances: %w", err)
	}
	return accounts, nil
}

// accountBalances returns every account's Balance and TotalBalance now.
// Deriving the ledger parses every transaction (a third of a second for
// a file of 3000, five seconds for one of 100,000; BenchmarkAccountQuery),
// where QuickBooks keeps its balances as it posts. So the file keeps
// them, in memory and in the file (balancesKey): derived once when it
// keeps none, then moved by each write in its transaction (moveBalances),
// until a write that moves what other transactions post, or the next
// fiscal year: a sync reads the accounts several times between two
// writes, and a company file opened again, or copied as the benchmarks
// copy theirs, answers at once.
func (f *File) accountBalances(ctx context.Context) (map[string]accountBalance, error) {
	today := qbDate(f.opt.Now())
	fy := fiscalYearStart(today)
	if c := f.balances; c != nil && c.writes == f.writes && c.fy == fy {
		return c.accounts, nil
	}
	keep := func(accounts map[string]accountBalance) map[string]accountBalance {
		f.balances = &derivedBalances{writes: f.writes, fy: fy, accounts: accounts}
		return accounts
	}
	if sb, ok, err := readBalances(ctx, f.db); err != nil {
		return nil, err
	} else if ok && sb.FY == fy {
		accounts := make(map[string]accountBalance, len(sb.Accounts))
		for id, b := range sb.Accounts {
			accounts[id] = accountBalance{balance: b[0], total: b[1]}
		}
		return keep(accounts), nil
	}
	f.derivations++
	l, err := f.loadLedger(ctx)
	if err != nil {
		return nil, err
	}
	accounts, err := keepBalances(ctx, f.db, l, fy, l.postedSums(fy, false), "")
	if err != nil {
		return nil, err
	}
	return keep(accounts), nil
}

// moveBalances moves the account balances the file keeps by what a write
// changed, in its transaction q: changed holds the objects it changed,
// by seq, with their Rets before it (nil for one it inserted). The
// write's transactions post anew, their earlier versions no longer; the
// opening balances, the chart (types and parents) and the accounts
// posted to by default are read again. A write that changes what
// transactions it did not change post (an item's accounts or cost, a
// deleted account or item, another account to post to by default)
// deletes the balances instead, for the next reader to derive.
func (f *File) moveBalances(ctx context.Context, q querier, changed map[int64][]byte) error {
	if len(changed) == 0 {
		// No object changed: nothing posts otherwise, and the chart
		// holds.
		if c := f.chart; c != nil && c.writes == f.writes {
			c.writes++
		}
		return nil
	}
	fy := fiscalYearStart(qbDate(f.opt.Now()))
	kept, ok, err := readBalances(ctx, q)
	if err != nil {
		return err
	}
	if !ok || kept.Posted == nil || kept.FY != fy {
		return forgetBalances(ctx, q)
	}
	seqs := make([]int64, 0, len(changed))
	for seq := range changed {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	now, err := f.objectsBySeq(ctx, q, seqs)
	if err != nil {
		return err
	}
	chart, err := f.loadChart(ctx, q, changed, now)
	if err != nil {
		return err
	}
	if !slices.Equal(chart.defaults(), kept.Defaults) {
		return forgetBalances(ctx, q)
	}
	moved, ok, err := f.movedPostings(ctx, q, chart, fy, seqs, changed, now)
	if err != nil {
		return err
	}
	if !ok {
		return forgetBalances(ctx, q)
	}
	posted := postedSums(kept.Posted)
	for id, m := range moved {
		v := posted[id]
		posted[id] = [2]int64{v[0] + m[0], v[1] + m[1]}
	}
	_, err = keepBalances(ctx, q, chart, fy, posted, kept.raw)
	return err
}

// chart is what account balances need besides the transactions'
// postings, as of the file's writes-th write: its accounts, and its
// customers and vendors with opening balances, parsed, by seq. Each
// write brings it up to date with the objects it changed rather than
// reading every account again (a millisecond of every write on the
// large file).
type chart struct {
	writes  uint64
	objects map[int64]chartObject
	// meta holds the accounts the file names for A/R, A/P and
	// Undeposited Funds (seed.go), which the ledger's defaults follow.
	meta [3]string
	// ledger is the ledger loadChart made of objects and meta, until
	// one of them changes.
	ledger *ledger
}

// chartObject is an object of the chart and its Ret, parsed; its readers
// do not change either.
type chartObject struct {
	o   *object
	ret *qbxml.Node
}

// inChart says whether o belongs to the chart.
func inChart(o *object) bool {
	return o.typ == "Account" || (o.typ == "Customer" || o.typ == "Vendor") && o.effect != 0
}

// loadChart returns, in q's transaction, the ledger of what account
// balances need besides the transactions' postings: the accounts, the
// accounts postings go to by default, and the opening balances of
// accounts, customers and vendors, posted as loadLedger posts them. The
// chart the file holds is brought up to date with the objects the write
// changed (changed, with now as they are), or read again when it is not
// the file's last write's.
func (f *File) loadChart(ctx context.Context, q querier, changed map[int64][]byte, now map[int64]*object) (*ledger, error) {
	c := f.chart
	f.chart = nil // until this write's is complete
	var meta [3]string
	for i, key := range []string{"account.ar", "account.ap", "account.undeposited"} {
		v, err := getMetaTx(ctx, q, key)
		if err != nil {
			return nil, err
		}
		meta[i] = v
	}
	if c == nil || c.writes != f.writes || c.meta != meta {
		// Two queries: SQLite answers either from the type index, and
		// the two in one (OR) at half the speed.
		objs, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE type = 'Account'`)
		if err != nil {
			return nil, err
		}
		names, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE type IN ('Customer', 'Vendor') AND effect <> 0`)
		if err != nil {
			return nil, err
		}
		c = &chart{objects: make(map[int64]chartObject, len(objs)+len(names))}
		for _, o := range append(objs, names...) {
			ret, err := parseNode(o.ret)
			if err != nil {
				return nil, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
			}
			c.objects[o.seq] = chartObject{o, ret}
		}
	} else {
		for seq := range changed {
			o := now[seq]
			if _, was := c.objects[seq]; was || o != nil && inChart(o) {
				c.ledger = nil
			}
			if o == nil || !inChart(o) {
				delete(c.objects, seq)
				continue
			}
			ret, err := parseNode(o.ret)
			if err != nil {
				return nil, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
			}
			c.objects[seq] = chartObject{o, ret}
		}
	}
	c.meta = meta
	// Up to date once the write commits (writeTx drops it otherwise).
	c.writes = f.writes + 1
	f.chart = c
	if l := c.ledger; l != nil {
		l.items = map[string]*ledgerItem{} // what the last write's transactions named
		return l, nil
	}
	l := newLedger(f.opt.Now().Location())
	var openings []chartObject
	for _, co := range c.objects {
		if l.addList(f.reg().byName[co.o.typ], co.o, co.ret) {
			openings = append(openings, co)
		}
	}
	l.findSpecialAccounts(ctx, q)
	for _, p := range openings {
		l.postOpening(p.o, p.ret)
	}
	c.ledger = l
	return l, nil
}

// movedPostings returns what the changes of a write (changed, as
// moveBalances has them, with the objects now, seqs in order) move in
// the transactions' postings: each transaction it changed posts as it
// is now rather than as it was, both
// derived with the ledger l (loadChart) and the items they name. It
// returns false when the write may also have changed what other
// transactions post: it deleted an account or an item, changed what an
// item posts to or at what cost, or wrote an object of a type the
// simulator does not know.
//
// Every stored reference holds its ListID (the builder resolves each
// one, as rewriteRefs and the refs table rely on): a change of names
// alone, as a rename writes into the records that name the element,
// moves nothing.
func (f *File) movedPostings(ctx context.Context, q querier, l *ledger, fy string, seqs []int64, changed map[int64][]byte, now map[int64]*object) (postedSums, bool, error) {
	var err error
	type version struct {
		o    *object
		ret  *qbxml.Node
		sign int64
	}
	var txns []version
	var named [][]byte // the Rets of txns, for the items they name
	for _, seq := range seqs {
		was, o := changed[seq], now[seq]
		if was == nil && o == nil {
			continue // inserted and deleted by the write
		}
		if was != nil && o != nil && bytes.Equal(withoutFullNames(was), withoutFullNames(o.ret)) {
			continue
		}
		var wasRet *qbxml.Node
		typ := ""
		if o != nil {
			typ = o.typ
		}
		if was != nil {
			if wasRet, err = parseNode(was); err != nil {
				return nil, false, fmt.Errorf("companyfile: stored object %d: %w", seq, err)
			}
			if typ == "" {
				typ = strings.TrimSuffix(wasRet.Name, "Ret")
			}
		}
		t := f.reg().byName[typ]
		isItem := t != nil && t.Kind == kindList && strings.HasPrefix(typ, "Item")
		switch {
		case t == nil:
			return nil, false, nil
		case t.Kind == kindTxn:
			if wasRet != nil {
				txns = append(txns, version{&object{typ: typ, txnDate: textAt(wasRet, "TxnDate")}, wasRet, -1})
				named = append(named, was)
			}
			if o != nil {
				ret, err := parseNode(o.ret)
				if err != nil {
					return nil, false, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
				}
				txns = append(txns, version{o, ret, 1})
				named = append(named, o.ret)
			}
		case o == nil && (typ == "Account" || isItem):
			return nil, false, nil
		case isItem && wasRet != nil:
			ret, err := parseNode(o.ret)
			if err != nil {
				return nil, false, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
			}
			if !postsAlike(newLedgerItem(o, wasRet, ""), newLedgerItem(o, ret, "")) {
				return nil, false, nil
			}
		}
	}
	if err := f.loadItems(ctx, q, l, named); err != nil {
		return nil, false, err
	}
	moved := postedSums{}
	for _, v := range txns {
		lt := &ledgerTxn{id: v.o.id, typ: v.o.typ, date: v.o.txnDate, refNum: v.o.refNumber, entity: v.o.entityID, modified: v.o.modified, ret: v.ret}
		moved.add(l.derive(lt), fy, v.sign)
	}
	return moved, true, nil
}

// postsAlike says whether two versions of an item make transactions post
// the same.
func postsAlike(a, b *ledgerItem) bool {
	return a.typ == b.typ && a.income == b.income && a.expense == b.expense && a.asset == b.asset && a.cogs == b.cogs &&
		a.cost == b.cost && slices.Equal(a.components, b.components)
}

// withoutFullNames returns ret without its FullName elements.
func withoutFullNames(ret []byte) []byte {
	const open, closing = "<FullName>", "</FullName>"
	var out []byte
	for {
		i := bytes.Index(ret, []byte(open))
		if i < 0 {
			return append(out, ret...)
		}
		j := bytes.Index(ret[i:], []byte(closing))
		if j < 0 {
			return append(out, ret...)
		}
		out = append(out, ret[:i]...)
		ret = ret[i+j+len(closing):]
	}
}

// loadItems adds to l the items the Rets name, and the components of
// the assemblies among them, as loadLedger reads them.
func (f *File) loadItems(ctx context.Context, q querier, l *ledger, rets [][]byte) error {
	var ids []string
	for _, r := range rets {
		ids = append(ids, listIDsIn(r)...)
	}
	for len(ids) > 0 {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		ids = slices.DeleteFunc(ids, func(id string) bool { return l.items[id] != nil })
		objs, err := f.objectsIn(ctx, q, "id", anySlice(ids), ` AND type LIKE 'Item%'`)
		if err != nil {
			return err
		}
		var next []string
		for _, o := range objs {
			if t := f.reg().byName[o.typ]; t == nil || t.Kind != kindList {
				continue
			}
			ret, err := parseNode(o.ret)
			if err != nil {
				return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
			}
			it := newLedgerItem(o, ret, orDefault(textAt(ret, "FullName"), o.name))
			l.items[o.id] = it
			for _, c := range it.components {
				next = append(next, c.item)
			}
		}
		ids = next
	}
	return nil
}

// objectsBySeq returns the objects with these seqs that exist, by seq.
func (f *File) objectsBySeq(ctx context.Context, q querier, seqs []int64) (map[int64]*object, error) {
	objs, err := f.objectsIn(ctx, q, "seq", anySlice(seqs), "")
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*object, len(objs))
	for _, o := range objs {
		out[o.seq] = o
	}
	return out, nil
}

// objectsIn returns the objects whose column col is one of vals and that
// and (" AND ...", or "") selects, 500 values a statement, within
// SQLite's limit on bound values.
func (f *File) objectsIn(ctx context.Context, q querier, col string, vals []any, and string) ([]*object, error) {
	var out []*object
	for len(vals) > 0 {
		n := min(500, len(vals))
		objs, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE `+col+` IN (`+strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)`+and, vals[:n]...)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
		vals = vals[n:]
	}
	return out, nil
}

// anySlice returns vals as bound values.
func anySlice[T any](vals []T) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// forgetBalances deletes, in a write's transaction, the account balances
// the file keeps: the write moved them in a way only deriving them again
// tells.
func forgetBalances(ctx context.Context, q querier) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, balancesKey); err != nil {
		return fmt.Errorf("companyfile: forget account balances: %w", err)
	}
	return nil
}

// setAccountBalance writes b into an AccountRet.
func setAccountBalance(ret *qbxml.Node, b accountBalance) {
	model, _ := contentModel("AccountRet")
	setIf(ret, model, "Balance", formatCents(b.balance))
	setIf(ret, model, "TotalBalance", formatCents(b.total))
}

// withAccountBalances gives the accounts among objs, about to be written
// to a response, their current Balance and TotalBalance. It derives the
// ledger once, and only when objs hold an account.
func (f *File) withAccountBalances(ctx context.Context, objs []*object) error {
	var bals map[string]accountBalance
	for _, o := range objs {
		if o.typ != "Account" {
			continue
		}
		if bals == nil {
			var err error
			if bals, err = f.accountBalances(ctx); err != nil {
				return err
			}
		}
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		setAccountBalance(ret, bals[o.id])
		o.ret = marshalNode(ret)
	}
	return nil
}

// withAccountBalance gives the AccountRet a write answers with (t is the
// written type; other types pass unchanged) its current Balance and
// TotalBalance.
func (f *File) withAccountBalance(ctx context.Context, t *objType, ret *qbxml.Node) error {
	if t.Name != "Account" {
		return nil
	}
	bals, err := f.accountBalances(ctx)
	if err != nil {
		return err
	}
	setAccountBalance(ret, bals[textAt(ret, "ListID")])
	return nil
}
