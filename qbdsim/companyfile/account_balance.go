package companyfile

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qbconnect/qbconnect/qbxml"
)

// An account's Balance and TotalBalance in AccountRet are what the ledger
// the reports derive (report_ledger.go) gives at the time they are asked
// for, so that they move with every posting and never disagree with the
// balance sheet or the trial balance. They are derived when asked for,
// like the reports, and kept only until the next write, rather than moved
// by each write: a transaction posts to accounts it does not name (an
// item's income account, Undeposited Funds, Sales Tax Payable), and what
// it posts where changes when the items it names change.
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
	fy := fiscalYearStart(today)
	posted := map[string]int64{} // debits positive
	for _, p := range l.accrual {
		a := l.accounts[p.account]
		if a == nil {
			continue
		}
		if isBalanceSheet(a.typ) || p.date >= fy {
			posted[a.id] += p.amount
		} else {
			posted[l.retained] += p.amount
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

// derivedBalances are the account balances derived after the file's
// writes-th write, in the fiscal year starting fy.
type derivedBalances struct {
	writes   uint64
	fy       string
	accounts map[string]accountBalance
}

// balancesKey is the meta key under which the file keeps the account
// balances last derived (storedBalances), until a write deletes them. Its
// version changes with the derivation, so that a file never answers
// balances an earlier simulator derived otherwise.
const balancesKey = "ledger.accountBalances.v1"

// storedBalances is how the file keeps derived balances: the fiscal
// year's first day, and each account's Balance and TotalBalance in
// cents, by ListID.
type storedBalances struct {
	FY       string              `json:"fy"`
	Accounts map[string][2]int64 `json:"accounts"`
}

// accountBalances returns every account's Balance and TotalBalance now.
// Deriving the ledger parses every transaction (a third of a second for
// a file of 3000, five seconds for one of 100,000; BenchmarkAccountQuery),
// where QuickBooks keeps its balances as it posts. So the balances are
// derived once after each write and kept, in memory and in the file
// (balancesKey, deleted in every write's transaction: forgetBalances),
// until the next write or the next fiscal year: a sync reads the
// accounts several times between two writes, and a company file opened
// again, or copied as the benchmarks copy theirs, answers at once.
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
	if v, err := getMetaTx(ctx, f.db, balancesKey); err != nil {
		return nil, err
	} else if v != "" {
		var sb storedBalances
		if err := json.Unmarshal([]byte(v), &sb); err == nil && sb.FY == fy {
			accounts := make(map[string]accountBalance, len(sb.Accounts))
			for id, b := range sb.Accounts {
				accounts[id] = accountBalance{balance: b[0], total: b[1]}
			}
			return keep(accounts), nil
		}
	}
	l, err := f.loadLedger(ctx)
	if err != nil {
		return nil, err
	}
	accounts := l.accountBalances(today)
	sb := storedBalances{FY: fy, Accounts: make(map[string][2]int64, len(accounts))}
	for id, b := range accounts {
		sb.Accounts[id] = [2]int64{b.balance, b.total}
	}
	data, err := json.Marshal(sb)
	if err != nil {
		return nil, err
	}
	if err := putMetaTx(ctx, f.db, balancesKey, string(data)); err != nil {
		return nil, fmt.Errorf("companyfile: keep account balances: %w", err)
	}
	return keep(accounts), nil
}

// forgetBalances deletes, in a write's transaction, the account balances
// the file keeps: the write may move them.
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
