package companyfile

import (
	"context"
	"errors"

	"github.com/qbconnect/qbconnect/qbxml"
)

// A credit card refund (ARRefundCreditCard) pays a customer back what a
// credit memo or an overpayment left them: each RefundAppliedToTxn names
// the credit and the amount refunded, which leaves the credit and, with
// it, the customer's balance. What is refunded stays used: the credit
// memo or payment cannot be deleted (nor the credit memo voided) or moved
// to another customer while the refund stands, and a modification of it
// keeps the refunded amount out of what is left.

// completeRefund fills each applied line from the credit it refunds and
// totals the refund.
func (f *File) completeRefund(ctx context.Context, q querier, model *qbxml.ElementType, ret *qbxml.Node, o *object, old *object) error {
	lm, _ := contentModel("RefundAppliedToTxnRet")
	// What a modified refund had taken is available again.
	undo := map[string]int64{}
	if old != nil {
		if prev, err := parseNode(old.ret); err == nil {
			for _, a := range kids(prev, "RefundAppliedToTxnRet") {
				undo[textAt(a, "TxnID")] += mustCents(textAt(a, "RefundAmount"))
			}
		}
	}
	var total int64
	for _, a := range kids(ret, "RefundAppliedToTxnRet") {
		id := textAt(a, "TxnID")
		refund := mustCents(textAt(a, "RefundAmount"))
		target, err := getObjectByID(ctx, q, id)
		if errors.Is(err, errNoObject) || (err == nil && ((target.typ != "CreditMemo" && target.typ != "ReceivePayment") || target.entityID != o.entityID)) {
			return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks credit %q in the ARRefundCreditCard.", id)
		}
		if err != nil {
			return err
		}
		tr, err := parseNode(target.ret)
		if err != nil {
			return err
		}
		left := mustCents(textAt(tr, creditElement(target.typ))) + undo[id]
		if refund <= 0 || refund > left {
			return qbErr(stInvalidValue, "The \"RefundAmount\" field has an invalid value %q: the credit %q has %s left.", formatCents(refund), id, formatCents(left))
		}
		a.Children = []*qbxml.Node{qbxml.NewText("TxnID", id), qbxml.NewText("TxnType", target.typ), qbxml.NewText("TxnDate", target.txnDate)}
		if target.refNumber != "" {
			a.Add(qbxml.NewText("RefNumber", target.refNumber))
		}
		a.Add(qbxml.NewText("CreditRemaining", formatCents(left-refund)), qbxml.NewText("RefundAmount", formatCents(refund)))
		newOrderer().order(a, lm)
		total += refund
	}
	setIf(ret, model, "TotalAmount", formatCents(total))
	return nil
}

// moveCredits takes (sign 1) or gives back (sign -1) the refunded amounts
// of ret from the credits they came from.
func (f *File) moveCredits(ctx context.Context, q querier, ret *qbxml.Node, sign int64) error {
	entities := map[string]bool{}
	for _, a := range kids(ret, "RefundAppliedToTxnRet") {
		err := f.useCredit(ctx, q, textAt(a, "TxnID"), sign*mustCents(textAt(a, "RefundAmount")))
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return err
		}
		o, err := getObjectByID(ctx, q, textAt(a, "TxnID"))
		if err != nil {
			return err
		}
		entities[o.entityID] = true
	}
	for id := range entities {
		if err := f.refreshBalance(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// paymentRefunded is what refunds paid back of the customer payment old
// (nil, or any other type: nothing): its TotalAmount less the money it
// applies and its UnusedPayment. A modification keeps it refunded.
func paymentRefunded(old *object) (int64, error) {
	if old == nil || old.typ != "ReceivePayment" {
		return 0, nil
	}
	ret, err := parseNode(old.ret)
	if err != nil {
		return 0, err
	}
	refunded := mustCents(textAt(ret, "TotalAmount")) - mustCents(textAt(ret, "UnusedPayment"))
	for _, a := range kids(ret, "AppliedToTxnRet") {
		refunded -= mustCents(textAt(a, "Amount"))
	}
	return refunded, nil
}

// refuseIfRefunded refuses to delete or void a customer payment whose
// unused amount a refund (ARRefundCreditCard) paid back, as
// refuseIfApplied refuses for a refunded credit memo: the refund is
// linked to it.
func refuseIfRefunded(old *object) error {
	refunded, err := paymentRefunded(old)
	if err != nil {
		return err
	}
	if refunded > 0 {
		return qbErr(stCannotDelete, "The ReceivePayment %q cannot be deleted or voided because %s of it is refunded.", old.refNumber, formatCents(refunded))
	}
	return nil
}
