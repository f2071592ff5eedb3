package syncengine

import (
	"bytes"
	"context"
	"slices"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// A payment applied to invoices changes them: their BalanceRemaining,
// AppliedAmount and IsPaid (a bill's OpenAmount, a credit memo's
// CreditRemaining, a sales or purchase order's received and invoiced
// quantities). A write that applies to or links other transactions,
// or stops doing so (an update, a delete, a void), reads those
// transactions again in its own message set, after the write, as it
// reads the customers and items it moves (movedQueries), and stores
// them with it: a client that pays an invoice and reads it at once
// sees it paid, without waiting for the invoices' next pass. Deleting or
// voiding a paid invoice or bill leaves its payments their money as
// unused payment; those payments are read again the same way.

// linkElements are the elements of a write's Add or Mod that name
// another transaction the write applies to or links: AppliedToTxnAdd's
// and LinkToTxn's TxnID, SetCredit's CreditTxnID, LinkToTxnID.
var linkElements = []string{"TxnID", "CreditTxnID", "LinkToTxnID"}

// storedTxnKey is how a stored record's JSON names a transaction
// (AppliedToTxnRet, LinkedTxn, RefundAppliedToTxnRet).
var storedTxnKey = []byte(`"txnId":"`)

// linkedQueries returns the queries of the stored transactions a write
// of d applies to or links (rec, its Add or Mod element; nil for a
// delete or void) or did as stored, and, for a delete or void, of the
// stored payments that apply to the transaction (payersOf), by type,
// their requestIDs numbered from first. A transaction the store does not
// hold is left to its own pass.
func (e *Engine) linkedQueries(ctx context.Context, d *dataType, w qbconnect.WriteRequest, rec *qbxml.Node, first int) ([]qbxml.Element, error) {
	if !d.txn {
		return nil, nil
	}
	var ids []string
	add := func(id string) {
		if id != "" && id != w.ID && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if rec != nil {
		for _, c := range rec.Children {
			walkNodes(c, func(n *qbxml.Node) {
				if slices.Contains(linkElements, n.Name) && len(n.Children) == 0 {
					add(n.Text)
				}
			})
		}
	}
	if w.ID != "" {
		old, err := e.records.FindRecord(ctx, w.OrgID, w.CompanyID, d.name, w.ID)
		switch {
		case qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound:
		case err != nil:
			return nil, err
		case !old.Deleted:
			for rest := old.Data; ; {
				i := bytes.Index(rest, storedTxnKey)
				if i < 0 {
					break
				}
				rest = rest[i+len(storedTxnKey):]
				if end := bytes.IndexByte(rest, '"'); end >= 0 {
					add(string(rest[:end]))
				}
			}
			if rec == nil {
				payers, err := e.payersOf(ctx, w, old)
				if err != nil {
					return nil, err
				}
				for _, id := range payers {
					add(id)
				}
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var txnTypes []string
	for _, t := range e.types {
		if t.txn {
			txnTypes = append(txnTypes, t.name)
		}
	}
	held, err := e.records.TypesOf(ctx, w.OrgID, w.CompanyID, ids, txnTypes)
	if err != nil {
		return nil, err
	}
	byType := map[string][]string{}
	for _, id := range ids {
		if t, ok := held[id]; ok {
			byType[t] = append(byType[t], id)
		}
	}
	return e.queriesByID(byType, first), nil
}

// payingTypes are the transactions that apply to others (AppliedToTxn,
// RefundAppliedToTxn), naming the customer or vendor of what they apply
// to.
var payingTypes = []string{"receivePayments", "billPaymentChecks", "billPaymentCreditCards", "arRefundCreditCards"}

// payersOf returns the IDs of the stored payments (and refunds) of old's
// customer or vendor that apply to old: deleting or voiding it leaves
// them their money as unused payment or credit, so their records change.
func (e *Engine) payersOf(ctx context.Context, w qbconnect.WriteRequest, old *qbconnect.Record) ([]string, error) {
	if old.RefID == "" {
		return nil, nil
	}
	key := append(append(slices.Clone(storedTxnKey), old.ID...), '"')
	var out []string
	for _, typ := range payingTypes {
		if e.byName[typ] == nil {
			continue
		}
		for cursor := ""; ; {
			list, next, err := e.records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: w.OrgID, CompanyID: w.CompanyID, Type: typ,
				RefID: old.RefID, Limit: 1000, Cursor: cursor})
			if err != nil {
				return nil, err
			}
			for _, r := range list {
				if bytes.Contains(r.Data, key) {
					out = append(out, r.ID)
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
	}
	return out, nil
}
