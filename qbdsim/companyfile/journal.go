package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Most transactions move the balance of the one customer or vendor they
// are for, and keep what they add to it in objects.effect. A journal
// entry's lines each name their own customer or vendor, so what they add
// is kept per line, in the journal_lines table's effect:
//
//   - a line on an Accounts Receivable account that names a customer moves
//     that customer's balance: a debit raises what the customer owes, a
//     credit lowers it;
//   - a line on an Accounts Payable account that names a vendor moves that
//     vendor's balance: a credit raises what the company owes, a debit
//     lowers it.
//
// Other lines (an A/R line naming a vendor, a line on any other account,
// a line naming nobody) move no balance. QuickBooks refuses an A/R or A/P
// line without a name in its user interface; no status code for that
// refusal through qbXML is documented, so the simulator accepts such a
// line and, like QuickBooks' reports, files it under no name.
//
// Balances (entityBalance, refreshBalance) add the two up, and the reports
// list each line as an open item of its customer or vendor (loadLedger).
//
// A customer payment can be applied to a journal entry, as to an invoice
// (completePayment): what it applies is recorded in the links table and
// leaves the entry's debits to A/R for that customer, first line first,
// so a line's effect is what it leaves open. A bill payment pays bills
// only, as Intuit documents a bill payment's AppliedTo: it refuses a
// journal entry's credit to A/P (TestABillPaymentCannotPayAJournalEntrysPayablesCredit).
//
// The journal_lines table records the name and the account of every line
// too, which JournalEntryQuery's EntityFilter and AccountFilter and
// TransactionQuery's TransactionEntityFilter and TransactionAccountFilter
// match.

// lineEffect is what one line of a journal entry adds to a balance.
type lineEffect struct {
	txnID, lineID, entityID string
	effect                  int64 // cents the line adds to its entity's balance, less what payments applied
}

// journalEffects returns what the lines of a journal entry (its Ret, with
// references resolved to ListIDs) add to the balances of the customers and
// vendors they name.
func journalEffects(ctx context.Context, q querier, txnID string, ret *qbxml.Node) ([]lineEffect, error) {
	var out []lineEffect
	for i, l := range ret.Children {
		var debit int64
		switch l.Name {
		case "JournalDebitLine":
			debit = 1
		case "JournalCreditLine":
			debit = -1
		default:
			continue
		}
		amt := mustCents(textAt(l, "Amount"))
		entityID, accountID := textAt(l, "EntityRef/ListID"), textAt(l, "AccountRef/ListID")
		if amt == 0 || entityID == "" || accountID == "" {
			continue
		}
		acct, err := getObjectByID(ctx, q, accountID)
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return nil, err
		}
		entity, err := getObjectByID(ctx, q, entityID)
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return nil, err
		}
		acctRet, err := parseNode(acct.ret)
		if err != nil {
			return nil, fmt.Errorf("companyfile: stored Account %s: %w", acct.id, err)
		}
		var effect int64
		switch typ := textAt(acctRet, "AccountType"); {
		case typ == "AccountsReceivable" && entity.typ == "Customer":
			effect = debit * amt
		case typ == "AccountsPayable" && entity.typ == "Vendor":
			effect = -debit * amt
		default:
			continue
		}
		out = append(out, lineEffect{txnID: txnID, lineID: orDefault(textAt(l, "TxnLineID"), strconv.Itoa(i)), entityID: entityID, effect: effect})
	}
	return out, nil
}

// overpaidError is what insertJournalEffects answers when the payments
// applied to a journal entry exceed the debits to A/R they pay.
type overpaidError struct {
	entityID string
	open     int64 // what the entry's debits for the customer come to
	paid     int64 // what payments apply to them
}

func (e *overpaidError) Error() string {
	return fmt.Sprintf("companyfile: journal entry pays %s of %s open for %s", formatCents(e.paid), formatCents(e.open), e.entityID)
}

// insertJournalEffects records the lines of the stored journal entry o:
// their names and accounts and what they leave open on balances once the
// payments applied to it are taken off. It returns the entities whose
// balances they move.
func insertJournalEffects(ctx context.Context, q querier, o *object, ret *qbxml.Node) ([]string, error) {
	effects, err := journalEffects(ctx, q, o.id, ret)
	if err != nil {
		return nil, err
	}
	paid, err := journalPaid(ctx, q, o.id)
	if err != nil {
		return nil, err
	}
	open := map[string]int64{}
	for i := range effects {
		e := &effects[i]
		if e.effect <= 0 {
			continue
		}
		open[e.entityID] += e.effect
		take := min(paid[e.entityID], e.effect)
		e.effect -= take
		paid[e.entityID] -= take
	}
	for id, p := range paid {
		if p > 0 {
			return nil, &overpaidError{entityID: id, open: open[id], paid: open[id] + p}
		}
	}
	byLine := make(map[string]int64, len(effects))
	var entities []string
	for _, e := range effects {
		byLine[e.lineID] = e.effect
		entities = append(entities, e.entityID)
	}
	for i, l := range ret.Children {
		if l.Name != "JournalDebitLine" && l.Name != "JournalCreditLine" {
			continue
		}
		lineID := orDefault(textAt(l, "TxnLineID"), strconv.Itoa(i))
		var effect sql.NullInt64
		effect.Int64, effect.Valid = byLine[lineID]
		if _, err := q.ExecContext(ctx, `INSERT INTO journal_lines(txn_id, line_id, entity_id, account_id, effect) VALUES (?, ?, ?, ?, ?)`,
			o.id, lineID, textAt(l, "EntityRef/ListID"), textAt(l, "AccountRef/ListID"), effect); err != nil {
			return nil, fmt.Errorf("companyfile: journal line %s of %s: %w", lineID, o.id, err)
		}
	}
	return entities, nil
}

// journalPaid returns what the payments applied to a journal entry apply,
// by the customer who paid.
func journalPaid(ctx context.Context, q querier, txnID string) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(p.entity_id, ''), l.amount FROM links l JOIN objects p ON p.seq = l.payer_seq WHERE l.target_id = ?`, txnID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	paid := map[string]int64{}
	for rows.Next() {
		var id string
		var amount int64
		if err := rows.Scan(&id, &amount); err != nil {
			return nil, err
		}
		paid[id] += amount
	}
	return paid, rows.Err()
}

// journalOpen returns what the debits to A/R for a customer of the stored
// journal entry o (its Ret ret) leave open, and whether it has any such
// debit: only then can the customer's payments be applied to it.
func journalOpen(ctx context.Context, q querier, o *object, ret *qbxml.Node, customerID string) (int64, bool, error) {
	effects, err := journalEffects(ctx, q, o.id, ret)
	if err != nil {
		return 0, false, err
	}
	debits := false
	for _, e := range effects {
		debits = debits || e.entityID == customerID && e.effect > 0
	}
	var open int64
	err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(effect), 0) FROM journal_lines WHERE txn_id = ? AND entity_id = ? AND effect > 0`, o.id, customerID).Scan(&open)
	return open, debits, err
}

// repostJournal records a journal entry's lines again after the payments
// applied to it changed, and refreshes the balances they move.
func (f *File) repostJournal(ctx context.Context, q querier, txnID string) error {
	o, err := getObjectByID(ctx, q, txnID)
	if errors.Is(err, errNoObject) {
		return nil
	}
	if err != nil {
		return err
	}
	ret, err := parseNode(o.ret)
	if err != nil {
		return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
	}
	if _, err := deleteJournalEffects(ctx, q, o.id); err != nil {
		return err
	}
	moved, err := insertJournalEffects(ctx, q, o, ret)
	if err != nil {
		return err
	}
	return f.refreshBalances(ctx, q, moved)
}

// deleteJournalEffects forgets a journal entry's lines and what they add
// to balances, and returns the entities whose balances they moved.
func deleteJournalEffects(ctx context.Context, q querier, txnID string) ([]string, error) {
	entities, err := queryStrings(ctx, q, `SELECT DISTINCT entity_id FROM journal_lines WHERE txn_id = ? AND effect IS NOT NULL`, txnID)
	if err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM journal_lines WHERE txn_id = ?`, txnID); err != nil {
		return nil, err
	}
	return entities, nil
}

// journalEntities returns every entity the lines of a journal entry name.
func journalEntities(ret *qbxml.Node) []string {
	var out []string
	for _, l := range ret.Children {
		if l.Name == "JournalDebitLine" || l.Name == "JournalCreditLine" {
			if id := textAt(l, "EntityRef/ListID"); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// refreshBalances refreshes the balance of each entity once.
func (f *File) refreshBalances(ctx context.Context, q querier, entities []string) error {
	seen := map[string]bool{}
	for _, id := range entities {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := f.refreshBalance(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// rebuildJournalLines fills the journal_lines table from every stored
// journal entry, for a company file written before it existed, and
// refreshes the balances the entries move.
func (f *File) rebuildJournalLines(ctx context.Context, q querier) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM journal_lines`); err != nil {
		return err
	}
	jes, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE type = 'JournalEntry' ORDER BY seq`)
	if err != nil {
		return err
	}
	var entities []string
	for _, o := range jes {
		ret, err := parseNode(o.ret)
		if err != nil {
			return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
		}
		moved, err := insertJournalEffects(ctx, q, o, ret)
		if err != nil {
			return err
		}
		entities = append(entities, moved...)
	}
	return f.refreshBalances(ctx, q, entities)
}
