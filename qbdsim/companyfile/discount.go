package companyfile

import (
	"github.com/qbconnect/qbconnect/qbxml"
)

// A payment can give a discount as well as money and credits: an
// AppliedToTxnAdd or AppliedToTxnMod's DiscountAmount (with its
// DiscountAccountRef, and DiscountClassRef) lowers what is open on the
// invoice (ReceivePayment: a discount the company gives for early
// payment) or the bill (BillPaymentCheck, BillPaymentCreditCard: one its
// vendor gives) without any money, and so lowers the customer's or
// vendor's balance, as a payment does. Unlike a credit, which posted when
// it was entered, a discount posts with the payment that gives it: a
// customer discount debits the discount account and credits A/R, a vendor
// discount debits A/P and credits the discount account (report_ledger.go).
// The payment's AppliedToTxnRet reports the discount as it was given; the
// invoice's AppliedAmount counts it with the payments and credits, and
// the payment's LinkedTxn on the invoice or bill is for the money and the
// discount it applied. Modifying, deleting or voiding the payment gives
// the discount back, as it gives back the money (txn.go).

// paymentDiscount returns the DiscountAmount, DiscountAccountRef and
// DiscountClassRef that an AppliedToTxnRet keeps of a, the entry built
// from an AppliedToTxnAdd or AppliedToTxnMod (its references resolved) or
// kept from the stored payment. A zero or absent discount keeps nothing.
// A discount needs its account (status 3180) and is given on an invoice
// or a bill only, not on a journal entry a customer payment pays (3210).
// The account may be of any type: QuickBooks' help asks for "the expense
// account you use to track discounts, for example Discount Expense"
// (in-product help, "Apply a discount for early customer payment",
// QB 2012-2018) or "the account you use to track discounts given to
// customers" (older help), and no source found says what it refuses.
func paymentDiscount(t *objType, a *qbxml.Node, target *object, wantType string) ([]*qbxml.Node, error) {
	v := textAt(a, "DiscountAmount")
	if v == "" {
		return nil, nil
	}
	amount, err := parseCents(v)
	if err != nil || amount < 0 {
		return nil, qbErr(stInvalidValue, "The \"DiscountAmount\" field has an invalid value %q.", v)
	}
	if amount == 0 {
		return nil, nil
	}
	if target.typ != wantType {
		return nil, qbErr(stInvalidValue, "A discount can be given on an invoice or a bill only, not on the %s %q.", target.typ, target.id)
	}
	account := kid(a, "DiscountAccountRef")
	if account == nil {
		return nil, qbErr(stSaveError, "There was an error when saving a %s. QuickBooks error message: A discount of %s needs the account it is posted to (DiscountAccountRef).", t.Name, formatCents(amount))
	}
	out := []*qbxml.Node{qbxml.NewText("DiscountAmount", formatCents(amount)), account}
	if class := kid(a, "DiscountClassRef"); class != nil {
		out = append(out, class)
	}
	return out, nil
}

// discountGiven is the discount an AppliedToTxnRet gives, in cents.
func discountGiven(a *qbxml.Node) int64 {
	return mustCents(textAt(a, "DiscountAmount"))
}

// settled is what an AppliedToTxnRet takes off the invoice or bill it is
// applied to: the payment's money, the credits it applies and the
// discount it gives.
func settled(a *qbxml.Node) int64 {
	return mustCents(textAt(a, "Amount")) + creditsApplied(a) + discountGiven(a)
}
