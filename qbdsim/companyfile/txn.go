package companyfile

import (
	"context"
	"errors"
	"math"
	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// setIf sets a computed element when the type's Ret has it.
func setIf(ret *qbxml.Node, model *qbxml.ElementType, name, text string) {
	if _, ok := lookupChild(model, name); ok {
		setOrdered(ret, model, name, text)
	}
}

// completeType computes what QuickBooks computes for each type: defaults,
// line amounts, totals, balances, and the indexed columns of o.
func (f *File) completeType(ctx context.Context, q querier, t *objType, model *qbxml.ElementType, ret, src *qbxml.Node, o *object, old *object) error {
	if old == nil && t.Kind == kindTxn {
		// Only an Add links to orders, as in QuickBooks.
		if err := f.linkOrders(ctx, q, t, ret, src, o.id); err != nil {
			return err
		}
	}
	if t.Kind == kindTxn {
		if err := f.completeGroupLines(ctx, q, t, ret, src, old); err != nil {
			return err
		}
		if err := f.fillItemPrices(ctx, q, t, ret, src); err != nil {
			return err
		}
	}
	if err := f.fillRet(ctx, q, t, model, ret); err != nil {
		return err
	}
	if t.Kind == kindList {
		switch t.Name {
		case "PriceLevel":
			return f.completePriceLevel(ctx, q, model, ret, src, old)
		case "Customer", "Vendor", "Account":
			opening := int64(0)
			if old != nil {
				opening = old.effect
			} else if v := textAt(src, "OpenBalance"); v != "" {
				c, err := parseCents(v)
				if err != nil {
					return qbErr(stInvalidValue, "The \"OpenBalance\" field has an invalid value %q.", v)
				}
				opening = c
			}
			o.effect = opening
			bal, total := opening, opening
			if old != nil && t.Name != "Account" {
				var err error
				if bal, err = entityBalance(ctx, q, old.id, opening); err != nil {
					return err
				}
				total = bal
				if t.Name == "Customer" {
					jobs, err := jobsBalance(ctx, q, old.id)
					if err != nil {
						return err
					}
					total += jobs
				}
			}
			setIf(ret, model, "Balance", formatCents(bal))
			setIf(ret, model, "TotalBalance", formatCents(total))
			if t.Name == "Customer" {
				setIf(ret, model, "JobStatus", orDefault(textAt(ret, "JobStatus"), "None"))
			}
		}
		return nil
	}

	// Transactions.
	if textAt(ret, "TxnDate") == "" {
		setIf(ret, model, "TxnDate", qbDate(f.opt.Now()))
	}
	o.txnDate = textAt(ret, "TxnDate")
	if t.Name == "VehicleMileage" {
		// A trip has no transaction date: it is dated by its end.
		o.txnDate = orDefault(textAt(ret, "TripEndDate"), orDefault(textAt(ret, "TripStartDate"), qbDate(f.opt.Now())))
	}
	if err := f.checkClosingDate(ctx, q, t, o.txnDate, false); err != nil {
		return err
	}
	if t.AutoRef && textAt(ret, "RefNumber") == "" {
		n, err := f.nextRefNumber(ctx, q, t.Name)
		if err != nil {
			return err
		}
		setIf(ret, model, "RefNumber", n)
	}
	o.refNumber = textAt(ret, "RefNumber")
	for _, acct := range []struct{ name, meta string }{{"ARAccountRef", "account.ar"}, {"APAccountRef", "account.ap"}} {
		if _, ok := lookupChild(model, acct.name); ok && kid(ret, acct.name) == nil {
			if ref, err := f.defaultAccountRef(ctx, q, acct.name, acct.meta); err == nil {
				insertOrdered(ret, model, ref)
			}
		}
	}
	if t.Entity != "" {
		o.entityID = textAt(ret, t.Entity+"/ListID")
	}
	if t.Account != "" {
		o.accountID = textAt(ret, t.Account+"/ListID")
	}
	if textAt(ret, "DueDate") == "" && kid(ret, "TermsRef") != nil {
		if _, ok := lookupChild(model, "DueDate"); ok {
			if due, err := f.dueDate(ctx, q, textAt(ret, "TermsRef/ListID"), o.txnDate); err == nil && due != "" {
				setOrdered(ret, model, "DueDate", due)
			}
		}
	}

	kinds, err := lineItemTypes(ctx, q, ret)
	if err != nil {
		return err
	}
	sum := computeLines(ret, kinds)
	switch t.Name {
	case "Invoice", "CreditMemo", "SalesReceipt", "Estimate", "SalesOrder":
		if err := f.fillSalesTaxRefs(ctx, q, model, ret); err != nil {
			return err
		}
		st, err := f.salesTaxOf(ctx, q, ret, kinds)
		if err != nil {
			return err
		}
		tax := st.total
		total := sum + tax
		setIf(ret, model, "Subtotal", formatCents(sum))
		setIf(ret, model, "SalesTaxPercentage", formatRate(st.rate))
		setIf(ret, model, "SalesTaxTotal", formatCents(tax))
		setIf(ret, model, "TotalAmount", formatCents(total))
		switch t.Name {
		case "Invoice":
			if err := refuseNameChangeIfPaid(ctx, q, t, old, o); err != nil {
				return err
			}
			paid := int64(0)
			if old != nil {
				paid = -mustCents(textAt(ret, "AppliedAmount"))
			}
			if paid > total {
				return qbErr(stInvalidValue, "The invoice total %s is less than the %s already paid.", formatCents(total), formatCents(paid))
			}
			credited, err := f.applyInvoiceCredits(ctx, q, t, src, o, old, total-paid)
			if err != nil {
				return err
			}
			paid += credited
			setIf(ret, model, "AppliedAmount", formatCents(-paid))
			setIf(ret, model, "BalanceRemaining", formatCents(total-paid))
			setIf(ret, model, "IsPaid", boolText(total-paid == 0))
			setIf(ret, model, "IsPending", orDefault(textAt(ret, "IsPending"), "false"))
			o.effect = total - paid
		case "CreditMemo":
			used, err := f.creditKept(ctx, q, t, old, o)
			if err != nil {
				return err
			}
			if used > total {
				return qbErr(stInvalidValue, "The credit memo total %s is less than the %s of it already used.", formatCents(total), formatCents(used))
			}
			setIf(ret, model, "CreditRemaining", formatCents(total-used))
			o.effect = -(total - used)
		case "SalesOrder":
			if err := completeOrder(ctx, q, t.Name, model, ret, o.id); err != nil {
				return err
			}
		}
	case "Bill":
		if err := checkPurchaseLinks(ctx, q, t, src); err != nil {
			return err
		}
		if err := refuseNameChangeIfPaid(ctx, q, t, old, o); err != nil {
			return err
		}
		paid := int64(0)
		if old != nil {
			paid = mustCents(textAt(ret, "AmountDue")) - mustCents(textAt(ret, "OpenAmount"))
		}
		if paid > sum {
			return qbErr(stInvalidValue, "The bill total %s is less than the %s already paid.", formatCents(sum), formatCents(paid))
		}
		setIf(ret, model, "AmountDue", formatCents(sum))
		setIf(ret, model, "OpenAmount", formatCents(sum-paid))
		setIf(ret, model, "IsPaid", boolText(sum-paid == 0))
		o.effect = sum - paid
	case "VendorCredit":
		used, err := f.creditKept(ctx, q, t, old, o)
		if err != nil {
			return err
		}
		if used > sum {
			return qbErr(stInvalidValue, "The vendor credit total %s is less than the %s of it already used.", formatCents(sum), formatCents(used))
		}
		setIf(ret, model, "CreditAmount", formatCents(sum))
		setIf(ret, model, "OpenAmount", formatCents(sum-used))
		o.effect = -(sum - used)
	case "ItemReceipt":
		// Items received before their bill are owed to the vendor:
		// QuickBooks "increases your accounts payable by the amount shown
		// on the item receipt", and the vendor's balance with it (see
		// TestAnItemReceiptIsOwedToItsVendorUntilItsBill).
		if err := checkPurchaseLinks(ctx, q, t, src); err != nil {
			return err
		}
		setIf(ret, model, "TotalAmount", formatCents(sum))
		o.effect = sum
	case "PurchaseOrder":
		setIf(ret, model, "TotalAmount", formatCents(sum))
		if err := completeOrder(ctx, q, t.Name, model, ret, o.id); err != nil {
			return err
		}
	case "Check", "CreditCardCharge", "CreditCardCredit":
		setIf(ret, model, "Amount", formatCents(sum))
	case "Deposit":
		return f.completeDeposit(ctx, q, model, ret, src, o)
	case "Charge":
		// A statement charge is one line: its own quantity and rate.
		sum = lineAmount(ret)
		setIf(ret, model, "BalanceRemaining", formatCents(sum))
		setIf(ret, model, "IsPaid", boolText(sum == 0))
		o.effect = sum
	case "SalesTaxPaymentCheck":
		setIf(ret, model, "Amount", formatCents(sum))
	case "ARRefundCreditCard":
		return f.completeRefund(ctx, q, model, ret, o, old)
	case "TransferInventory":
		// The line's QuantityToTransfer is its Ret's QuantityTransferred.
		var srcLines []*qbxml.Node
		for _, s := range src.Children {
			if retFor(s.Name, "TransferInventoryLineRet") {
				srcLines = append(srcLines, s)
			}
		}
		lm, _ := contentModel("TransferInventoryLineRet")
		for i, l := range kids(ret, "TransferInventoryLineRet") {
			if i < len(srcLines) && textAt(srcLines[i], "QuantityToTransfer") != "" {
				setOrdered(l, lm, "QuantityTransferred", textAt(srcLines[i], "QuantityToTransfer"))
			}
		}
	case "BuildAssembly":
		return f.completeBuild(ctx, q, model, ret)
	case "InventoryAdjustment":
		return f.completeAdjustment(ctx, q, ret, src, old)
	case "JournalEntry":
		var debit, credit int64
		for _, l := range kids(ret, "JournalDebitLine") {
			debit += mustCents(textAt(l, "Amount"))
		}
		for _, l := range kids(ret, "JournalCreditLine") {
			credit += mustCents(textAt(l, "Amount"))
		}
		if debit != credit {
			return qbErr(stSaveError, "There was an error when saving a JournalEntry. QuickBooks error message: The transaction is not in balance. Debits %s, credits %s.", formatCents(debit), formatCents(credit))
		}
	case "ReceivePayment", "BillPaymentCheck", "BillPaymentCreditCard":
		return f.completePayment(ctx, q, t, model, ret, src, o, old)
	}
	return nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func mustCents(v string) int64 {
	c, _ := parseCents(v)
	return c
}

// computeLines fills each line's Amount (Quantity × Rate or Cost when not
// given), each group line's TotalAmount, and returns the sum of all lines.
// kinds holds the type of each line's item (lineItemTypes): a subtotal
// line's Amount is the sum of the lines above it since the last subtotal,
// and is not counted again; a line priced as a percentage (RatePercent)
// is that percentage of the nearest line above it that is not, a
// subtotal line included. ItemDiscountAdd: "a discount only acts on the
// line that is directly above it"; a subtotal item "calculates the sum of
// all items above it on a sales form, up to the previous subtotal" (see
// prices_test.go for the sources).
func computeLines(ret *qbxml.Node, kinds map[string]string) int64 {
	var sum, run, base int64 // run: since the last subtotal; base: what a percentage applies to
	for _, l := range ret.Children {
		cat, ok := lineCategory(l.Name)
		if !ok || l.Name == "JournalDebitLine" || l.Name == "JournalCreditLine" || cat == "" {
			continue
		}
		model, _ := lineModel(l.Name)
		var amt int64
		switch {
		case isGroupLine(l.Name):
			amt = computeLines(l, kinds)
			setIf(l, model, "TotalAmount", formatCents(amt))
		case kinds[textAt(l, "ItemRef/ListID")] == "ItemSubtotal":
			setIf(l, model, "Amount", formatCents(run))
			base, run = run, 0
			continue
		case hasKid(l, "RatePercent"):
			amt = int64(math.Round(float64(base) * parseDecimal(textAt(l, "RatePercent")) / 100))
			setIf(l, model, "Amount", formatCents(amt))
			sum += amt
			run += amt
			continue
		default:
			amt = lineAmount(l)
		}
		base = amt
		sum += amt
		run += amt
	}
	return sum
}

// lineItemTypes returns the object type of the item of each line of ret,
// inside group lines too, by the item's ListID.
func lineItemTypes(ctx context.Context, q querier, ret *qbxml.Node) (map[string]string, error) {
	kinds := map[string]string{}
	var walk func(e *qbxml.Node) error
	walk = func(e *qbxml.Node) error {
		for _, l := range e.Children {
			if _, ok := lineCategory(l.Name); !ok {
				continue
			}
			if isGroupLine(l.Name) {
				if err := walk(l); err != nil {
					return err
				}
				continue
			}
			id := textAt(l, "ItemRef/ListID")
			if _, seen := kinds[id]; seen || id == "" {
				continue
			}
			o, err := getObjectByID(ctx, q, id)
			if errors.Is(err, errNoObject) {
				kinds[id] = ""
				continue
			}
			if err != nil {
				return err
			}
			kinds[id] = o.typ
		}
		return nil
	}
	return kinds, walk(ret)
}

func lineModel(name string) (*qbxml.ElementType, bool) {
	// Line Rets are global elements in qbXML (InvoiceLineRet, ItemLineRet...).
	return contentModel(name)
}

// lineAmount returns a line's Amount, or works it out as its Quantity (one
// when none) times its Rate or Cost and sets it. A line with a Quantity
// and an Amount but no price gets the price they imply, Amount over
// Quantity to five decimal places, so that a Mod of its Quantity keeps
// it: "If Amount and Quantity are specified, then Rate will be calculated
// automatically" (/n software QuickBooks Integrator, StatementCharge.Rate,
// cdn.nsoftware.com/help/BBF/php/StatementCharge_p_Rate.htm); QuickBooks
// "calculates and then rounds the unit price to 5 decimal places" (Reckon,
// KBA 1787 "Rounding in QuickBooks 2004", help.reckon.com).
func lineAmount(l *qbxml.Node) int64 {
	if a := kid(l, "Amount"); a != nil && a.Text != "" {
		amt := mustCents(a.Text)
		if qty := parseDecimal(textAt(l, "Quantity")); qty != 0 && !hasKid(l, "Rate") && !hasKid(l, "Cost") && !hasKid(l, "RatePercent") {
			if model, ok := lineModel(l.Name); ok {
				rate := "Rate"
				if _, ok := lookupChild(model, "Cost"); ok {
					rate = "Cost"
				}
				setIf(l, model, rate, strconv.FormatFloat(math.Round(float64(amt)/qty*1000)/1e5, 'f', -1, 64))
			}
		}
		return amt
	}
	qty := textAt(l, "Quantity")
	rate := textAt(l, "Rate")
	if rate == "" {
		rate = textAt(l, "Cost")
	}
	if qty == "" && rate == "" {
		return 0
	}
	q := 1.0
	if qty != "" {
		q = parseDecimal(qty)
	}
	amt := int64(math.Round(q * parseDecimal(rate) * 100))
	if model, ok := lineModel(l.Name); ok {
		setIf(l, model, "Amount", formatCents(amt))
	}
	return amt
}

// taxableLines returns the taxable amount and the amount of the lines of
// e (a transaction or a group line): the amount of each line taxed reports
// is taxable, but for discounts (kinds as for computeLines). A taxable
// discount lowers the taxable amount only by its share of what it
// discounts: a percentage discount the line above it (a subtotal: the
// lines it sums), an amount discount every line above it, each in
// proportion to the taxable part of what it discounts. Intuit's
// ItemDiscountAdd: "A percentage discount only applies to the line right
// above it, so all of the tax implications for discounts apply ONLY to
// that line"; "A flat rate discount applies to EVERY line that is
// recorded above the discount" (see prices_test.go). A discount whose
// code is not taxable lowers no taxable amount.
func taxableLines(e *qbxml.Node, kinds map[string]string, taxed func(l *qbxml.Node) bool) (taxable, amount int64) {
	var runTax, runAmt, baseTax, baseAmt int64
	share := func(amt, tax, of int64) int64 {
		if of == 0 {
			return 0
		}
		return int64(math.Round(float64(amt) * float64(tax) / float64(of)))
	}
	for _, l := range e.Children {
		if _, ok := lineCategory(l.Name); !ok || l.Name == "JournalDebitLine" || l.Name == "JournalCreditLine" {
			continue
		}
		var tax, amt int64
		kind := kinds[textAt(l, "ItemRef/ListID")]
		isTaxed := taxed(l)
		switch {
		case isGroupLine(l.Name):
			tax, amt = taxableLines(l, kinds, taxed)
		case kind == "ItemSubtotal":
			baseTax, baseAmt, runTax, runAmt = runTax, runAmt, 0, 0
			continue
		case kind == "ItemDiscount":
			amt = mustCents(textAt(l, "Amount"))
			if isTaxed && hasKid(l, "RatePercent") {
				tax = share(amt, baseTax, baseAmt)
			} else if isTaxed {
				tax = share(amt, taxable, amount)
			}
		default:
			amt = mustCents(textAt(l, "Amount"))
			if isTaxed {
				tax = amt
			}
		}
		if !hasKid(l, "RatePercent") {
			baseTax, baseAmt = tax, amt
		}
		taxable += tax
		amount += amt
		runTax += tax
		runAmt += amt
	}
	return taxable, amount
}

func (f *File) nextRefNumber(ctx context.Context, q querier, typ string) (string, error) {
	key := "ref." + typ
	v, err := getMetaTx(ctx, q, key)
	if err != nil {
		return "", err
	}
	n, _ := strconv.Atoi(v)
	n++
	if err := putMetaTx(ctx, q, key, strconv.Itoa(n)); err != nil {
		return "", err
	}
	return strconv.Itoa(n), nil
}

func (f *File) defaultAccountRef(ctx context.Context, q querier, refName, metaKey string) (*qbxml.Node, error) {
	id, err := getMetaTx(ctx, q, metaKey)
	if err != nil || id == "" {
		return nil, errNoObject
	}
	o, err := getObjectByID(ctx, q, id)
	if err != nil {
		return nil, err
	}
	return &qbxml.Node{Name: refName, Children: []*qbxml.Node{qbxml.NewText("ListID", o.id), qbxml.NewText("FullName", o.name)}}, nil
}

// dueDate applies standard terms (StdDueDays) to a transaction date.
func (f *File) dueDate(ctx context.Context, q querier, termsID, txnDate string) (string, error) {
	o, err := getObjectByID(ctx, q, termsID)
	if err != nil {
		return "", err
	}
	terms, err := parseNode(o.ret)
	if err != nil {
		return "", err
	}
	d, err := parseQBDate(txnDate)
	if err != nil {
		return "", err
	}
	if days := textAt(terms, "StdDueDays"); days != "" {
		n, _ := strconv.Atoi(days)
		return qbDate(d.AddDate(0, 0, n)), nil
	}
	if day := textAt(terms, "DayOfMonthDue"); day != "" {
		n, _ := strconv.Atoi(day)
		due := d.AddDate(0, 1, 0)
		return qbDate(due.AddDate(0, 0, n-due.Day())), nil
	}
	return "", nil
}

// completePayment fills the applied-to lines of a customer or bill payment
// from the transactions they pay, the credits they apply (credit.go) and
// the discounts they give (discount.go), and checks the amounts. old is
// the payment before a Mod (nil for an Add): what a refund paid back of
// it stays used (refund.go).
func (f *File) completePayment(ctx context.Context, q querier, t *objType, model *qbxml.ElementType, ret, src *qbxml.Node, o, old *object) error {
	if t.Name == "ReceivePayment" && src.Name == "ReceivePaymentAdd" && textAt(src, "IsAutoApply") == "true" {
		// QuickBooks chooses the invoices (autoapply.go).
		if err := f.autoApply(ctx, q, model, ret, o); err != nil {
			return err
		}
	}
	applied := kids(ret, "AppliedToTxnRet")
	var srcApplied []*qbxml.Node
	for _, s := range src.Children {
		if retFor(s.Name, "AppliedToTxnRet") {
			srcApplied = append(srcApplied, s)
		}
	}
	var sum int64
	seen := map[string]bool{}
	lineModel, _ := contentModel("AppliedToTxnRet")
	for i, a := range applied {
		id := textAt(a, "TxnID")
		if seen[id] {
			return qbErr(stInvalidValue, "The transaction %q is applied to more than once in this %s.", id, t.Name)
		}
		seen[id] = true
		amt := mustCents(textAt(a, "Amount"))
		if i < len(srcApplied) {
			if v := textAt(srcApplied[i], "PaymentAmount"); v != "" {
				c, err := parseCents(v)
				if err != nil {
					return qbErr(stInvalidValue, "The \"PaymentAmount\" field has an invalid value %q.", v)
				}
				amt = c
			}
		}
		target, err := getObjectByID(ctx, q, id)
		wantType := "Invoice"
		if t.Name != "ReceivePayment" {
			wantType = "Bill"
		}
		// A customer's payment also pays a journal entry's debits to A/R
		// for that customer (journal.go).
		journal := err == nil && target.typ == "JournalEntry" && t.Name == "ReceivePayment"
		if errors.Is(err, errNoObject) && id != "" {
			// A payment applied to a transaction QuickBooks does not hold
			// (deleted there, say) is 3120, as for a Mod of one.
			return objectNotFound(id)
		}
		if errors.Is(err, errNoObject) || (err == nil && !journal && (target.typ != wantType || target.entityID != o.entityID)) {
			return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s.", wantType, id, t.Name)
		}
		if err != nil {
			return err
		}
		tr, err := parseNode(target.ret)
		if err != nil {
			return err
		}
		var journalBal int64
		if journal {
			open, debits, err := journalOpen(ctx, q, target, tr, o.entityID)
			if err != nil {
				return err
			}
			if !debits {
				return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s.", wantType, id, t.Name)
			}
			journalBal = open
		}
		var srcEntry *qbxml.Node
		if i < len(srcApplied) {
			srcEntry = srcApplied[i]
		}
		credits, err := appliedCredits(ctx, q, t, srcEntry, o.entityID)
		if err != nil {
			return err
		}
		if len(credits) > 0 && target.typ != wantType {
			return qbErr(stInvalidValue, "A credit can be applied to an invoice or a bill only, not to the %s %q.", target.typ, id)
		}
		discount, err := paymentDiscount(t, a, target, wantType)
		if err != nil {
			return err
		}
		a.Children = nil
		a.Children = append(a.Children, qbxml.NewText("TxnID", target.id), qbxml.NewText("TxnType", target.typ), qbxml.NewText("TxnDate", target.txnDate))
		if target.refNumber != "" {
			a.Children = append(a.Children, qbxml.NewText("RefNumber", target.refNumber))
		}
		bal := mustCents(textAt(tr, "BalanceRemaining"))
		switch target.typ {
		case "Bill":
			bal = mustCents(textAt(tr, "OpenAmount"))
		case "JournalEntry":
			bal = journalBal
		}
		setOrdered(a, lineModel, "BalanceRemaining", formatCents(bal))
		setOrdered(a, lineModel, "Amount", formatCents(amt))
		a.Children = append(a.Children, discount...)
		a.Children = append(a.Children, credits...)
		sum += amt
	}
	switch t.Name {
	case "ReceivePayment":
		total := mustCents(textAt(ret, "TotalAmount"))
		if kid(ret, "TotalAmount") == nil {
			total = sum
			setOrdered(ret, model, "TotalAmount", formatCents(total))
		}
		if sum > total {
			return qbErr(stInvalidValue, "The \"AppliedToTxnAdd payment amount\" field has an invalid value %q. QuickBooks error message: You cannot apply more than the payment amount.", formatCents(sum))
		}
		refunded, err := paymentRefunded(old)
		if err != nil {
			return err
		}
		if refunded > 0 && old.entityID != o.entityID {
			return qbErr(stCannotModify, "There was an error when modifying a ReceivePayment. The ReceivePayment %q cannot change its CustomerRef: %s of it is refunded.", old.refNumber, formatCents(refunded))
		}
		if sum+refunded > total {
			return qbErr(stInvalidValue, "The payment total %s is less than the %s applied and the %s of it already refunded.", formatCents(total), formatCents(sum), formatCents(refunded))
		}
		setIf(ret, model, "UnusedPayment", formatCents(total-sum-refunded))
		setIf(ret, model, "UnusedCredits", "0.00")
		o.effect = -(total - sum - refunded)
	default:
		setIf(ret, model, "Amount", formatCents(sum))
		o.effect = 0
	}
	return nil
}

// entityBalance is a customer's or vendor's opening balance plus the effect
// of its open transactions and of the journal entry lines that name it.
func entityBalance(ctx context.Context, q querier, id string, opening int64) (int64, error) {
	var sum int64
	err := q.QueryRowContext(ctx, `SELECT (SELECT COALESCE(SUM(effect), 0) FROM objects WHERE entity_id = ?)
		+ (SELECT COALESCE(SUM(effect), 0) FROM journal_lines WHERE entity_id = ?)`, id, id).Scan(&sum)
	return opening + sum, err
}

// jobsBalance is the sum of the balances of a customer's jobs and their
// jobs: what its TotalBalance adds to its Balance.
func jobsBalance(ctx context.Context, q querier, id string) (int64, error) {
	var sum int64
	err := q.QueryRowContext(ctx, `WITH RECURSIVE sub(id) AS (SELECT id FROM objects WHERE parent_id = ? UNION ALL SELECT o.id FROM objects o JOIN sub ON o.parent_id = sub.id)
		SELECT (SELECT COALESCE(SUM(x.effect), 0) FROM objects x WHERE x.entity_id IN (SELECT id FROM sub) OR x.id IN (SELECT id FROM sub))
			+ (SELECT COALESCE(SUM(e.effect), 0) FROM journal_lines e WHERE e.entity_id IN (SELECT id FROM sub))`, id).Scan(&sum)
	return sum, err
}

// applyEffects updates other objects after o was written: the invoices,
// bills and journal entries a payment pays, the inventory its item lines
// move, and the balances of the customers and vendors involved. A
// modified payment a deposit holds keeps its amount, account and customer
// (refuseIfDeposited); a sale or bill keeps its name within its credit
// limit (checkCreditLimit).
func (f *File) applyEffects(ctx context.Context, q querier, t *objType, o *object, ret *qbxml.Node, old *object) error {
	if t.Kind != kindTxn {
		return nil
	}
	if old != nil {
		if err := f.refuseIfDeposited(ctx, q, t, old, ret); err != nil {
			return err
		}
	}
	if err := f.moveItemLines(ctx, q, t.Name, ret, 1); err != nil {
		return err
	}
	if _, ok := linksToOrders[t.Name]; ok {
		if err := f.refreshOrders(ctx, q, o.id, ret); err != nil {
			return err
		}
	}
	switch t.Name {
	case "ReceivePayment", "BillPaymentCheck", "BillPaymentCreditCard":
		for _, a := range kids(ret, "AppliedToTxnRet") {
			if err := f.adjustPaid(ctx, q, textAt(a, "TxnID"), settled(a)); err != nil {
				return err
			}
		}
		if err := f.useCredits(ctx, q, ret, 1); err != nil {
			return err
		}
		if err := insertLinks(ctx, q, o, ret); err != nil {
			return err
		}
		for _, a := range kids(ret, "AppliedToTxnRet") {
			if textAt(a, "TxnType") != "JournalEntry" {
				continue
			}
			err := f.repostJournal(ctx, q, textAt(a, "TxnID"))
			if over := (*overpaidError)(nil); errors.As(err, &over) {
				return qbErr(stInvalidValue, "The \"AppliedToTxnAdd payment amount\" field has an invalid value %q. QuickBooks error message: You cannot pay more than the amount due.", textAt(a, "Amount"))
			}
			if err != nil {
				return err
			}
		}
	case "Deposit":
		if err := linkDeposit(ctx, q, o, ret); err != nil {
			return err
		}
	case "InventoryAdjustment":
		if err := f.moveInventory(ctx, q, ret, 1); err != nil {
			return err
		}
	case "ARRefundCreditCard":
		if err := f.moveCredits(ctx, q, ret, 1); err != nil {
			return err
		}
	case "BuildAssembly":
		if err := f.moveBuild(ctx, q, ret, 1); err != nil {
			return err
		}
	case "JournalEntry":
		// revertEffects forgot the old lines' effects; the balances of the
		// names on the old lines and on the new ones are refreshed once.
		moved, err := insertJournalEffects(ctx, q, o, ret)
		if over := (*overpaidError)(nil); errors.As(err, &over) {
			return qbErr(stInvalidValue, "The journal entry's debits to Accounts Receivable come to %s, less than the %s already paid on them.", formatCents(over.open), formatCents(over.paid))
		}
		if err != nil {
			return err
		}
		if old != nil {
			oldRet, err := parseNode(old.ret)
			if err != nil {
				return err
			}
			moved = append(journalEntities(oldRet), moved...)
		}
		return f.refreshBalances(ctx, q, moved)
	}
	if t.Side == "" {
		return nil
	}
	if err := f.refreshBalance(ctx, q, o.entityID); err != nil {
		return err
	}
	if old != nil && old.entityID != o.entityID {
		if err := f.refreshBalance(ctx, q, old.entityID); err != nil {
			return err
		}
	}
	return f.checkCreditLimit(ctx, q, t, o, old)
}

// revertEffects undoes what old did to other objects, before it is changed
// or removed (deleted or voided). A bill or journal entry with payments
// applied, or a payment a deposit holds, can be modified but not removed;
// a removed invoice leaves its payments their money (unapplyPayments).
func (f *File) revertEffects(ctx context.Context, q querier, t *objType, old *object, removing bool) error {
	if removing {
		if err := f.refuseIfDeposited(ctx, q, t, old, nil); err != nil {
			return err
		}
	}
	switch t.Name {
	case "ReceivePayment", "BillPaymentCheck", "BillPaymentCreditCard":
		if removing {
			if err := refuseIfRefunded(old); err != nil {
				return err
			}
		}
		ret, err := parseNode(old.ret)
		if err != nil {
			return err
		}
		for _, a := range kids(ret, "AppliedToTxnRet") {
			if err := f.adjustPaid(ctx, q, textAt(a, "TxnID"), -settled(a)); err != nil && !errors.Is(err, errNoObject) {
				return err
			}
		}
		if err := f.useCredits(ctx, q, ret, -1); err != nil {
			return err
		}
		for _, table := range []string{"links", "credit_links"} {
			if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE payer_id = ?`, old.id); err != nil {
				return err
			}
		}
		for _, a := range kids(ret, "AppliedToTxnRet") {
			if textAt(a, "TxnType") == "JournalEntry" {
				if err := f.repostJournal(ctx, q, textAt(a, "TxnID")); err != nil {
					return err
				}
			}
		}
	case "Deposit":
		if _, err := q.ExecContext(ctx, `DELETE FROM links WHERE payer_id = ?`, old.id); err != nil {
			return err
		}
	case "InventoryAdjustment", "ARRefundCreditCard", "BuildAssembly":
		ret, err := parseNode(old.ret)
		if err != nil {
			return err
		}
		move := f.moveInventory
		switch t.Name {
		case "ARRefundCreditCard":
			move = func(ctx context.Context, q querier, ret *qbxml.Node, sign float64) error {
				return f.moveCredits(ctx, q, ret, int64(sign))
			}
		case "BuildAssembly":
			move = f.moveBuild
		}
		if err := move(ctx, q, ret, -1); err != nil {
			return err
		}
	case "JournalEntry":
		if removing {
			if err := refuseIfPaid(ctx, q, t, old); err != nil {
				return err
			}
		}
		moved, err := deleteJournalEffects(ctx, q, old.id)
		if err != nil {
			return err
		}
		if removing {
			// A modified entry's balances are refreshed by applyEffects.
			return f.refreshBalances(ctx, q, moved)
		}
	case "Invoice", "Bill":
		if removing {
			// A paid invoice goes, and its payments keep their money
			// (unapplyPayments); a paid bill stays (unverified).
			var err error
			if t.Name == "Invoice" {
				err = f.unapplyPayments(ctx, q, old.id)
			} else {
				err = refuseIfPaid(ctx, q, t, old)
			}
			if err != nil {
				return err
			}
			if err := f.returnInvoiceCredits(ctx, q, old.id); err != nil {
				return err
			}
		}
	case "CreditMemo", "VendorCredit":
		if removing {
			if err := refuseIfApplied(ctx, q, t, old); err != nil {
				return err
			}
		}
	}
	if _, ok := linksToOrders[t.Name]; ok && removing {
		if err := f.refreshOrders(ctx, q, old.id, nil); err != nil {
			return err
		}
	}
	if m, ok := stockMoves[t.Name]; ok && m.done != "" && removing {
		// What received or invoiced a removed order no longer links to it.
		if _, err := q.ExecContext(ctx, `DELETE FROM order_links WHERE order_id = ?`, old.id); err != nil {
			return err
		}
	}
	if _, ok := stockMoves[t.Name]; ok {
		ret, err := parseNode(old.ret)
		if err != nil {
			return err
		}
		return f.moveItemLines(ctx, q, t.Name, ret, -1)
	}
	return nil
}

// refuseIfPaid refuses to delete or void a bill or journal entry that
// payments, or credits that payments apply, are applied to; a paid
// invoice leaves its payments their money instead (unapplyPayments).
func refuseIfPaid(ctx context.Context, q querier, t *objType, old *object) error {
	paid, err := hasPayments(ctx, q, old.id)
	if err != nil {
		return err
	}
	if paid {
		return qbErr(stCannotDelete, "The %s %q cannot be deleted or voided because payments or credits are applied to it.", t.Name, old.refNumber)
	}
	return nil
}

// adjustPaid adds delta to what has been paid on an invoice or bill, by
// payments, the credits they apply and the discounts they give: an
// invoice's AppliedAmount is all three.
func (f *File) adjustPaid(ctx context.Context, q querier, id string, delta int64) error {
	o, ret, err := getRetByID(ctx, q, id)
	if err != nil {
		return err
	}
	model, _ := contentModel(o.typ + "Ret")
	tm := f.opt.Now()
	switch o.typ {
	case "Invoice":
		total := mustCents(textAt(ret, "Subtotal")) + mustCents(textAt(ret, "SalesTaxTotal"))
		paid := -mustCents(textAt(ret, "AppliedAmount")) + delta
		if paid > total {
			return qbErr(stInvalidValue, "The \"AppliedToTxnAdd payment amount\" field has an invalid value %q. QuickBooks error message: You cannot pay more than the amount due.", formatCents(delta))
		}
		setOrdered(ret, model, "AppliedAmount", formatCents(-paid))
		setOrdered(ret, model, "BalanceRemaining", formatCents(total-paid))
		setOrdered(ret, model, "IsPaid", boolText(total == paid))
		o.effect = total - paid
	case "Bill":
		total := mustCents(textAt(ret, "AmountDue"))
		paid := total - mustCents(textAt(ret, "OpenAmount")) + delta
		if paid > total {
			return qbErr(stInvalidValue, "The \"AppliedToTxnAdd payment amount\" field has an invalid value %q. QuickBooks error message: You cannot pay more than the amount due.", formatCents(delta))
		}
		setOrdered(ret, model, "OpenAmount", formatCents(total-paid))
		setOrdered(ret, model, "IsPaid", boolText(total == paid))
		o.effect = total - paid
	default:
		return nil
	}
	o.touch(ret, model, tm)
	o.ret = marshalNode(ret)
	if err := updateObject(ctx, q, o); err != nil {
		return err
	}
	return nil
}

// refreshBalance recomputes a customer's or vendor's Balance and
// TotalBalance (and its parents' TotalBalance) from its transactions.
func (f *File) refreshBalance(ctx context.Context, q querier, entityID string) error {
	for entityID != "" {
		o, err := getObjectByID(ctx, q, entityID)
		if errors.Is(err, errNoObject) {
			return nil
		}
		if err != nil {
			return err
		}
		if o.typ != "Customer" && o.typ != "Vendor" {
			return nil
		}
		bal, err := entityBalance(ctx, q, o.id, o.effect)
		if err != nil {
			return err
		}
		total := bal
		if o.typ == "Customer" {
			jobs, err := jobsBalance(ctx, q, o.id)
			if err != nil {
				return err
			}
			total += jobs
		}
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		model, _ := contentModel(o.typ + "Ret")
		moved := textAt(ret, "Balance") != formatCents(bal) || o.typ == "Customer" && textAt(ret, "TotalBalance") != formatCents(total)
		setIf(ret, model, "Balance", formatCents(bal))
		setIf(ret, model, "TotalBalance", formatCents(total))
		if moved && f.opt.BalanceMarksModified {
			o.touch(ret, model, f.opt.Now())
		}
		o.ret = marshalNode(ret)
		if err := updateObject(ctx, q, o); err != nil {
			return err
		}
		entityID = o.parentID
	}
	return nil
}
