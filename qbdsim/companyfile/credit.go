package companyfile

import (
	"context"
	"errors"
	"fmt"

	"github.com/qbconnect/qbconnect/qbxml"
)

// A payment can apply credits as well as money: each SetCredit of an
// AppliedToTxnAdd or AppliedToTxnMod applies part of a credit memo (to an
// invoice, in a ReceivePayment) or of a vendor credit (to a bill, in a
// BillPaymentCheck or BillPaymentCreditCard) of the same customer or
// vendor. The credit lowers what is open on the invoice or bill, as the
// payment does, and what is left of the credit (a credit memo's
// CreditRemaining, a vendor credit's OpenAmount) by the same amount; it
// moves no balance, since the credit lowered the customer's or vendor's
// balance when it was entered, and posts nothing. The payment's
// AppliedToTxnRet reports each credit it applies as a LinkedTxn (AMTTYPE,
// the amount applied as a negative amount, as the invoice or bill sees
// it), which is also what the simulator keeps of it: modifying, deleting
// or voiding the payment gives the credit back, and an AppliedToTxnMod
// that leaves a credit out gives it back too, as it replaces the stored
// application. The links of credits to what they are applied to are kept
// in credit_links (linked.go).
//
// An invoice applies credit memos itself with the SetCredit of InvoiceAdd
// and InvoiceMod, as a payment of no money would: the credit lowers the
// invoice's BalanceRemaining (its AppliedAmount counts it) and the credit
// memo's CreditRemaining, and the two link each other. The application is
// part of the invoice, which is the only record of it: credit_links holds
// it with the invoice as both payer and target (payer_seq 0, as an Add
// has no seq yet). An InvoiceMod's SetCredit applies more credit and keeps
// what was applied before, since a credit, once applied, can be
// unapplied only by removing the transaction that applied it (Intuit's
// tutorial); deleting or voiding the invoice gives its credits back.

// appliedCredits returns the LinkedTxn elements of the credits that src
// (an AppliedToTxnAdd or AppliedToTxnMod with its SetCredit elements, an
// AppliedToTxnRet stored by an earlier version of the payment and kept by
// a Mod, or an InvoiceAdd or InvoiceMod) applies. Each credit must be a
// credit memo of the payment's or invoice's customer (ReceivePayment,
// Invoice) or a vendor credit of its vendor (bill payments). SetCredit's TxnLineID is not used by QuickBooks
// Desktop, and Override is accepted and ignored.
func appliedCredits(ctx context.Context, q querier, t *objType, src *qbxml.Node, entityID string) ([]*qbxml.Node, error) {
	if src == nil {
		return nil, nil
	}
	creditType := "CreditMemo"
	if t.Name == "BillPaymentCheck" || t.Name == "BillPaymentCreditCard" {
		creditType = "VendorCredit"
	}
	var out []*qbxml.Node
	add := func(id string, applied int64) error {
		credit, err := getObjectByID(ctx, q, id)
		if errors.Is(err, errNoObject) || (err == nil && (credit.typ != creditType || credit.entityID != entityID)) {
			return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s.", creditType, id, t.Name)
		}
		if err != nil {
			return err
		}
		l := qbxml.NewNode("LinkedTxn", qbxml.NewText("TxnID", credit.id), qbxml.NewText("TxnType", credit.typ), qbxml.NewText("TxnDate", credit.txnDate))
		if credit.refNumber != "" {
			l.Add(qbxml.NewText("RefNumber", credit.refNumber))
		}
		l.Add(qbxml.NewText("LinkType", "AMTTYPE"), qbxml.NewText("Amount", formatCents(-applied)))
		out = append(out, l)
		return nil
	}
	for _, s := range kids(src, "SetCredit") {
		v := textAt(s, "AppliedAmount")
		applied, err := parseCents(v)
		if err != nil || applied <= 0 {
			return nil, qbErr(stInvalidValue, "The \"AppliedAmount\" field has an invalid value %q.", v)
		}
		if err := add(textAt(s, "CreditTxnID"), applied); err != nil {
			return nil, err
		}
	}
	if src.Name == "AppliedToTxnRet" {
		for _, l := range kids(src, "LinkedTxn") {
			if err := add(textAt(l, "TxnID"), -mustCents(textAt(l, "Amount"))); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// creditsApplied is the sum of the credits an AppliedToTxnRet applies.
func creditsApplied(a *qbxml.Node) int64 {
	var sum int64
	for _, l := range kids(a, "LinkedTxn") {
		sum -= mustCents(textAt(l, "Amount"))
	}
	return sum
}

// useCredits takes (sign 1) or gives back (sign -1) the credits that the
// payment ret applies, from the credit memos and vendor credits they come
// from. A credit that no longer exists has nothing to give back.
func (f *File) useCredits(ctx context.Context, q querier, ret *qbxml.Node, sign int64) error {
	for _, a := range kids(ret, "AppliedToTxnRet") {
		for _, l := range kids(a, "LinkedTxn") {
			err := f.useCredit(ctx, q, textAt(l, "TxnID"), -sign*mustCents(textAt(l, "Amount")))
			if err != nil && (sign > 0 || !errors.Is(err, errNoObject)) {
				return err
			}
		}
	}
	return nil
}

// useCredit takes cents from what is left of a credit (gives them back
// when negative): a credit memo's CreditRemaining, a vendor credit's
// OpenAmount, a customer payment's UnusedPayment. No more than is left can
// be taken (status 3210). The credit's effect on its customer's or
// vendor's balance follows what is left of it; the caller refreshes the
// balance.
func (f *File) useCredit(ctx context.Context, q querier, id string, cents int64) error {
	o, ret, err := getRetByID(ctx, q, id)
	if err != nil {
		return err
	}
	el := creditElement(o.typ)
	left := mustCents(textAt(ret, el))
	if cents > left {
		return qbErr(stInvalidValue, "The \"AppliedAmount\" field has an invalid value %q: the %s %q has %s of credit left.", formatCents(cents), o.typ, o.refNumber, formatCents(left))
	}
	left -= cents
	model, _ := contentModel(o.typ + "Ret")
	setIf(ret, model, el, formatCents(left))
	o.effect = -left
	o.touch(ret, model, f.opt.Now())
	o.ret = marshalNode(ret)
	return updateObject(ctx, q, o)
}

// creditElement is the element holding what is left of a credit.
func creditElement(typ string) string {
	switch typ {
	case "ReceivePayment":
		return "UnusedPayment"
	case "VendorCredit":
		return "OpenAmount"
	}
	return "CreditRemaining"
}

// creditUsed is what has been used of the credit memo or vendor credit
// old (refunded or applied): a modification keeps it used, and cannot
// lower the credit below it.
func creditUsed(old *object) (int64, error) {
	if old == nil {
		return 0, nil
	}
	ret, err := parseNode(old.ret)
	if err != nil {
		return 0, err
	}
	total := "TotalAmount"
	if old.typ == "VendorCredit" {
		total = "CreditAmount"
	}
	return mustCents(textAt(ret, total)) - mustCents(textAt(ret, creditElement(old.typ))), nil
}

// refuseIfApplied refuses to delete or void a credit memo or vendor credit
// that payments or invoices apply, or that a refund (ARRefundCreditCard)
// paid back: what is used of it, by either, is linked to it.
func refuseIfApplied(ctx context.Context, q querier, t *objType, old *object) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_links WHERE credit_id = ?`, old.id).Scan(&n); err != nil {
		return err
	}
	used, err := creditUsed(old)
	if err != nil {
		return err
	}
	if n > 0 || used > 0 {
		return qbErr(stCannotDelete, "The %s %q cannot be deleted or voided because it is applied to other transactions or refunded.", t.Name, old.refNumber)
	}
	return nil
}

// creditKept is what a modification of the credit memo or vendor credit
// old into o keeps used of it (creditUsed). A credit that changes customer
// or vendor is first taken off every invoice or bill it is applied to, as
// QuickBooks breaks those links when a credit memo is moved to another
// customer; what a refund paid back of it cannot move (3170): the refund
// is its customer's.
func (f *File) creditKept(ctx context.Context, q querier, t *objType, old, o *object) (int64, error) {
	used, err := creditUsed(old)
	if err != nil || old == nil || old.entityID == o.entityID {
		return used, err
	}
	freed, err := f.unapplyCredit(ctx, q, old.id)
	if err != nil {
		return 0, err
	}
	if used -= freed; used > 0 {
		return 0, qbErr(stCannotModify, "There was an error when modifying a %s. The %s %q cannot change its %s: %s of it is refunded.", t.Name, t.Name, old.refNumber, t.Entity, formatCents(used))
	}
	return 0, nil
}

// unapplyCredit takes the credit id off every invoice or bill it is
// applied to, and returns how much was applied. The invoice or bill is
// open again by that much; the payment that applied the credit no longer
// lists it in its AppliedToTxnRet (nor keeps an AppliedToTxnRet that
// applied only the credit); an invoice that applied it itself lowers its
// AppliedAmount.
func (f *File) unapplyCredit(ctx context.Context, q querier, id string) (int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT target_id, payer_id, amount FROM credit_links WHERE credit_id = ?`, id)
	if err != nil {
		return 0, err
	}
	type link struct {
		target, payer string
		amount        int64
	}
	var all []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.target, &l.payer, &l.amount); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var freed int64
	for _, l := range all {
		freed += l.amount
		if err := f.adjustPaid(ctx, q, l.target, -l.amount); err != nil && !errors.Is(err, errNoObject) {
			return 0, err
		}
		if l.payer == l.target {
			continue
		}
		payer, ret, err := getRetByID(ctx, q, l.payer)
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return 0, err
		}
		kept := ret.Children[:0]
		for _, a := range ret.Children {
			if a.Name == "AppliedToTxnRet" && textAt(a, "TxnID") == l.target {
				others := a.Children[:0]
				for _, c := range a.Children {
					if c.Name != "LinkedTxn" || textAt(c, "TxnID") != id {
						others = append(others, c)
					}
				}
				a.Children = others
				if settled(a) == 0 {
					continue
				}
			}
			kept = append(kept, a)
		}
		ret.Children = kept
		model, _ := contentModel(payer.typ + "Ret")
		payer.touch(ret, model, f.opt.Now())
		payer.ret = marshalNode(ret)
		if err := updateObject(ctx, q, payer); err != nil {
			return 0, err
		}
	}
	_, err = q.ExecContext(ctx, `DELETE FROM credit_links WHERE credit_id = ?`, id)
	return freed, err
}

// applyInvoiceCredits applies the credit memos that the SetCredit elements
// of src (an InvoiceAdd, or an InvoiceMod merged with the stored invoice)
// name to the invoice o, of which open is still to pay, and returns how
// much they take off it. No more than is open can be applied (3210). The
// credits stay with the invoice's customer: an invoice that applies
// credits cannot change customer (3210).
func (f *File) applyInvoiceCredits(ctx context.Context, q querier, t *objType, src *qbxml.Node, o, old *object, open int64) (int64, error) {
	if old != nil && old.entityID != o.entityID {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_links WHERE payer_id = ?`, old.id).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, qbErr(stInvalidValue, "The customer of the invoice %q cannot change: it applies credit memos of its customer.", old.refNumber)
		}
	}
	credits, err := appliedCredits(ctx, q, t, src, o.entityID)
	if err != nil {
		return 0, err
	}
	sum := creditsApplied(&qbxml.Node{Children: credits})
	if sum > open {
		return 0, qbErr(stInvalidValue, "The \"AppliedAmount\" field has an invalid value %q. QuickBooks error message: You cannot apply more than the amount due (%s).", formatCents(sum), formatCents(open))
	}
	for _, c := range credits {
		id, amount := textAt(c, "TxnID"), -mustCents(textAt(c, "Amount"))
		if err := f.useCredit(ctx, q, id, amount); err != nil {
			return 0, err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO credit_links(credit_id, target_id, payer_seq, payer_id, amount) VALUES (?, ?, 0, ?, ?)
			ON CONFLICT(credit_id, target_id, payer_seq) DO UPDATE SET amount = amount + excluded.amount`, id, o.id, o.id, amount); err != nil {
			return 0, fmt.Errorf("companyfile: link credit %s to %s: %w", id, o.id, err)
		}
	}
	return sum, nil
}

// returnInvoiceCredits gives back the credits that the invoice id applied
// itself, when it is deleted or voided.
func (f *File) returnInvoiceCredits(ctx context.Context, q querier, id string) error {
	rows, err := q.QueryContext(ctx, `SELECT credit_id, amount FROM credit_links WHERE payer_id = ? AND target_id = ?`, id, id)
	if err != nil {
		return err
	}
	type applied struct {
		credit string
		amount int64
	}
	var all []applied
	for rows.Next() {
		var a applied
		if err := rows.Scan(&a.credit, &a.amount); err != nil {
			rows.Close()
			return err
		}
		all = append(all, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range all {
		if err := f.useCredit(ctx, q, a.credit, -a.amount); err != nil && !errors.Is(err, errNoObject) {
			return err
		}
	}
	_, err = q.ExecContext(ctx, `DELETE FROM credit_links WHERE payer_id = ?`, id)
	return err
}
