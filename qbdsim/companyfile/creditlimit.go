package companyfile

import (
	"context"
	"errors"
)

// creditLimited lists the transactions QuickBooks refuses when they take
// the balance of the name on them over its CreditLimit: an invoice
// (QuickBooks' answer to an SDK InvoiceAdd, quoted by ayssoftware.com's
// "Resolving QuickBooks export errors"); a statement charge and a bill,
// which raise a customer's or vendor's balance as an invoice does, by
// the same rule (unverified). A sales receipt is paid at once and moves
// no balance; estimates, sales orders and purchase orders move none
// either, so they are never refused.
var creditLimited = map[string]bool{"Invoice": true, "Charge": true, "Bill": true}

// checkCreditLimit refuses o (status 3180) when it raised the balance of
// its customer or vendor and that balance, or the TotalBalance of a
// customer whose job it is, now exceeds the CreditLimit. old is the
// previous version for a Mod: a Mod that does not raise what the
// transaction adds to the balance is never refused, even over the limit
// (unverified). A job's balance counts toward its parent's limit, as the
// parent's TotalBalance holds it (unverified). No CreditLimit, or one of
// zero, is no limit (unverified for zero: /n software's QuickBooks
// Integrator documents 0 as "no credit limit"). The balances read are
// the ones applyEffects has just refreshed.
func (f *File) checkCreditLimit(ctx context.Context, q querier, t *objType, o, old *object) error {
	if !creditLimited[t.Name] || o.entityID == "" {
		return nil
	}
	before := int64(0)
	if old != nil && old.entityID == o.entityID {
		before = old.effect
	}
	if o.effect <= before {
		return nil
	}
	for id := o.entityID; id != ""; {
		e, ret, err := getRetByID(ctx, q, id)
		if errors.Is(err, errNoObject) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.typ != "Customer" && e.typ != "Vendor" {
			return nil
		}
		if v := textAt(ret, "CreditLimit"); v != "" {
			limit, err := parseCents(v)
			if err == nil && limit > 0 {
				bal := textAt(ret, "TotalBalance")
				if e.typ == "Vendor" {
					bal = textAt(ret, "Balance")
				}
				if mustCents(bal) > limit {
					return qbErr(stSaveError, "There was an error when saving a %s. QuickBooks error message: The credit limit for the name on this transaction has been exceeded.", t.Name)
				}
			}
		}
		id = e.parentID
	}
	return nil
}
