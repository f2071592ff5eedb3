package companyfile

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// The company file records which payments pay which invoices and bills in
// the links table, and which credits (credit memos, vendor credits) they
// apply to them with SetCredit in the credit_links table: insertLinks when
// a payment is written, a delete when it is modified, deleted or voided
// (revertEffects). An invoice's own SetCredit is in credit_links too,
// with the invoice as payer (applyInvoiceCredits, credit.go). From them
// come the LinkedTxn elements of IncludeLinkedTxns, the payments a
// deleted or voided invoice leaves their money to (unapplyPayments), and
// the refusals to delete or void a paid bill or an applied credit, and to
// move a paid invoice or bill to another name. The links of item
// receipts, bills and invoices to the purchase and sales orders they
// receive or invoice (order_links, orders.go) are LinkedTxn too, on both
// sides.
//
// The links of estimates to the transactions made from them are not
// recorded by the simulator and so appear as no LinkedTxn.

// insertLinks records the transactions the payment o (stored, with its seq)
// is applied to, and the credits it applies to them, from the
// AppliedToTxnRet of its Ret. The payment links by the money it pays and
// the discount it gives (discount.go), so that the LinkedTxn of an
// invoice add up to its AppliedAmount (the simulator's choice: Intuit
// documents no LinkedTxn amount for a discount). A payment that only
// applies credits to a transaction (no money, no discount) links the
// credit to it, not itself.
func insertLinks(ctx context.Context, q querier, o *object, ret *qbxml.Node) error {
	for _, a := range kids(ret, "AppliedToTxnRet") {
		target, amount := textAt(a, "TxnID"), mustCents(textAt(a, "Amount"))+discountGiven(a)
		credits := kids(a, "LinkedTxn")
		for _, c := range credits {
			if _, err := q.ExecContext(ctx, `INSERT INTO credit_links(credit_id, target_id, payer_seq, payer_id, amount) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT(credit_id, target_id, payer_seq) DO UPDATE SET amount = amount + excluded.amount`,
				textAt(c, "TxnID"), target, o.seq, o.id, -mustCents(textAt(c, "Amount"))); err != nil {
				return fmt.Errorf("companyfile: link credit %s to %s: %w", textAt(c, "TxnID"), target, err)
			}
		}
		if amount == 0 && len(credits) > 0 {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO links(target_id, payer_seq, payer_id, amount) VALUES (?, ?, ?, ?)
			ON CONFLICT(target_id, payer_seq) DO UPDATE SET amount = amount + excluded.amount`,
			target, o.seq, o.id, amount); err != nil {
			return fmt.Errorf("companyfile: link %s to %s: %w", o.id, target, err)
		}
	}
	return nil
}

// rebuildLinks fills the links and credit_links tables from every stored
// payment. The credits that invoices apply themselves are recorded only
// in credit_links (credit.go), and the payments deposits take only in
// links (deposit.go): they stay.
func rebuildLinks(ctx context.Context, q querier) error {
	for _, del := range []string{
		`DELETE FROM links WHERE payer_seq IN (SELECT seq FROM objects WHERE type IN ('ReceivePayment', 'BillPaymentCheck', 'BillPaymentCreditCard'))`,
		`DELETE FROM credit_links WHERE payer_id <> target_id`,
	} {
		if _, err := q.ExecContext(ctx, del); err != nil {
			return err
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+objectCols+` FROM objects WHERE type IN ('ReceivePayment', 'BillPaymentCheck', 'BillPaymentCreditCard') ORDER BY seq`)
	if err != nil {
		return err
	}
	var pays []*object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			rows.Close()
			return err
		}
		pays = append(pays, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range pays {
		ret, err := parseNode(o.ret)
		if err != nil {
			return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
		}
		if err := insertLinks(ctx, q, o, ret); err != nil {
			return err
		}
	}
	return nil
}

// linkedTypes are the types whose Ret IncludeLinkedTxns gives LinkedTxn
// elements: those paid by payments and those linked to orders, the
// orders, and the credits applied to invoices and bills.
var linkedTypes = map[string]bool{"Invoice": true, "Bill": true, "ItemReceipt": true, "PurchaseOrder": true, "SalesOrder": true,
	"CreditMemo": true, "VendorCredit": true}

// linkedTxns returns, by TxnID, the LinkedTxn elements that
// IncludeLinkedTxns adds to the transactions among objs. A payment
// applied to an invoice or bill links by its amount: AMTTYPE, the amount
// applied as a negative amount, as QuickBooks reports it; a voided
// payment applies nothing and so links nothing. A credit applied to an
// invoice or bill links the two directly, AMTTYPE too, once for all the
// payments that applied it: on the invoice or bill by the amount applied
// as a negative amount, like a payment, and on the credit by the same
// amount, positive, as it brings the credit's negative open balance back
// towards zero (Intuit documents no sign for the credit's side; this is
// the simulator's choice). A receipt, bill or invoice and the order it
// receives or invoices link by quantity: QUANTYPE, once per transaction
// however many of its lines link, with no amount. On an invoice or bill
// the order comes first, then the payments and credits in the order they
// were made.
func (f *File) linkedTxns(ctx context.Context, objs []*object) (map[string][]*qbxml.Node, error) {
	var ids []any
	for _, o := range objs {
		if linkedTypes[o.typ] {
			ids = append(ids, o.id)
		}
	}
	out := map[string][]*qbxml.Node{}
	// Chunks stay well below SQLite's limit on bound parameters when a
	// query without MaxReturned returns every invoice at once.
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		if err := f.linksOf(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// linksOf adds to out the LinkedTxn elements of the transactions ids.
func (f *File) linksOf(ctx context.Context, ids []any, out map[string][]*qbxml.Node) error {
	rows, err := f.db.QueryContext(ctx, `WITH ids(id) AS (VALUES (?)`+strings.Repeat(",(?)", len(ids)-1)+`)
		SELECT k.target, k.link_type, k.amount, p.id, p.type, COALESCE(p.txn_date, ''), COALESCE(p.ref_number, '')
		FROM (SELECT target_id AS target, payer_id AS other, 'AMTTYPE' AS link_type, -amount AS amount FROM links WHERE target_id IN (SELECT id FROM ids)
			UNION SELECT order_id, txn_id, 'QUANTYPE', 0 FROM order_links WHERE order_id IN (SELECT id FROM ids)
			UNION SELECT txn_id, order_id, 'QUANTYPE', 0 FROM order_links WHERE txn_id IN (SELECT id FROM ids)
			UNION SELECT target_id, credit_id, 'AMTTYPE', -SUM(amount) FROM credit_links WHERE target_id IN (SELECT id FROM ids) GROUP BY target_id, credit_id
			UNION SELECT credit_id, target_id, 'AMTTYPE', SUM(amount) FROM credit_links WHERE credit_id IN (SELECT id FROM ids) GROUP BY credit_id, target_id) k
		JOIN objects p ON p.id = k.other
		ORDER BY k.target, k.link_type = 'AMTTYPE', p.seq`, ids...)
	if err != nil {
		return fmt.Errorf("companyfile: linked transactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var target, linkType, id, typ, date, ref string
		var amount int64
		if err := rows.Scan(&target, &linkType, &amount, &id, &typ, &date, &ref); err != nil {
			return err
		}
		l := qbxml.NewNode("LinkedTxn", qbxml.NewText("TxnID", id), qbxml.NewText("TxnType", typ), qbxml.NewText("TxnDate", date))
		if ref != "" {
			l.Add(qbxml.NewText("RefNumber", ref))
		}
		l.Add(qbxml.NewText("LinkType", linkType), qbxml.NewText("Amount", formatCents(amount)))
		out[target] = append(out[target], l)
	}
	return rows.Err()
}

// refuseNameChangeIfPaid refuses (3170) to move the invoice or bill old
// to another customer or vendor (o's) while payments, or the credits that
// payments apply, are applied to it: a payment pays only its own name's
// invoices or bills (completePayment), so the other name's payment would
// stay applied to it. The payments must first be taken off it. The
// credits an invoice applies itself are applyInvoiceCredits' to refuse.
func refuseNameChangeIfPaid(ctx context.Context, q querier, t *objType, old, o *object) error {
	if old == nil || old.entityID == o.entityID {
		return nil
	}
	paid, err := hasPayments(ctx, q, old.id)
	if err != nil || !paid {
		return err
	}
	return qbErr(stCannotModify, "There was an error when modifying a %s. The %s %q cannot change its %s because payments or credits are applied to it. Remove them from it first.", t.Name, t.Name, old.refNumber, t.Entity)
}

// hasPayments reports whether payments, or credits that payments apply,
// are applied to the transaction id.
func hasPayments(ctx context.Context, q querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM links WHERE target_id = ?) + (SELECT COUNT(*) FROM credit_links WHERE target_id = ? AND payer_id <> target_id)`, id, id).Scan(&n)
	return n > 0, err
}

// unapplyPayments takes the invoice id, being deleted or voided, off the
// customer payments applied to it: each payment keeps its TotalAmount, and
// the money it applied to the invoice becomes its UnusedPayment, to apply
// elsewhere or refund; the credits it applied there go back to their
// credit memos, and the discount it gave there is gone with the invoice.
// QuickBooks voids a paid invoice this way ("each payment stays, and what
// it had applied to the invoice becomes its unused payment", QuBe Sync's
// reference of TxnVoid, observed on QuickBooks Enterprise 24.0,
// glama.ai/mcp/connectors/com.qubesync/quickbooks-desktop-api/tools/execute_txn_void),
// and deletes one so in its window ("the payment stays on your books ...
// but the payment no longer has an offsetting invoice", QuickBooks 2012
// help, "What happens if I delete an invoice that has a payment?",
// support.quickbooks.intuit.com/support/pages/inproducthelp/Core/QB2K12/
// ContentPackage/Core/Payments/ov_delete_inv_with_payment.html). The
// caller refreshes the customer's balance.
func (f *File) unapplyPayments(ctx context.Context, q querier, id string) error {
	payers, err := queryStrings(ctx, q, `SELECT payer_id FROM links WHERE target_id = ?
		UNION SELECT payer_id FROM credit_links WHERE target_id = ? AND payer_id <> target_id`, id, id)
	if err != nil {
		return err
	}
	for _, payer := range payers {
		p, ret, err := getRetByID(ctx, q, payer)
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return err
		}
		var freed int64
		kept := ret.Children[:0]
		for _, a := range ret.Children {
			if a.Name != "AppliedToTxnRet" || textAt(a, "TxnID") != id {
				kept = append(kept, a)
				continue
			}
			freed += mustCents(textAt(a, "Amount"))
			for _, l := range kids(a, "LinkedTxn") {
				// A LinkedTxn's Amount is negative: a negative use gives it back.
				if err := f.useCredit(ctx, q, textAt(l, "TxnID"), mustCents(textAt(l, "Amount"))); err != nil && !errors.Is(err, errNoObject) {
					return err
				}
			}
		}
		ret.Children = kept
		model, _ := contentModel(p.typ + "Ret")
		if p.typ == "ReceivePayment" {
			unused := mustCents(textAt(ret, "UnusedPayment")) + freed
			setIf(ret, model, "UnusedPayment", formatCents(unused))
			p.effect = -unused
		}
		p.touch(ret, model, f.opt.Now())
		p.ret = marshalNode(ret)
		if err := updateObject(ctx, q, p); err != nil {
			return err
		}
	}
	for _, del := range []string{`DELETE FROM links WHERE target_id = ?`, `DELETE FROM credit_links WHERE target_id = ? AND payer_id <> target_id`} {
		if _, err := q.ExecContext(ctx, del, id); err != nil {
			return err
		}
	}
	return nil
}

// checkPurchaseLinks refuses a bill or item receipt (src, its Add) whose
// LinkToTxnID names anything but a purchase order: QuickBooks links them
// to purchase orders only, so a bill cannot be entered against an item
// receipt through qbXML; only QuickBooks' own window turns a receipt into
// its bill. QuickBooks documents no status code for the refusal; the
// simulator answers the one of any other invalid reference.
func checkPurchaseLinks(ctx context.Context, q querier, t *objType, src *qbxml.Node) error {
	for _, l := range kids(src, "LinkToTxnID") {
		o, err := getObjectByID(ctx, q, l.Text)
		if err != nil && !errors.Is(err, errNoObject) {
			return err
		}
		if err != nil || o.typ != "PurchaseOrder" {
			return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks PurchaseOrder %q in the %s.", l.Text, t.Name)
		}
	}
	return nil
}
