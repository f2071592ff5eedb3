package companyfile

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Most transactions move the balance of the one customer or vendor they
// are for, and keep what they add to it in objects.effect. A journal
// entry's lines each name their own customer or vendor, so what they add
// is kept per line, in the line_effects table:
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
// Payments cannot be applied to a journal entry in the simulator, so each
// line stays open for its whole amount until the entry is modified,
// deleted or voided.

// lineEffect is one row of the line_effects table.
type lineEffect struct {
	txnID, lineID, entityID string
	effect                  int64 // cents the line adds to its entity's balance
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

// insertJournalEffects records what the lines of the stored journal entry
// o add to balances and returns the entities they name.
func insertJournalEffects(ctx context.Context, q querier, o *object, ret *qbxml.Node) ([]string, error) {
	effects, err := journalEffects(ctx, q, o.id, ret)
	if err != nil {
		return nil, err
	}
	var entities []string
	for _, e := range effects {
		if _, err := q.ExecContext(ctx, `INSERT INTO line_effects(txn_id, line_id, entity_id, effect) VALUES (?, ?, ?, ?)`,
			e.txnID, e.lineID, e.entityID, e.effect); err != nil {
			return nil, fmt.Errorf("companyfile: journal line %s of %s: %w", e.lineID, e.txnID, err)
		}
		entities = append(entities, e.entityID)
	}
	return entities, nil
}

// deleteJournalEffects forgets what a journal entry's lines add to
// balances and returns the entities they named.
func deleteJournalEffects(ctx context.Context, q querier, txnID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT entity_id FROM line_effects WHERE txn_id = ?`, txnID)
	if err != nil {
		return nil, err
	}
	var entities []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		entities = append(entities, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM line_effects WHERE txn_id = ?`, txnID); err != nil {
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

// rebuildLineEffects fills the line_effects table from every stored
// journal entry, for a company file written before the table existed, and
// refreshes the balances the entries move.
func (f *File) rebuildLineEffects(ctx context.Context, q querier) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM line_effects`); err != nil {
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
