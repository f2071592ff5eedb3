package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Deposits of received payments. A ReceivePayment or SalesReceipt whose
// money went to Undeposited Funds (the default deposit-to account) waits
// there until a deposit takes it: a DepositLineAdd with PaymentTxnID. The
// deposit line then carries the payment's customer, amount, method and
// check number, the Undeposited Funds account, and the payment's TxnID and
// TxnType; the payment can be deposited once. The links table records
// which deposit took which payment (target_id = the payment), so that
// ReceivePaymentToDepositQuery lists only what is still to deposit.
//
// A deposit's cash back (CashBackInfoRet) is money taken out of it into
// another account: DepositTotal is the lines less the cash back, as the
// Make Deposits window shows it, and the ledger debits the cash back
// account with it (report_ledger.go). The cash back cannot be more than
// the lines: the deposit would be negative (3210).
//
// A deposited payment stays as the deposit took it: it cannot be deleted
// or voided, nor change its amount or the account it went to, until the
// deposit lets it go (refuseIfDeposited). Deleting or voiding the deposit,
// or a DepositMod that drops its line, puts it back in Undeposited Funds.

// completeDeposit fills the lines of a deposit from the payments they
// deposit and computes DepositTotal.
func (f *File) completeDeposit(ctx context.Context, q querier, model *qbxml.ElementType, ret, src *qbxml.Node, o *object) error {
	var srcLines []*qbxml.Node
	for _, s := range src.Children {
		if retFor(s.Name, "DepositLineRet") {
			srcLines = append(srcLines, s)
		}
	}
	lines := kids(ret, "DepositLineRet")
	lineModel, _ := contentModel("DepositLineRet")
	seen := map[string]bool{}
	var sum int64
	for i, l := range lines {
		var s *qbxml.Node
		if i < len(srcLines) {
			s = srcLines[i]
		}
		payID := textAt(s, "PaymentTxnID")
		if payID == "" && s != nil && s.Name == "DepositLineMod" && textAt(l, "TxnType") != "" && textAt(l, "TxnType") != "Deposit" {
			// A stored payment line the Mod keeps.
			payID = textAt(l, "TxnID")
		}
		if payID == "" {
			sum += mustCents(textAt(l, "Amount"))
			continue
		}
		if seen[payID] {
			return qbErr(stInvalidValue, "The payment %q is deposited more than once in this Deposit.", payID)
		}
		seen[payID] = true
		pay, err := f.paymentToDeposit(ctx, q, payID, o.id)
		if err != nil {
			return err
		}
		filled := &qbxml.Node{Name: "DepositLineRet"}
		filled.Children = append(filled.Children, qbxml.NewText("TxnType", pay.typ), qbxml.NewText("TxnID", pay.id), qbxml.NewText("TxnLineID", textAt(l, "TxnLineID")))
		if v := textAt(s, "PaymentTxnLineID"); v != "" {
			filled.Children = append(filled.Children, qbxml.NewText("PaymentTxnLineID", v))
		}
		if c := kid(pay.ret, "CustomerRef"); c != nil {
			filled.Children = append(filled.Children, renamed(c, "EntityRef"))
		}
		if a := kid(pay.ret, "DepositToAccountRef"); a != nil {
			filled.Children = append(filled.Children, renamed(a, "AccountRef"))
		} else if ref, err := f.defaultAccountRef(ctx, q, "AccountRef", "account.undeposited"); err == nil {
			filled.Children = append(filled.Children, ref)
		}
		memo := orDefault(textAt(s, "OverrideMemo"), textAt(pay.ret, "Memo"))
		if memo != "" {
			filled.Children = append(filled.Children, qbxml.NewText("Memo", memo))
		}
		if n := orDefault(textAt(s, "OverrideCheckNumber"), textAt(pay.ret, "RefNumber")); n != "" {
			filled.Children = append(filled.Children, qbxml.NewText("CheckNumber", n))
		}
		if m := kid(pay.ret, "PaymentMethodRef"); m != nil {
			filled.Children = append(filled.Children, m)
		}
		if c := kid(l, "ClassRef"); c != nil {
			filled.Children = append(filled.Children, c)
		}
		filled.Children = append(filled.Children, qbxml.NewText("Amount", formatCents(pay.amount)))
		newOrderer().order(filled, lineModel)
		*l = *filled
		sum += pay.amount
	}
	if cb := kid(ret, "CashBackInfoRet"); cb != nil {
		back := mustCents(textAt(cb, "Amount"))
		if back > 0 && back > sum {
			return qbErr(stInvalidValue, "The cash back amount %s is more than the deposit subtotal %s: QuickBooks does not record a negative deposit.", formatCents(back), formatCents(sum))
		}
		sum -= back
	}
	setIf(ret, model, "DepositTotal", formatCents(sum))
	return nil
}

// refuseIfDeposited refuses to delete (3160) or void (3170, voidRefusal)
// (ret nil) a payment or sales receipt that a deposit took, or to change
// (3170; ret, the payment as modified) the amount it deposited, the account
// it went to or the
// customer it came from: the deposit line holds all three. What else a
// payment holds may change.
func (f *File) refuseIfDeposited(ctx context.Context, q querier, t *objType, old *object, ret *qbxml.Node) error {
	if t.Name != "ReceivePayment" && t.Name != "SalesReceipt" {
		return nil
	}
	var depositID string
	err := q.QueryRowContext(ctx, `SELECT l.payer_id FROM links l JOIN objects d ON d.seq = l.payer_seq WHERE l.target_id = ? AND d.type = 'Deposit'`, old.id).Scan(&depositID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if ret == nil {
		return qbErr(stCannotDelete, "The %s %q cannot be deleted or voided because the Deposit %q deposited it. Remove it from the deposit first.", t.Name, old.refNumber, depositID)
	}
	prev, err := parseNode(old.ret)
	if err != nil {
		return err
	}
	und, err := getMetaTx(ctx, q, "account.undeposited")
	if err != nil {
		return err
	}
	to := func(r *qbxml.Node) string { return orDefault(textAt(r, "DepositToAccountRef/ListID"), und) }
	switch {
	case mustCents(textAt(prev, "TotalAmount")) != mustCents(textAt(ret, "TotalAmount")):
		return qbErr(stCannotModify, "There was an error when modifying a %s. The %s %q cannot change its amount because the Deposit %q deposited it. Remove it from the deposit first.", t.Name, t.Name, old.refNumber, depositID)
	case to(prev) != to(ret):
		return qbErr(stCannotModify, "There was an error when modifying a %s. The %s %q cannot change its DepositToAccountRef because the Deposit %q deposited it. Remove it from the deposit first.", t.Name, t.Name, old.refNumber, depositID)
	case textAt(prev, "CustomerRef/ListID") != textAt(ret, "CustomerRef/ListID"):
		return qbErr(stCannotModify, "There was an error when modifying a %s. The %s %q cannot change its CustomerRef because the Deposit %q deposited it. Remove it from the deposit first.", t.Name, t.Name, old.refNumber, depositID)
	}
	return nil
}

func renamed(n *qbxml.Node, name string) *qbxml.Node {
	c := n.Clone()
	c.Name = name
	return c
}

// payment is a received payment waiting in Undeposited Funds.
type payment struct {
	id, typ string
	amount  int64
	ret     *qbxml.Node
	obj     *object
}

// paymentToDeposit returns the payment id if it can be deposited by the
// deposit depositID ("" for a new one): it exists, its money is in
// Undeposited Funds, and no other deposit took it. Anything else is status
// 3140, as for any reference to a transaction that cannot be used.
func (f *File) paymentToDeposit(ctx context.Context, q querier, id, depositID string) (*payment, error) {
	bad := func(why string) error {
		return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks payment %q in the Deposit: %s.", id, why)
	}
	o, err := getObjectByID(ctx, q, id)
	if errors.Is(err, errNoObject) {
		return nil, bad("no such transaction")
	}
	if err != nil {
		return nil, err
	}
	if o.typ != "ReceivePayment" && o.typ != "SalesReceipt" {
		return nil, bad("it is a " + o.typ + ", not a payment")
	}
	p, ok, err := f.undeposited(ctx, q, o)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bad("it was not received into Undeposited Funds")
	}
	var by string
	err = q.QueryRowContext(ctx, `SELECT payer_id FROM links WHERE target_id = ? AND payer_id <> ?`, id, depositID).Scan(&by)
	if err == nil {
		return nil, bad("it was already deposited by " + by)
	}
	return p, nil
}

// undeposited reports whether the payment o was received into Undeposited
// Funds, with its amount.
func (f *File) undeposited(ctx context.Context, q querier, o *object) (*payment, bool, error) {
	ret, err := parseNode(o.ret)
	if err != nil {
		return nil, false, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
	}
	und, err := getMetaTx(ctx, q, "account.undeposited")
	if err != nil {
		return nil, false, err
	}
	to := textAt(ret, "DepositToAccountRef/ListID")
	if to != "" && to != und {
		return nil, false, nil
	}
	amt := mustCents(textAt(ret, "TotalAmount"))
	if amt <= 0 {
		return nil, false, nil
	}
	return &payment{id: o.id, typ: o.typ, amount: amt, ret: ret, obj: o}, true, nil
}

// linkDeposit records the payments the deposit o took.
func linkDeposit(ctx context.Context, q querier, o *object, ret *qbxml.Node) error {
	for _, l := range kids(ret, "DepositLineRet") {
		typ := textAt(l, "TxnType")
		if typ != "ReceivePayment" && typ != "SalesReceipt" {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO links(target_id, payer_seq, payer_id, amount) VALUES (?, ?, ?, ?)`,
			textAt(l, "TxnID"), o.seq, o.id, mustCents(textAt(l, "Amount"))); err != nil {
			return fmt.Errorf("companyfile: link deposit %s: %w", o.id, err)
		}
	}
	return nil
}

// receivePaymentToDepositQuery lists the payments waiting in Undeposited
// Funds, oldest first.
func (f *File) receivePaymentToDepositQuery(ctx context.Context, rq *request, rs *response) error {
	rows, err := f.db.QueryContext(ctx, `SELECT `+objectCols+` FROM objects WHERE type IN ('ReceivePayment', 'SalesReceipt')
		AND id NOT IN (SELECT target_id FROM links l JOIN objects d ON d.seq = l.payer_seq WHERE d.type = 'Deposit') ORDER BY txn_date, seq`)
	if err != nil {
		return err
	}
	var objs []*object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			rows.Close()
			return err
		}
		objs = append(objs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	opt := retOptions{include: includeElements(rq.el)}
	for _, o := range objs {
		p, ok, err := f.undeposited(ctx, f.db, o)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		ret := qbxml.NewNode("ReceivePaymentToDepositRet", qbxml.NewText("TxnID", p.id), qbxml.NewText("TxnType", p.typ))
		if c := kid(p.ret, "CustomerRef"); c != nil {
			ret.Add(c)
		}
		ret.Add(qbxml.NewText("TxnDate", o.txnDate))
		if o.refNumber != "" {
			ret.Add(qbxml.NewText("RefNumber", o.refNumber))
		}
		ret.Add(qbxml.NewText("Amount", formatCents(p.amount)))
		f.writeRet(rs, ret, opt)
	}
	if rs.count == 0 {
		rs.st = noMatch()
	}
	return nil
}

func noMatch() status {
	return status{stNoMatch, "Info", "A query request did not find a matching object in QuickBooks"}
}
