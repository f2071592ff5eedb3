package companyfile

import (
	"context"
	"fmt"

	"github.com/qbconnect/qbconnect/qbxml"
)

// A ReceivePaymentAdd names the invoices it pays (AppliedToTxnAdd) or asks
// QuickBooks to choose them (IsAutoApply true), as the Receive Payments
// window does with its "Automatically apply payments" preference: an open
// invoice of the customer whose balance equals the payment takes all of
// it; otherwise the payment goes to the oldest open invoices first, each
// paid in full while the money lasts, the last one perhaps in part, and
// what is left over stays with the customer as an unused payment.
// IsAutoApply false applies nothing: the whole payment is a credit for
// the customer. The choice becomes the AppliedToTxnRet list an explicit
// AppliedToTxnAdd would give, so balances, links and reports follow as
// for one. Only money is applied: no credit memo, no discount. Only an
// Add has IsAutoApply (qbXML 13.0); a Mod keeps what the Add applied, as
// it keeps an explicit application.

// autoApply adds to the payment ret (of the customer o.entityID, not yet
// applied to anything) the AppliedToTxnRet elements that spread its
// TotalAmount over the customer's open invoices, each with the TxnID and
// the Amount paid; completePayment fills in the rest.
func (f *File) autoApply(ctx context.Context, q querier, model *qbxml.ElementType, ret *qbxml.Node, o *object) error {
	left := mustCents(textAt(ret, "TotalAmount"))
	if left <= 0 || o.entityID == "" {
		return nil
	}
	type open struct {
		id      string
		balance int64
	}
	rows, err := q.QueryContext(ctx, `SELECT `+objectCols+` FROM objects WHERE type = 'Invoice' AND entity_id = ? AND effect > 0 ORDER BY txn_date, seq`, o.entityID)
	if err != nil {
		return fmt.Errorf("companyfile: open invoices of %s: %w", o.entityID, err)
	}
	var invoices []open
	for rows.Next() {
		inv, err := scanObject(rows)
		if err != nil {
			rows.Close()
			return err
		}
		r, err := parseNode(inv.ret)
		if err != nil {
			rows.Close()
			return fmt.Errorf("companyfile: stored %s %s: %w", inv.typ, inv.id, err)
		}
		if bal := mustCents(textAt(r, "BalanceRemaining")); bal > 0 {
			invoices = append(invoices, open{inv.id, bal})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	apply := func(id string, amount int64) {
		insertOrdered(ret, model, qbxml.NewNode("AppliedToTxnRet", qbxml.NewText("TxnID", id), qbxml.NewText("Amount", formatCents(amount))))
	}
	for _, inv := range invoices {
		if inv.balance == left {
			apply(inv.id, left)
			return nil
		}
	}
	for _, inv := range invoices {
		if left == 0 {
			break
		}
		amount := min(inv.balance, left)
		apply(inv.id, amount)
		left -= amount
	}
	return nil
}
