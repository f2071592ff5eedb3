package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// The requests below are not the Add/Mod/Query of one stored object type:
// they read across types (TransactionQuery, BillToPay, sales tax payable),
// compute (assemblies that can be built), act on QuickBooks' own lists
// (special accounts and items, list merges, cleared status), or drive
// QuickBooks' user interface (ListDisplay, TxnDisplay).

// special dispatches them; ok is false for any other request.
func (f *File) special(ctx context.Context, rq *request, rs *response) (bool, error) {
	switch rq.name {
	case "TransactionQueryRq":
		return true, f.transactionQuery(ctx, rq, rs)
	case "BillToPayQueryRq":
		return true, f.billToPayQuery(ctx, rq, rs)
	case "ReceivePaymentToDepositQueryRq":
		return true, f.receivePaymentToDepositQuery(ctx, rq, rs)
	case "ItemSitesQueryRq":
		return true, f.itemSitesQuery(ctx, rq, rs)
	case "ItemAssembliesCanBuildQueryRq":
		return true, f.canBuildQuery(ctx, rq, rs)
	case "PayrollLastPeriodQueryRq":
		// The simulator writes no paychecks: there is no last period.
		rs.st = noMatch()
		return true, nil
	case "SalesTaxPayableQueryRq":
		return true, f.salesTaxPayableQuery(ctx, rq, rs)
	case "SalesTaxReturnQueryRq":
		// Sales tax return forms are set up per state in QuickBooks; a
		// simulated company has none.
		rs.st = noMatch()
		return true, nil
	case "SalesTaxReturnLineQueryRq":
		for _, v := range kids(rq.el, "TaxAgencyVendorRef") {
			if _, err := f.lookupRef(ctx, f.db, "Entity", []string{"Vendor"}, textAt(v, "ListID"), textAt(v, "FullName")); err != nil {
				return true, refError(err, "Vendor", v, "SalesTaxReturnLineQuery")
			}
		}
		rs.st = noMatch()
		return true, nil
	case "AccountTaxLineInfoQueryRq":
		return true, f.taxLineQuery(rq, rs)
	case "BarCodeQueryRq":
		return true, f.barCodeQuery(ctx, rq, rs)
	case "CompanyActivityQueryRq":
		// The file was never restored nor condensed.
		f.writeRet(rs, &qbxml.Node{Name: "CompanyActivityRet"}, retOptions{include: includeElements(rq.el)})
		return true, nil
	case "DataEventRecoveryInfoQueryRq":
		// Event subscriptions are not simulated: no subscriber has
		// recovery information.
		rs.st = noMatch()
		return true, nil
	case "DataEventRecoveryInfoDelRq":
		return true, qbErr(stNotFound, "There is no data event recovery information for the subscriber %q.", textAt(rq.el, "SubscriberID"))
	case "Form1099CategoryAccountMappingQueryRq":
		return true, f.form1099Query(ctx, rs)
	case "Form1099CategoryAccountMappingModRq":
		return true, f.form1099Mod(ctx, rq, rs)
	case "ListDisplayAddRq", "TxnDisplayAddRq":
		// QuickBooks opens an empty form for the user; nothing changes.
		return true, nil
	case "ListDisplayModRq", "TxnDisplayModRq":
		idName := "ListID"
		if rq.name == "TxnDisplayModRq" {
			idName = "TxnID"
		}
		if _, err := getObjectByID(ctx, f.db, textAt(rq.el, idName)); err != nil {
			if errors.Is(err, errNoObject) {
				return true, unknownID(err, textAt(rq.el, idName), idName)
			}
			return true, err
		}
		return true, nil
	case "ListMergeRq":
		return true, f.listMerge(ctx, rq, rs)
	case "ClearedStatusModRq":
		return true, f.clearedStatusMod(ctx, rq)
	case "SpecialAccountAddRq":
		return true, f.specialAccountAdd(ctx, rq, rs)
	case "SpecialItemAddRq":
		return true, f.specialItemAdd(ctx, rq, rs)
	}
	return false, nil
}

func refError(err error, what string, ref *qbxml.Node, in string) error {
	if errors.Is(err, errNoObject) {
		return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s.", what, orDefault(textAt(ref, "ListID"), textAt(ref, "FullName")), in)
	}
	return err
}

// txnAmount is the amount TransactionQuery reports for a transaction.
func txnAmount(ret *qbxml.Node) string {
	if v := textAt(ret, "Subtotal"); v != "" && kid(ret, "TotalAmount") == nil {
		// An invoice: its lines and the tax on them.
		return formatCents(mustCents(v) + mustCents(textAt(ret, "SalesTaxTotal")))
	}
	for _, n := range []string{"TotalAmount", "Amount", "AmountDue", "CreditAmount", "DepositTotal"} {
		if v := textAt(ret, n); v != "" {
			return v
		}
	}
	var debit int64
	for _, l := range kids(ret, "JournalDebitLine") {
		debit += mustCents(textAt(l, "Amount"))
	}
	return formatCents(debit)
}

// transactionQuery answers TransactionQueryRq from every transaction type
// but time tracking (which, as Intuit documents, TransactionQuery never
// returns), one summary TransactionRet per transaction, by date.
func (f *File) transactionQuery(ctx context.Context, rq *request, rs *response) error {
	rs.countAttr = true
	el := rq.el
	var where []string
	var args []any
	in := func(col string, vals []string) {
		where = append(where, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	var types []string
	for i := range objTypes {
		if objTypes[i].Kind == kindTxn && objTypes[i].Name != "TimeTracking" {
			types = append(types, objTypes[i].Name)
		}
	}
	if tf := kid(el, "TransactionTypeFilter"); tf != nil {
		var want []string
		all := false
		for _, v := range kids(tf, "TxnTypeFilter") {
			all = all || v.Text == "All"
			want = append(want, v.Text)
		}
		if !all {
			types = want
		}
	}
	in("type", types)
	texts := func(name string) []string {
		var out []string
		for _, k := range kids(el, name) {
			out = append(out, k.Text)
		}
		return out
	}
	switch {
	case hasKid(el, "TxnID"):
		in("id", texts("TxnID"))
	case hasKid(el, "RefNumber"):
		vals := texts("RefNumber")
		for i := range vals {
			vals[i] = strings.ToUpper(vals[i])
		}
		in("UPPER(ref_number)", vals)
	case hasKid(el, "RefNumberCaseSensitive"):
		in("ref_number", texts("RefNumberCaseSensitive"))
	}
	if rf := kid(el, "RefNumberFilter"); rf != nil {
		where = append(where, "UPPER(ref_number) LIKE ? ESCAPE '\\'")
		args = append(args, likePattern(textAt(rf, "MatchCriterion"), strings.ToUpper(textAt(rf, "RefNumber"))))
	}
	if rr := kid(el, "RefNumberRangeFilter"); rr != nil {
		if v := textAt(rr, "FromRefNumber"); v != "" {
			where, args = append(where, "ref_number >= ?"), append(args, v)
		}
		if v := textAt(rr, "ToRefNumber"); v != "" {
			where, args = append(where, "ref_number <= ?"), append(args, v)
		}
	}
	loc := f.opt.Now().Location()
	if m := kid(el, "TransactionModifiedDateRangeFilter"); m != nil {
		from, to := textAt(m, "FromModifiedDate"), textAt(m, "ToModifiedDate")
		if mac := textAt(m, "DateMacro"); mac != "" {
			var err error
			if from, to, err = txnDateMacro(mac, f.opt.Now()); err != nil {
				return err
			}
		}
		var ft, tt int64
		if from != "" {
			t, err := parseQBDateTime(from, loc, false)
			if err != nil {
				return qbErr(stInvalidDate, "There was an error when converting the date value %q in the field \"FromModifiedDate\".", from)
			}
			ft = t.Unix()
			where, args = append(where, "modified >= ?"), append(args, ft)
		}
		if to != "" {
			t, err := parseQBDateTime(to, loc, true)
			if err != nil {
				return qbErr(stInvalidDate, "There was an error when converting the date value %q in the field \"ToModifiedDate\".", to)
			}
			tt = t.Unix()
			where, args = append(where, "modified <= ?"), append(args, tt)
		}
		if from != "" && to != "" && ft > tt {
			return dateRangeError()
		}
	}
	if d := kid(el, "TransactionDateRangeFilter"); d != nil {
		from, to := textAt(d, "FromTxnDate"), textAt(d, "ToTxnDate")
		if mac := textAt(d, "DateMacro"); mac != "" {
			var err error
			if from, to, err = txnDateMacro(mac, f.opt.Now()); err != nil {
				return err
			}
		}
		if from != "" && to != "" && from > to {
			return dateRangeError()
		}
		if from != "" {
			where, args = append(where, "txn_date >= ?"), append(args, from)
		}
		if to != "" {
			where, args = append(where, "txn_date <= ?"), append(args, to)
		}
	}
	for _, ef := range []struct{ filter, col, ns string }{{"TransactionEntityFilter", "entity_id", "Entity"}, {"TransactionAccountFilter", "account_id", "Account"}} {
		e := kid(el, ef.filter)
		if e == nil || (len(e.Children) == 1 && e.Children[0].Name == "EntityTypeFilter") {
			continue
		}
		ids, err := f.filterIDs(ctx, e, ef.ns)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			where = append(where, "0")
			continue
		}
		// A journal entry names its entities and accounts on its lines
		// (journal.go), and the query finds it by any of them.
		marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		where = append(where, "("+ef.col+" IN ("+marks+") OR id IN (SELECT txn_id FROM journal_lines WHERE "+ef.col+" IN ("+marks+")))")
		for range 2 {
			for _, id := range ids {
				args = append(args, id)
			}
		}
	}
	switch textAt(el, "TransactionPaidStatusFilter") {
	case "Open":
		where = append(where, "effect <> 0")
	case "Closed":
		where = append(where, "effect = 0")
	}
	q := `SELECT ` + objectCols + ` FROM objects WHERE ` + strings.Join(where, " AND ") + ` ORDER BY txn_date, seq`
	if v := textAt(el, "MaxReturned"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return qbErr(stInvalidValue, "The \"MaxReturned\" field has an invalid value %q.", v)
		}
		q += " LIMIT " + strconv.Itoa(n)
	}
	objs, err := f.queryObjects(ctx, f.db, q, args...)
	if err != nil {
		return err
	}
	opt := retOptions{include: includeElements(el)}
	for _, o := range objs {
		t := f.reg().byName[o.typ]
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		loc := f.opt.Now().Location()
		tr := qbxml.NewNode("TransactionRet", qbxml.NewText("TxnType", o.typ), qbxml.NewText("TxnID", o.id),
			qbxml.NewText("TimeCreated", textAt(ret, "TimeCreated")), qbxml.NewText("TimeModified", textAt(ret, "TimeModified")))
		if textAt(ret, "TimeCreated") == "" {
			tr.Children[2].Text = qbTime(timeUnix(o.created, loc))
			tr.Children[3].Text = qbTime(timeUnix(o.modified, loc))
		}
		if t.Entity != "" {
			if e := kid(ret, t.Entity); e != nil {
				tr.Add(renamed(e, "EntityRef"))
			}
		}
		if t.Account != "" {
			if a := kid(ret, t.Account); a != nil {
				tr.Add(renamed(a, "AccountRef"))
			}
		}
		if o.txnDate != "" {
			tr.Add(qbxml.NewText("TxnDate", o.txnDate))
		}
		if o.refNumber != "" {
			tr.Add(qbxml.NewText("RefNumber", o.refNumber))
		}
		tr.Add(qbxml.NewText("Amount", txnAmount(ret)))
		if m := textAt(ret, "Memo"); m != "" {
			tr.Add(qbxml.NewText("Memo", m))
		}
		f.writeRet(rs, tr, opt)
	}
	if rs.count == 0 {
		rs.st = noMatch()
	}
	return nil
}

// dateRangeError is QuickBooks' answer to a range whose start is after its
// end. Intuit's statusCode table (the OSR's QBD-errorcodes page; its rows
// past 1000 read in AmigoPOS's verbatim copy, "QBI Status Codes",
// amigopos.com/help7/html/qbi_status_codes.htm) gives it a code of its
// own: 3030, "Invalid date range", explained "Invalid date range: From
// date is greater than To date."; 3020 is a date that does not convert.
func dateRangeError() error {
	return qbErr(stInvalidRange, "Invalid date range: From date is greater than To date.")
}

func (f *File) queryObjects(ctx context.Context, q querier, sqlText string, args ...any) ([]*object, error) {
	rows, err := q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("companyfile: query: %w", err)
	}
	defer rows.Close()
	var objs []*object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, rows.Err()
}

// billToPayQuery lists the vendor's open bills (and the credits that can
// pay them), as the Pay Bills window does.
func (f *File) billToPayQuery(ctx context.Context, rq *request, rs *response) error {
	rs.countAttr = true
	payee := kid(rq.el, "PayeeEntityRef")
	v, err := f.lookupRef(ctx, f.db, "Entity", nil, textAt(payee, "ListID"), textAt(payee, "FullName"))
	if err != nil {
		return refError(err, "Entity", payee, "BillToPayQuery")
	}
	where, args := "entity_id = ? AND type IN ('Bill', 'VendorCredit') AND effect <> 0", []any{v.id}
	if ap := kid(rq.el, "APAccountRef"); ap != nil {
		a, err := f.lookupRef(ctx, f.db, "Account", nil, textAt(ap, "ListID"), textAt(ap, "FullName"))
		if err != nil {
			return refError(err, "Account", ap, "BillToPayQuery")
		}
		where, args = where+" AND account_id = ?", append(args, a.id)
	}
	objs, err := f.queryObjects(ctx, f.db, `SELECT `+objectCols+` FROM objects WHERE `+where+` ORDER BY txn_date, seq`, args...)
	if err != nil {
		return err
	}
	due := textAt(rq.el, "DueDate")
	opt := retOptions{include: includeElements(rq.el)}
	for _, o := range objs {
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		ap := kid(ret, "APAccountRef")
		if ap == nil {
			continue
		}
		var e *qbxml.Node
		if o.typ == "Bill" {
			if due != "" && textAt(ret, "DueDate") > due {
				continue
			}
			e = qbxml.NewNode("BillToPay", qbxml.NewText("TxnID", o.id), qbxml.NewText("TxnType", o.typ), ap, qbxml.NewText("TxnDate", o.txnDate))
			if o.refNumber != "" {
				e.Add(qbxml.NewText("RefNumber", o.refNumber))
			}
			if d := textAt(ret, "DueDate"); d != "" {
				e.Add(qbxml.NewText("DueDate", d))
			}
			e.Add(qbxml.NewText("AmountDue", formatCents(o.effect)))
		} else {
			e = qbxml.NewNode("CreditToApply", qbxml.NewText("TxnID", o.id), qbxml.NewText("TxnType", o.typ), ap, qbxml.NewText("TxnDate", o.txnDate))
			if o.refNumber != "" {
				e.Add(qbxml.NewText("RefNumber", o.refNumber))
			}
			e.Add(qbxml.NewText("CreditRemaining", formatCents(-o.effect)))
		}
		f.writeRet(rs, qbxml.NewNode("BillToPayRet", e), opt)
	}
	if rs.count == 0 {
		rs.st = noMatch()
	}
	return nil
}

// itemSitesQuery lists each inventory item at each site; its whole
// quantity on hand is at the default site (the first one created, unless
// one says it is the default).
func (f *File) itemSitesQuery(ctx context.Context, rq *request, rs *response) error {
	rs.countAttr = true
	sites, err := f.queryObjects(ctx, f.db, `SELECT `+objectCols+` FROM objects WHERE type = 'InventorySite' AND active = 1 ORDER BY seq`)
	if err != nil {
		return err
	}
	defaultSite := ""
	for i, s := range sites {
		if i == 0 || strings.Contains(string(s.ret), "<IsDefaultSite>true</IsDefaultSite>") {
			defaultSite = s.id
		}
	}
	items, err := f.queryObjects(ctx, f.db, `SELECT `+objectCols+` FROM objects WHERE type IN ('ItemInventory', 'ItemInventoryAssembly') ORDER BY name_key`)
	if err != nil {
		return err
	}
	max := 0
	if v := textAt(rq.el, "MaxReturned"); v != "" {
		max, _ = strconv.Atoi(v)
	}
	opt := retOptions{include: includeElements(rq.el)}
	for _, it := range items {
		ret, err := parseNode(it.ret)
		if err != nil {
			return err
		}
		for _, s := range sites {
			qty := "0"
			if s.id == defaultSite {
				qty = orDefault(textAt(ret, "QuantityOnHand"), "0")
			}
			ref := "ItemInventoryRef"
			if it.typ == "ItemInventoryAssembly" {
				ref = "ItemInventoryAssemblyRef"
			}
			f.writeRet(rs, qbxml.NewNode("ItemSitesRet", refTo(ref, it), refTo("InventorySiteRef", s), qbxml.NewText("QuantityOnHand", qty)), opt)
			if max > 0 && rs.count >= max {
				return nil
			}
		}
	}
	if rs.count == 0 {
		rs.st = noMatch()
	}
	return nil
}

func timeUnix(sec int64, loc *time.Location) time.Time { return time.Unix(sec, 0).In(loc) }

func refTo(name string, o *object) *qbxml.Node {
	return qbxml.NewNode(name, qbxml.NewText("ListID", o.id), qbxml.NewText("FullName", o.name))
}

// canBuild is how many of the assembly its components on hand allow.
func (f *File) canBuild(ctx context.Context, q querier, asm *qbxml.Node) (int64, error) {
	lines := kids(asm, "ItemInventoryAssemblyLine")
	if len(lines) == 0 {
		return 0, nil
	}
	n := int64(math.MaxInt64)
	for _, l := range lines {
		need := parseDecimal(textAt(l, "Quantity"))
		if need <= 0 {
			continue
		}
		c, err := getObjectByID(ctx, q, textAt(l, "ItemInventoryRef/ListID"))
		if errors.Is(err, errNoObject) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		cr, err := parseNode(c.ret)
		if err != nil {
			return 0, err
		}
		n = min(n, int64(math.Floor(parseDecimal(textAt(cr, "QuantityOnHand"))/need)))
	}
	if n == math.MaxInt64 || n < 0 {
		n = 0
	}
	return n, nil
}

func (f *File) assembly(ctx context.Context, q querier, ref *qbxml.Node, in string) (*object, *qbxml.Node, error) {
	o, err := f.lookupRef(ctx, q, "Item", []string{"ItemInventoryAssembly"}, textAt(ref, "ListID"), textAt(ref, "FullName"))
	if err != nil {
		return nil, nil, refError(err, "ItemInventoryAssembly", ref, in)
	}
	ret, err := parseNode(o.ret)
	return o, ret, err
}

func (f *File) canBuildQuery(ctx context.Context, rq *request, rs *response) error {
	ref := kid(rq.el, "ItemInventoryAssemblyRef")
	o, asm, err := f.assembly(ctx, f.db, ref, "ItemAssembliesCanBuildQuery")
	if err != nil {
		return err
	}
	n, err := f.canBuild(ctx, f.db, asm)
	if err != nil {
		return err
	}
	f.writeRet(rs, qbxml.NewNode("ItemAssembliesCanBuildRet", refTo("ItemInventoryAssemblyRef", o),
		qbxml.NewText("TxnDate", textAt(rq.el, "TxnDate")), qbxml.NewText("QuantityCanBuild", strconv.FormatInt(n, 10))), retOptions{})
	return nil
}

// completeBuild fills what a BuildAssembly reports about its assembly: how
// many can be built, on hand, on sales orders. A build of more than the
// components allow is pending, as QuickBooks marks it.
func (f *File) completeBuild(ctx context.Context, q querier, model *qbxml.ElementType, ret *qbxml.Node) error {
	_, asm, err := f.assembly(ctx, q, kid(ret, "ItemInventoryAssemblyRef"), "BuildAssembly")
	if err != nil {
		return err
	}
	n, err := f.canBuild(ctx, q, asm)
	if err != nil {
		return err
	}
	want := parseDecimal(textAt(ret, "QuantityToBuild"))
	setIf(ret, model, "IsPending", boolText(want > float64(n)))
	setIf(ret, model, "QuantityCanBuild", strconv.FormatInt(n, 10))
	setIf(ret, model, "QuantityOnHand", orDefault(textAt(asm, "QuantityOnHand"), "0"))
	setIf(ret, model, "QuantityOnSalesOrder", orDefault(textAt(asm, "QuantityOnSalesOrder"), "0"))
	return f.buildComponents(ctx, q, model, ret, asm, want)
}

// buildComponents lists on a build each component of the assembly
// (ComponentItemLineRet): the item, its description, how many are on
// hand and how many the build needs, as QuickBooks' Build Assemblies
// form shows them.
func (f *File) buildComponents(ctx context.Context, q querier, model *qbxml.ElementType, ret, asm *qbxml.Node, builds float64) error {
	removeKids(ret, "ComponentItemLineRet")
	lm, _ := contentModel("ComponentItemLineRet")
	for _, l := range kids(asm, "ItemInventoryAssemblyLine") {
		c, cr, err := getRetByID(ctx, q, textAt(l, "ItemInventoryRef/ListID"))
		if errors.Is(err, errNoObject) {
			continue
		}
		if err != nil {
			return err
		}
		line := qbxml.NewNode("ComponentItemLineRet", refTo("ItemRef", c))
		if desc := orDefault(textAt(cr, "SalesDesc"), textAt(cr, "PurchaseDesc")); desc != "" {
			setOrdered(line, lm, "Desc", desc)
		}
		if v := textAt(cr, "QuantityOnHand"); v != "" {
			setOrdered(line, lm, "QuantityOnHand", v)
		}
		setOrdered(line, lm, "QuantityNeeded", strconv.FormatFloat(builds*parseDecimal(textAt(l, "Quantity")), 'f', -1, 64))
		insertOrdered(ret, model, line)
	}
	return nil
}

// salesTaxPayableQuery owes each tax agency the tax charged on sales (less
// credit memos) up to AsOfDate, less what sales tax payment checks paid.
func (f *File) salesTaxPayableQuery(ctx context.Context, rq *request, rs *response) error {
	rs.countAttr = true
	asOf := textAt(rq.el, "AsOfDate")
	where := "type IN ('Invoice', 'SalesReceipt', 'CreditMemo', 'SalesTaxPaymentCheck')"
	var args []any
	if asOf != "" {
		where += " AND txn_date <= ?"
		args = append(args, asOf)
	}
	objs, err := f.queryObjects(ctx, f.db, `SELECT `+objectCols+` FROM objects WHERE `+where+` ORDER BY seq`, args...)
	if err != nil {
		return err
	}
	owed := map[string]int64{} // by sales tax item ListID
	var order []string
	add := func(id string, c int64) {
		if _, ok := owed[id]; !ok {
			order = append(order, id)
		}
		owed[id] += c
	}
	for _, o := range objs {
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		switch o.typ {
		case "SalesTaxPaymentCheck":
			for _, l := range kids(ret, "SalesTaxPaymentCheckLineRet") {
				add(textAt(l, "ItemSalesTaxRef/ListID"), -mustCents(textAt(l, "Amount")))
			}
		default:
			id := textAt(ret, "ItemSalesTaxRef/ListID")
			if id == "" {
				continue
			}
			tax := mustCents(textAt(ret, "SalesTaxTotal"))
			sign := int64(1)
			if o.typ == "CreditMemo" {
				sign = -1
			}
			shares, err := f.taxShares(ctx, f.db, ret, tax)
			if err != nil {
				return err
			}
			for _, s := range shares {
				add(s.item.id, sign*s.amount)
			}
		}
	}
	type agency struct {
		ref   *qbxml.Node
		total int64
		lines []*qbxml.Node
	}
	agencies := map[string]*agency{}
	var agencyOrder []string
	for _, id := range order {
		it, err := getObjectByID(ctx, f.db, id)
		if err != nil {
			continue
		}
		ir, err := parseNode(it.ret)
		if err != nil {
			return err
		}
		v := kid(ir, "TaxVendorRef")
		if v == nil {
			continue
		}
		vid := textAt(v, "ListID")
		a := agencies[vid]
		if a == nil {
			a = &agency{ref: renamed(v, "PayeeEntityRef")}
			agencies[vid] = a
			agencyOrder = append(agencyOrder, vid)
		}
		a.total += owed[id]
		a.lines = append(a.lines, qbxml.NewNode("SalesTaxPayableLineRet", refTo("ItemSalesTaxRef", it), qbxml.NewText("Amount", formatCents(owed[id]))))
	}
	opt := retOptions{include: includeElements(rq.el)}
	for _, vid := range agencyOrder {
		a := agencies[vid]
		ret := qbxml.NewNode("SalesTaxPayableRet", a.ref, qbxml.NewText("Amount", formatCents(a.total)))
		ret.Add(a.lines...)
		f.writeRet(rs, ret, opt)
	}
	if rs.count == 0 {
		rs.st = noMatch()
	}
	return nil
}

// taxLines are the tax lines of the company's tax form (Form 1120, as
// CompanyQuery reports) that accounts can be assigned to.
var taxLines = []struct {
	id   int
	name string
}{
	{0, "<Unassigned>"},
	{1, "Gross receipts or sales"},
	{2, "Returns and allowances"},
	{3, "Other income"},
	{4, "Compensation of officers"},
	{5, "Salaries and wages"},
	{6, "Repairs and maintenance"},
	{7, "Bad debts"},
	{8, "Rents"},
	{9, "Taxes and licenses"},
	{10, "Interest expense"},
	{11, "Advertising"},
	{12, "Other deductions"},
}

func (f *File) taxLineQuery(rq *request, rs *response) error {
	rs.countAttr = true
	for _, l := range taxLines {
		f.writeRet(rs, qbxml.NewNode("AccountTaxLineInfoRet", qbxml.NewText("TaxLineID", strconv.Itoa(l.id)), qbxml.NewText("TaxLineName", l.name)), retOptions{})
	}
	return nil
}

// barCodeQuery finds the items with these bar codes (kept from the
// BarCode of ItemXxxAdd and ItemXxxMod).
func (f *File) barCodeQuery(ctx context.Context, rq *request, rs *response) error {
	rs.countAttr = true
	var where string
	var args []any
	if vals := kids(rq.el, "BarCodeValue"); len(vals) > 0 {
		where = " WHERE b.value IN (" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")"
		for _, v := range vals {
			args = append(args, v.Text)
		}
	}
	rows, err := f.db.QueryContext(ctx, `SELECT o.id, COALESCE(o.name, ''), o.type FROM barcodes b JOIN objects o ON o.id = b.list_id`+where+` ORDER BY b.value`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, typ string
		if err := rows.Scan(&id, &name, &typ); err != nil {
			return err
		}
		f.writeRet(rs, qbxml.NewNode("BarCodeRet", qbxml.NewText("ListType", typ), qbxml.NewText("ListID", id), qbxml.NewText("FullName", name)), retOptions{})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if rs.count == 0 {
		rs.st = noMatch()
	}
	return nil
}

// saveBarCode keeps the bar code an item Add or Mod sets; a bar code names
// one item (status 3100 when another has it).
func saveBarCode(ctx context.Context, q querier, o *object, src *qbxml.Node) error {
	v := textAt(src, "BarCode/BarCodeValue")
	if v == "" {
		return nil
	}
	var other string
	err := q.QueryRowContext(ctx, `SELECT list_id FROM barcodes WHERE value = ?`, v).Scan(&other)
	if err == nil && other != o.id && textAt(src, "BarCode/AllowOverride") != "true" {
		return qbErr(stNameInUse, "The bar code %q is already in use.", v)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM barcodes WHERE list_id = ? OR value = ?`, o.id, v); err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO barcodes(value, list_id) VALUES (?, ?)`, v, o.id)
	return err
}

// The 1099 mapping is one record of the company, kept in meta as its Ret.
const form1099Key = "form1099"

func (f *File) form1099(ctx context.Context, q querier) (*qbxml.Node, error) {
	v, err := getMetaTx(ctx, q, form1099Key)
	if err != nil {
		return nil, err
	}
	if v == "" {
		return qbxml.NewNode("Form1099CategoryAccountMappingRet", qbxml.NewText("IsFiling1099Misc", "false")), nil
	}
	return parseNode([]byte(v))
}

func (f *File) form1099Query(ctx context.Context, rs *response) error {
	ret, err := f.form1099(ctx, f.db)
	if err != nil {
		return err
	}
	f.writeRet(rs, ret, retOptions{})
	return nil
}

func (f *File) form1099Mod(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	mod := kid(rq.el, "Form1099CategoryAccountMappingMod")
	var ret *qbxml.Node
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if ret, err = f.form1099(ctx, tx); err != nil {
			return err
		}
		if v := textAt(mod, "IsFiling1099Misc"); v != "" {
			setKid(ret, "IsFiling1099Misc", v)
		}
		for _, m := range kids(mod, "CategoryAccountMappingMod") {
			cat := textAt(m, "MappingCategory")
			e := qbxml.NewNode("CategoryAccountMapping", qbxml.NewText("MappingCategory", cat))
			for _, ma := range kids(m, "MappingAccount") {
				ref := kid(ma, "AccountRef")
				a, err := f.lookupRef(ctx, tx, "Account", nil, textAt(ref, "ListID"), textAt(ref, "FullName"))
				if err != nil {
					return refError(err, "Account", ref, "Form1099CategoryAccountMappingMod")
				}
				e.Add(refTo("AccountRef", a))
			}
			if v := textAt(m, "Threshold"); v != "" {
				e.Add(qbxml.NewText("Threshold", v))
			}
			ret.Children = slices.DeleteFunc(ret.Children, func(k *qbxml.Node) bool {
				return k.Name == "CategoryAccountMapping" && textAt(k, "MappingCategory") == cat
			})
			ret.Add(e)
		}
		return putMetaTx(ctx, tx, form1099Key, string(marshalNode(ret)))
	})
	if err != nil {
		return err
	}
	f.writeRet(rs, ret, retOptions{})
	return nil
}

// listMerge merges one list element into another of the same type, as
// QuickBooks' merge by renaming does: every reference to MergeFrom now
// names MergeTo, and MergeFrom is deleted. Both must be current (their
// EditSequence), and a parent cannot merge (its children would lose it).
func (f *File) listMerge(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	typ := textAt(rq.el, "ListMergeType")
	fromEl, toEl := kid(rq.el, "MergeFrom"), kid(rq.el, "MergeTo")
	var from, to *object
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		get := func(e *qbxml.Node, field string) (*object, error) {
			id := textAt(e, "ListID")
			o, err := getObjectByID(ctx, tx, id)
			if errors.Is(err, errNoObject) || (err == nil && o.typ != typ) {
				return nil, unknownID(err, id, field)
			}
			if err != nil {
				return nil, err
			}
			if es := textAt(e, "EditSequence"); es != o.editSeq {
				return nil, qbErr(stStaleEdit, "The provided edit sequence %q is out-of-date.", es)
			}
			return o, nil
		}
		var err error
		if from, err = get(fromEl, "MergeFrom"); err != nil {
			return err
		}
		if to, err = get(toEl, "MergeTo"); err != nil {
			return err
		}
		if from.id == to.id {
			return qbErr(stInvalidValue, "A %s cannot be merged into itself.", typ)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects WHERE parent_id = ?`, from.id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return qbErr(stCannotModify, "The %s %q has sub-elements and cannot be merged.", typ, from.name)
		}
		if err := f.repoint(ctx, tx, from, to); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM objects WHERE seq = ?`, from.seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deleted(type, id, name, ref_number, created, deleted) VALUES (?,?,?,?,?,?)`,
			from.typ, from.id, nullable(from.name), nil, from.created, rq.now.Unix()); err != nil {
			return err
		}
		t := f.reg().byName[typ]
		if t != nil && (t.Name == "Customer" || t.Name == "Vendor") {
			// The merged balance: the opening balances add up.
			to.effect += from.effect
			if _, err := tx.ExecContext(ctx, `UPDATE objects SET effect = ? WHERE seq = ?`, to.effect, to.seq); err != nil {
				return err
			}
			if err := f.refreshBalance(ctx, tx, to.id); err != nil {
				return err
			}
		}
		tm := f.opt.Now()
		cur, err := getObjectByID(ctx, tx, to.id)
		if err != nil {
			return err
		}
		ret, err := parseNode(cur.ret)
		if err != nil {
			return err
		}
		model, _ := contentModel(cur.typ + "Ret")
		cur.touch(ret, model, tm)
		cur.ret = marshalNode(ret)
		to = cur
		return updateObject(ctx, tx, cur)
	})
	if err != nil {
		return err
	}
	loc := f.opt.Now().Location()
	b := &rs.body
	writeTextEl(b, "ListMergeType", typ)
	writeNode(b, qbxml.NewNode("MergedFrom", qbxml.NewText("ListID", from.id), qbxml.NewText("TimeDeleted", qbTime(rq.now)), qbxml.NewText("FullName", from.name)))
	b.WriteByte('\n')
	writeNode(b, qbxml.NewNode("MergedTo", qbxml.NewText("ListID", to.id), qbxml.NewText("TimeCreated", qbTime(timeUnix(to.created, loc))),
		qbxml.NewText("TimeModified", qbTime(timeUnix(to.modified, loc))), qbxml.NewText("EditSequence", to.editSeq), qbxml.NewText("FullName", to.name)))
	b.WriteByte('\n')
	return nil
}

// repoint makes every reference to from name to instead.
func (f *File) repoint(ctx context.Context, q querier, from, to *object) error {
	for _, col := range []string{"entity_id", "account_id"} {
		if _, err := q.ExecContext(ctx, `UPDATE objects SET `+col+` = ? WHERE `+col+` = ?`, to.id, from.id); err != nil {
			return err
		}
	}
	if _, err := q.ExecContext(ctx, `UPDATE journal_lines SET entity_id = ? WHERE entity_id = ?`, to.id, from.id); err != nil {
		return err
	}
	if err := f.rewriteRefs(ctx, q, map[string]newRef{from.id: {id: to.id, name: to.name}}); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `UPDATE data_ext SET object_id = ? WHERE object_id = ? AND NOT EXISTS (SELECT 1 FROM data_ext d WHERE d.object_id = ? AND d.owner_id = data_ext.owner_id AND d.name = data_ext.name)`, to.id, from.id, to.id); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM data_ext WHERE object_id = ?`, from.id)
	return err
}

// clearedStatusMod marks a transaction (or one of its lines) cleared,
// pending or not cleared, as reconciling does.
func (f *File) clearedStatusMod(ctx context.Context, rq *request) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	m := kid(rq.el, "ClearedStatusMod")
	id, line := textAt(m, "TxnID"), textAt(m, "TxnLineID")
	o, err := getObjectByID(ctx, f.db, id)
	if errors.Is(err, errNoObject) || (err == nil && f.reg().byName[o.typ].Kind != kindTxn) {
		return unknownID(err, id, "TxnID")
	}
	if err != nil {
		return err
	}
	if line != "" && !strings.Contains(string(o.ret), "<TxnLineID>"+line+"</TxnLineID>") {
		return qbErr(stInvalidID, "The given object ID %q in the field %q is invalid.", line, "TxnLineID")
	}
	return f.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cleared(txn_id, line_id, status) VALUES (?, ?, ?) ON CONFLICT(txn_id, line_id) DO UPDATE SET status = excluded.status`, id, line, textAt(m, "ClearedStatus"))
		return err
	})
}

// specialAccounts are the accounts QuickBooks creates when a feature first
// needs them: the name and type each SpecialAccountType gets.
var specialAccounts = map[string][2]string{
	"AccountsPayable":                {"Accounts Payable", "AccountsPayable"},
	"AccountsReceivable":             {"Accounts Receivable", "AccountsReceivable"},
	"CondenseItemAdjustmentExpenses": {"Condense Item Adjustment Expenses", "Expense"},
	"CostOfGoodsSold":                {"Cost of Goods Sold", "CostOfGoodsSold"},
	"DirectDepositLiabilities":       {"Direct Deposit Liabilities", "OtherCurrentLiability"},
	"Estimates":                      {"Estimates", "NonPosting"},
	"ExchangeGainLoss":               {"Exchange Gain or Loss", "OtherExpense"},
	"InventoryAssets":                {"Inventory Asset", "OtherCurrentAsset"},
	"ItemReceiptAccount":             {"Item Receipts", "AccountsPayable"},
	"OpeningBalanceEquity":           {"Opening Balance Equity", "Equity"},
	"PayrollExpenses":                {"Payroll Expenses", "Expense"},
	"PayrollLiabilities":             {"Payroll Liabilities", "OtherCurrentLiability"},
	"PettyCash":                      {"Petty Cash", "Bank"},
	"PurchaseOrders":                 {"Purchase Orders", "NonPosting"},
	"ReconciliationDifferences":      {"Reconciliation Discrepancies", "Expense"},
	"RetainedEarnings":               {"Retained Earnings", "Equity"},
	"SalesOrders":                    {"Sales Orders", "NonPosting"},
	"SalesTaxPayable":                {"Sales Tax Payable", "OtherCurrentLiability"},
	"UncategorizedExpenses":          {"Uncategorized Expenses", "Expense"},
	"UncategorizedIncome":            {"Uncategorized Income", "Income"},
	"UndepositedFunds":               {"Undeposited Funds", "OtherCurrentAsset"},
}

// specialAccountAdd returns the special account, creating it when the
// company does not have it yet.
func (f *File) specialAccountAdd(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	typ := textAt(rq.el, "SpecialAccountAdd/SpecialAccountType")
	spec, ok := specialAccounts[typ]
	if !ok {
		return qbErr(stInvalidValue, "The \"SpecialAccountType\" field has an invalid value %q.", typ)
	}
	return f.specialAdd(ctx, rq, rs, "Account", spec[0], qbxml.NewText("Name", spec[0]), qbxml.NewText("AccountType", spec[1]), qbxml.NewText("SpecialAccountType", typ))
}

func (f *File) specialItemAdd(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	typ := textAt(rq.el, "SpecialItemAdd/SpecialItemType")
	t := qbxml.NewText
	switch typ {
	case "FinanceCharge":
		acct, err := f.incomeAccountRef(ctx)
		if err != nil {
			return err
		}
		return f.specialAdd(ctx, rq, rs, "ItemOtherCharge", "Finance Charge", t("Name", "Finance Charge"), t("SpecialItemType", typ),
			qbxml.NewNode("SalesOrPurchase", t("Desc", "Finance Charge"), acct))
	case "ReimbursableExpenseGroup":
		return f.specialAdd(ctx, rq, rs, "ItemGroup", "Reimb Group", t("Name", "Reimb Group"), t("SpecialItemType", typ), t("ItemDesc", "Total Reimbursable Expenses"))
	case "ReimbursableExpenseSubtotal":
		return f.specialAdd(ctx, rq, rs, "ItemSubtotal", "Reimb Subt", t("Name", "Reimb Subt"), t("SpecialItemType", typ), t("ItemDesc", "Total Reimbursable Expenses"))
	}
	return qbErr(stInvalidValue, "The \"SpecialItemType\" field has an invalid value %q.", typ)
}

func (f *File) incomeAccountRef(ctx context.Context) (*qbxml.Node, error) {
	o, err := getObjectByName(ctx, f.db, "Account", "Interest Income")
	if err != nil {
		return nil, err
	}
	return refTo("AccountRef", o), nil
}

// specialAdd returns the list element named name, adding it from kids when
// it does not exist.
func (f *File) specialAdd(ctx context.Context, rq *request, rs *response, typ, name string, kids ...*qbxml.Node) error {
	t := f.reg().byName[typ]
	var ret *qbxml.Node
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		if o, err := getObjectByName(ctx, tx, t.NS, name); err == nil && o.typ == typ {
			ret, err = parseNode(o.ret)
			return err
		} else if err != nil && !errors.Is(err, errNoObject) {
			return err
		}
		var err error
		ret, err = f.addObject(ctx, tx, t, qbxml.NewNode(typ+"Add", kids...))
		return err
	})
	if err != nil {
		return err
	}
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}
