package companyfile

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// detailCol is a column a detail report can show: its IncludeColumn name
// (which is also its ColType), title, data type, and how a line fills it.
type detailCol struct {
	name, title, dataType string
	value                 func(l *ledger, d detailLine) string
}

// detailLine is one line of a detail report: a posting, or a document
// (an open invoice, an estimate) with its amount and open balance.
type detailLine struct {
	p       posting
	dueDate string
	open    int64
	hasOpen bool
	asOf    string
}

var detailCols = []detailCol{
	{"TxnType", "Type", "STRTYPE", func(l *ledger, d detailLine) string { return txnTypeLabel(d.p.txnType) }},
	{"Date", "Date", "DATETYPE", func(l *ledger, d detailLine) string { return d.p.date }},
	{"RefNumber", "Num", "STRTYPE", func(l *ledger, d detailLine) string { return d.p.refNum }},
	{"Name", "Name", "STRTYPE", func(l *ledger, d detailLine) string { return l.names[orDefault(d.p.entity, d.p.job)] }},
	{"Memo", "Memo", "STRTYPE", func(l *ledger, d detailLine) string { return d.p.memo }},
	{"Account", "Account", "STRTYPE", func(l *ledger, d detailLine) string {
		if a := l.accounts[d.p.account]; a != nil {
			return a.fullName
		}
		return ""
	}},
	{"Class", "Class", "STRTYPE", func(l *ledger, d detailLine) string { return l.names[d.p.class] }},
	{"Item", "Item", "STRTYPE", func(l *ledger, d detailLine) string { return l.names[d.p.item] }},
	{"Quantity", "Qty", "QUANTYPE", func(l *ledger, d detailLine) string {
		if d.p.quantity == 0 {
			return ""
		}
		return formatQty(d.p.quantity)
	}},
	{"DueDate", "Due Date", "DATETYPE", func(l *ledger, d detailLine) string { return d.dueDate }},
	{"Aging", "Aging", "INTTYPE", func(l *ledger, d detailLine) string {
		if days := daysPast(d.dueDate, d.asOf); days > 0 {
			return strconv.Itoa(days)
		}
		return ""
	}},
	{"Debit", "Debit", "AMTTYPE", func(l *ledger, d detailLine) string {
		if d.p.amount > 0 {
			return formatCents(d.p.amount)
		}
		return ""
	}},
	{"Credit", "Credit", "AMTTYPE", func(l *ledger, d detailLine) string {
		if d.p.amount < 0 {
			return formatCents(-d.p.amount)
		}
		return ""
	}},
	{"Amount", "Amount", "AMTTYPE", func(l *ledger, d detailLine) string { return formatCents(d.p.amount) }},
	{"OpenBalance", "Open Balance", "AMTTYPE", func(l *ledger, d detailLine) string {
		if !d.hasOpen {
			return ""
		}
		return formatCents(d.open)
	}},
	{"TxnID", "Trans #", "IDTYPE", func(l *ledger, d detailLine) string { return d.p.txnID }},
	{"ModifiedTime", "Last modified", "DATETIMETYPE", func(l *ledger, d detailLine) string {
		if d.p.modified == 0 {
			return ""
		}
		return qbTime(time.Unix(d.p.modified, 0).In(l.loc))
	}},
}

func findDetailCol(name string) (detailCol, bool) {
	for _, c := range detailCols {
		if c.name == name {
			return c, true
		}
	}
	return detailCol{}, false
}

// txnTypeLabel is how QuickBooks names a transaction type in reports.
func txnTypeLabel(t string) string {
	switch t {
	case "ReceivePayment":
		return "Payment"
	case "BillPaymentCheck":
		return "Bill Pmt -Check"
	case "BillPaymentCreditCard":
		return "Bill Pmt -CCard"
	case "CreditCardCharge":
		return "Credit Card Charge"
	case "CreditCardCredit":
		return "Credit Card Credit"
	case "JournalEntry":
		return "General Journal"
	case "Charge":
		return "Statement Charge"
	case "SalesReceipt":
		return "Sales Receipt"
	case "CreditMemo":
		return "Credit Memo"
	case "VendorCredit":
		return "Credit"
	case "ItemReceipt":
		return "Item Receipt"
	case "OpeningBalance", "Customer", "Vendor":
		return "Opening Balance"
	}
	return t
}

// daysPast returns how many days date is before asOf.
func daysPast(date, asOf string) int {
	d, err1 := time.Parse("2006-01-02", date)
	a, err2 := time.Parse("2006-01-02", asOf)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(a.Sub(d).Hours() / 24)
}

// detailReport lays out lines grouped by group (nil: one list), each group
// a TextRow, its lines, and a SubtotalRow; a TotalRow ends the report. The
// columns are the query's IncludeColumn values it can fill, or def.
func (l *ledger) detailReport(q *reportQuery, title, subtitle string, lines []detailLine, group rowKey, def []string) *report {
	names := def
	var asked []string
	for _, n := range q.include {
		if _, ok := findDetailCol(n); ok {
			asked = append(asked, n)
		}
	}
	if len(asked) > 0 {
		names = asked
	}
	cols := []detailCol{{name: "Label", dataType: "STRTYPE"}}
	for _, n := range names {
		c, _ := findDetailCol(n)
		cols = append(cols, c)
	}
	r := &report{title: title, subtitle: subtitle, basis: q.basisName()}
	for _, c := range cols {
		r.cols = append(r.cols, reportCol{title: c.title, colType: c.name, dataType: c.dataType})
	}
	sums := func(ls []detailLine) []string {
		cells := make([]string, len(cols))
		for i, c := range cols {
			switch c.name {
			case "Amount", "Debit", "Credit", "OpenBalance":
				var sum int64
				for _, d := range ls {
					sum += mustCents(c.value(l, d))
				}
				cells[i] = formatCents(sum)
			}
		}
		return cells
	}
	lineRow := func(d detailLine) {
		cells := make([]string, len(cols))
		for i, c := range cols[1:] {
			cells[i+1] = c.value(l, d)
		}
		r.row("DataRow", "", "", cells...)
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if lines[i].p.date != lines[j].p.date {
			return lines[i].p.date < lines[j].p.date
		}
		return lines[i].p.txnID < lines[j].p.txnID
	})
	if group == nil {
		for _, d := range lines {
			lineRow(d)
		}
	} else {
		type grp struct {
			key, label string
			lines      []detailLine
		}
		groups := map[string]*grp{}
		var order []*grp
		for _, d := range lines {
			k, label, _ := group(d.p)
			g := groups[k]
			if g == nil {
				g = &grp{key: k, label: label}
				groups[k] = g
				order = append(order, g)
			}
			g.lines = append(g.lines, d)
		}
		sort.SliceStable(order, func(i, j int) bool {
			if (order[i].key == "") != (order[j].key == "") {
				return order[j].key == ""
			}
			return nameKey(order[i].label) < nameKey(order[j].label)
		})
		for _, g := range order {
			r.text(g.label)
			for _, d := range g.lines {
				lineRow(d)
			}
			cells := sums(g.lines)
			cells[0] = "Total " + g.label
			r.row("SubtotalRow", "", "", cells...)
		}
	}
	cells := sums(lines)
	cells[0] = "TOTAL"
	r.row("TotalRow", "", "", cells...)
	return r
}

// postingLines returns the postings of the period that keep accepts as
// detail lines.
func (l *ledger) postingDetail(q *reportQuery, keep func(p posting) bool) []detailLine {
	var out []detailLine
	for _, p := range l.postings(q) {
		if q.inPeriod(p.date) && keep(p) {
			out = append(out, detailLine{p: p})
		}
	}
	return out
}

// documents returns transactions of the given types as detail lines, with
// their total as amount and what they still add to their name's balance
// as open balance; open keeps only those with an open balance.
func (l *ledger) documents(q *reportQuery, open bool, types ...string) []detailLine {
	var out []detailLine
	all := append(append(append([]*ledgerTxn{}, l.txns...), l.openings...), l.journalItems...)
	for _, t := range all {
		match := false
		for _, ty := range types {
			match = match || t.docType() == ty
		}
		if !match || !q.inPeriod(t.date) || (open && t.open == 0) {
			continue
		}
		if q.entities != nil && !l.match(q.entities, t.entity, "Entity") {
			continue
		}
		d := detailLine{p: posting{date: t.date, txnID: t.id, txnType: t.typ, refNum: t.refNum, entity: t.entity, amount: t.total,
			memo: textAt(t.ret, "Memo"), modified: t.modified}, dueDate: orDefault(t.dueDate, t.date), open: t.open, hasOpen: true, asOf: q.asOf()}
		out = append(out, d)
	}
	return out
}

// receivableTypes and payableTypes are what documents() lists as the open
// items of customers and of vendors: what each leaves open adds up to the
// balances of the names.
var (
	receivableTypes = []string{"Invoice", "Charge", "CreditMemo", "ReceivePayment", "Customer", "JournalEntry/AR"}
	payableTypes    = []string{"Bill", "ItemReceipt", "VendorCredit", "BillPaymentCheck", "BillPaymentCreditCard", "Vendor", "JournalEntry/AP"}
)

var (
	postingCols  = []string{"TxnType", "Date", "RefNumber", "Name", "Memo", "Account", "Amount"}
	documentCols = []string{"TxnType", "Date", "RefNumber", "Name", "DueDate", "Amount", "OpenBalance"}
)

// generalDetail answers GeneralDetailReportQueryRq.
func (l *ledger) generalDetail(q *reportQuery) (*report, error) {
	sub := q.periodLabel()
	all := func(posting) bool { return true }
	types := func(ts ...string) func(p posting) bool {
		return func(p posting) bool {
			for _, t := range ts {
				if p.txnType == t {
					return true
				}
			}
			return false
		}
	}
	pl := func(p posting) bool { return !isBalanceSheet(l.accounts[p.account].typ) }
	income := func(p posting) bool { return accountIn(l, p, "Income", "OtherIncome") }
	expense := func(p posting) bool { return accountIn(l, p, "Expense", "OtherExpense", "CostOfGoodsSold") }
	customers := l.byCustomer
	vendors := l.byEntity("vendor", "No name")
	switch q.kind {
	case "GeneralLedger", "TxnDetailByAccount":
		return l.detailReport(q, map[string]string{"GeneralLedger": "General Ledger", "TxnDetailByAccount": "Transaction Detail by Account"}[q.kind],
			sub, l.postingDetail(q, all), l.byAccount, []string{"TxnType", "Date", "RefNumber", "Name", "Memo", "Debit", "Credit", "Amount"}), nil
	case "Journal":
		return l.detailReport(q, "Journal", sub, l.postingDetail(q, all), nil, []string{"TxnID", "TxnType", "Date", "RefNumber", "Name", "Memo", "Account", "Debit", "Credit"}), nil
	case "AuditTrail", "TxnListByDate":
		return l.detailReport(q, map[string]string{"AuditTrail": "Audit Trail", "TxnListByDate": "Transaction List by Date"}[q.kind],
			sub, l.postingDetail(q, all), nil, []string{"TxnType", "Date", "RefNumber", "Name", "Memo", "Account", "Amount", "ModifiedTime"}), nil
	case "ProfitAndLossDetail", "IncomeTaxDetail":
		return l.detailReport(q, "Profit & Loss Detail", sub, l.postingDetail(q, pl), l.byAccount, postingCols), nil
	case "BalanceSheetDetail":
		return l.detailReport(q, "Balance Sheet Detail", sub, l.postingDetail(q, func(p posting) bool { return !pl(p) }), l.byAccount, postingCols), nil
	case "IncomeByCustomerDetail", "SalesByCustomerDetail":
		return l.detailReport(q, map[string]string{"IncomeByCustomerDetail": "Income by Customer Detail", "SalesByCustomerDetail": "Sales by Customer Detail"}[q.kind],
			sub, l.postingDetail(q, income), customers, append(postingCols[:6:6], "Item", "Quantity", "Amount")), nil
	case "SalesByItemDetail":
		return l.detailReport(q, "Sales by Item Detail", sub, l.postingDetail(q, func(p posting) bool { return income(p) && p.item != "" }), l.byItem, postingCols), nil
	case "SalesByRepDetail":
		return l.detailReport(q, "Sales by Rep Detail", sub, l.postingDetail(q, func(p posting) bool { return income(p) && isSale(p.txnType) }), l.bySalesRep, postingCols), nil
	case "ExpenseByVendorDetail", "PurchaseByVendorDetail", "1099Detail":
		return l.detailReport(q, map[string]string{"ExpenseByVendorDetail": "Expenses by Vendor Detail", "PurchaseByVendorDetail": "Purchases by Vendor Detail", "1099Detail": "1099 Detail"}[q.kind],
			sub, l.postingDetail(q, expense), vendors, postingCols), nil
	case "PurchaseByItemDetail":
		return l.detailReport(q, "Purchases by Item Detail", sub, l.postingDetail(q, func(p posting) bool { return expense(p) && p.item != "" }), l.byItem, postingCols), nil
	case "TxnListByCustomer":
		return l.detailReport(q, "Transaction List by Customer", sub, l.postingDetail(q, func(p posting) bool {
			return p.account == l.ar || accountIn(l, p, "Bank") && l.listTypes[p.entity] == "Customer"
		}), customers, postingCols), nil
	case "TxnListByVendor":
		return l.detailReport(q, "Transaction List by Vendor", sub, l.postingDetail(q, func(p posting) bool { return p.account == l.ap || l.listTypes[p.entity] == "Vendor" && !pl(p) }), vendors, postingCols), nil
	case "CheckDetail":
		return l.detailReport(q, "Check Detail", sub, l.postingDetail(q, types("Check", "BillPaymentCheck")), nil, postingCols), nil
	case "DepositDetail":
		return l.detailReport(q, "Deposit Detail", sub, l.postingDetail(q, types("Deposit")), nil, postingCols), nil
	case "MissingChecks":
		return l.detailReport(q, "Missing Checks", sub, l.postingDetail(q, func(p posting) bool { return types("Check", "BillPaymentCheck")(p) && accountIn(l, p, "Bank") }), nil, postingCols), nil
	case "InventoryValuationDetail":
		return l.detailReport(q, "Inventory Valuation Detail", sub, l.postingDetail(q, func(p posting) bool {
			return p.item != "" && l.items[p.item] != nil && l.items[p.item].asset == p.account
		}), l.byItem, postingCols), nil
	case "UnbilledCostsByJob":
		return l.detailReport(q, "Unbilled Costs by Job", sub, l.postingDetail(q, func(p posting) bool { return expense(p) && p.job != "" }), customers, postingCols), nil
	case "OpenInvoices", "CustomerBalanceDetail":
		q.from = ""
		return l.detailReport(q, map[string]string{"OpenInvoices": "Open Invoices", "CustomerBalanceDetail": "Customer Balance Detail"}[q.kind],
			q.asOfLabel(), l.documents(q, true, receivableTypes...), customers, append(documentCols, "Aging")), nil
	case "UnpaidBillsDetail", "VendorBalanceDetail":
		q.from = ""
		return l.detailReport(q, map[string]string{"UnpaidBillsDetail": "Unpaid Bills Detail", "VendorBalanceDetail": "Vendor Balance Detail"}[q.kind],
			q.asOfLabel(), l.documents(q, true, payableTypes...), vendors, append(documentCols, "Aging")), nil
	case "OpenPOs", "OpenPOsByJob":
		return l.detailReport(q, "Open Purchase Orders", sub, l.documents(q, false, "PurchaseOrder"), vendors, documentCols[:6]), nil
	case "EstimatesByJob", "JobProgressInvoicesVsEstimates":
		return l.detailReport(q, "Estimates by Job", sub, l.documents(q, false, "Estimate"), customers, documentCols[:6]), nil
	case "OpenSalesOrderByCustomer", "OpenSalesOrderByItem":
		return l.detailReport(q, "Open Sales Orders", sub, l.documents(q, false, "SalesOrder"), customers, documentCols[:6]), nil
	case "PendingSales":
		var pending []detailLine
		for _, d := range l.documents(q, false, "Invoice", "SalesReceipt", "CreditMemo") {
			if t := l.txnByID[d.p.txnID]; t != nil && textAt(t.ret, "IsPending") == "true" {
				pending = append(pending, d)
			}
		}
		return l.detailReport(q, "Pending Sales", sub, pending, customers, documentCols[:6]), nil
	}
	return nil, qbErr(stInvalidValue, "The GeneralDetailReportType %q is not supported.", q.kind)
}

// agingBuckets are the columns of an aging summary: days past due.
var agingBuckets = []struct {
	title  string
	lo, hi int
}{{"Current", -1 << 30, 0}, {"1 - 30", 1, 30}, {"31 - 60", 31, 60}, {"61 - 90", 61, 90}, {"> 90", 91, 1 << 30}}

// aging answers AgingReportQueryRq: what each customer (or vendor) owes,
// by days past due, from the open balances of its transactions and its
// opening balance, which sum to its balance.
func (l *ledger) aging(q *reportQuery) (*report, error) {
	asOf := qbDate(q.now)
	if q.agingAsOfEnd && q.to != "" {
		asOf = q.to
	}
	ar := strings.HasPrefix(q.kind, "AR") || q.kind == "CollectionsReport"
	types := receivableTypes
	rowType, title := "customer", "A/R Aging"
	if !ar {
		types = payableTypes
		rowType, title = "vendor", "A/P Aging"
	}
	dq := *q
	dq.from, dq.to = "", asOf
	docs := l.documents(&dq, true, types...)
	for i := range docs {
		docs[i].asOf = asOf
	}
	name := func(p posting) (string, string, string) {
		if p.entity == "" {
			return "", "No name", "label"
		}
		return p.entity, l.names[p.entity], rowType
	}
	switch q.kind {
	case "ARAgingDetail", "APAgingDetail", "CollectionsReport":
		if q.kind == "CollectionsReport" {
			var due []detailLine
			for _, d := range docs {
				if daysPast(d.dueDate, asOf) > 0 && d.open > 0 {
					due = append(due, d)
				}
			}
			return l.detailReport(&dq, "Collections Report", "As of "+asOf, due, name, append(documentCols, "Aging")), nil
		}
		bucket := func(p posting) (string, string, string) {
			t := l.txnByID[p.txnID]
			due := p.date
			if t != nil {
				due = orDefault(t.dueDate, t.date)
			}
			days := daysPast(due, asOf)
			for i, b := range agingBuckets {
				if days >= b.lo && days <= b.hi {
					return strconv.Itoa(i), b.title, "label"
				}
			}
			return "", "", ""
		}
		r := l.detailReport(&dq, title+" Detail", "As of "+asOf, docs, bucket, append(documentCols, "Aging"))
		return r, nil
	}
	type row struct {
		key, label string
		v          []int64
	}
	rows := map[string]*row{}
	for _, d := range docs {
		k, label, _ := name(d.p)
		rw := rows[k]
		if rw == nil {
			rw = &row{key: k, label: label, v: make([]int64, len(agingBuckets)+1)}
			rows[k] = rw
		}
		days := daysPast(d.dueDate, asOf)
		for i, b := range agingBuckets {
			if days >= b.lo && days <= b.hi {
				rw.v[i] += d.open
			}
		}
		rw.v[len(agingBuckets)] += d.open
	}
	list := make([]*row, 0, len(rows))
	for _, rw := range rows {
		list = append(list, rw)
	}
	sort.Slice(list, func(i, j int) bool { return nameKey(list[i].label) < nameKey(list[j].label) })
	r := &report{title: title + " Summary", subtitle: "As of " + longDate(asOf), cols: []reportCol{{colType: "Label", dataType: "STRTYPE"}}}
	for _, b := range agingBuckets {
		r.cols = append(r.cols, reportCol{title: b.title, colType: "Amount", dataType: "AMTTYPE"})
	}
	r.cols = append(r.cols, reportCol{title: "TOTAL", colType: "Total", dataType: "AMTTYPE"})
	total := make([]int64, len(agingBuckets)+1)
	for _, rw := range list {
		rt := rowType
		if rw.key == "" {
			rt = "label"
		}
		r.amountRow("DataRow", rt, rw.label, rw.label, rw.v)
		sumInto(total, rw.v, 1)
	}
	r.amountRow("TotalRow", "", "", "TOTAL", total)
	return r, nil
}

func longDate(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	return t.Format("January 2, 2006")
}

// budgetSummary answers BudgetSummaryReportQueryRq. qbXML 13.0 cannot
// create budgets, and the simulator's companies have none, so every budget
// is zero: the overview lists the accounts of the fiscal year with no
// budget, and budget versus actual compares the actual amounts with it.
func (l *ledger) budgetSummary(q *reportQuery) (*report, error) {
	year := textAt(q.rq, "FiscalYear")
	if _, err := strconv.Atoi(year); err != nil {
		return nil, qbErr(stInvalidValue, "The FiscalYear %q is not a year.", year)
	}
	if q.from == "" && q.to == "" {
		q.from, q.to = year+"-01-01", year+"-12-31"
	}
	bs := strings.HasPrefix(q.kind, "BalanceSheet")
	r := &report{title: map[bool]string{true: "Balance Sheet Budget", false: "Profit & Loss Budget"}[bs] + map[bool]string{true: " Overview", false: " vs. Actual"}[strings.HasSuffix(q.kind, "Overview")],
		subtitle: q.periodLabel(), basis: "Accrual"}
	overview := strings.HasSuffix(q.kind, "Overview")
	r.cols = []reportCol{{colType: "Label", dataType: "STRTYPE"}}
	if overview {
		r.cols = append(r.cols, reportCol{title: "Budget", colType: "Amount", dataType: "AMTTYPE"})
	} else {
		r.cols = append(r.cols, reportCol{title: "Actual", colType: "Amount", dataType: "AMTTYPE"},
			reportCol{title: "Budget", colType: "Amount", dataType: "AMTTYPE"},
			reportCol{title: "$ Over Budget", colType: "AmountDifference", dataType: "AMTTYPE"})
	}
	actual := map[string]int64{}
	for _, p := range l.postings(q) {
		a := l.accounts[p.account]
		if isBalanceSheet(a.typ) == bs && (bs && p.date <= q.asOf() || !bs && q.inPeriod(p.date)) {
			actual[a.id] += l.natural(p)
		}
	}
	var tot int64
	for _, a := range l.sortedAccounts() {
		if isBalanceSheet(a.typ) != bs || a.typ == "NonPosting" {
			continue
		}
		v, ok := actual[a.id]
		if !ok && !overview {
			continue
		}
		tot += v
		if overview {
			r.row("DataRow", "account", a.fullName, a.fullName, "0.00")
		} else {
			r.row("DataRow", "account", a.fullName, a.fullName, formatCents(v), "0.00", formatCents(v))
		}
	}
	if overview {
		r.row("TotalRow", "", "", "TOTAL", "0.00")
	} else {
		r.row("TotalRow", "", "", "TOTAL", formatCents(tot), "0.00", formatCents(tot))
	}
	return r, nil
}

// rowsBy returns the row key of a SummarizeRowsBy value.
func (l *ledger) rowsBy(by string) rowKey {
	switch by {
	case "Customer":
		return l.byCustomer
	case "Vendor", "Employee", "Payee":
		return l.byEntity(strings.ToLower(by[:1])+by[1:], "No name")
	case "Class":
		return l.byClass
	case "ItemDetail", "ItemType":
		return l.byItem
	case "Day", "Week", "TwoWeek", "FourWeek", "HalfMonth", "Month", "Quarter", "Year":
		return func(p posting) (string, string, string) {
			d, err := time.Parse("2006-01-02", p.date)
			if err != nil {
				return p.date, p.date, "label"
			}
			s := periodStart(by, d)
			return qbDate(s), periodTitle(by, s, periodEnd(by, s)), "label"
		}
	case "TotalOnly":
		return func(posting) (string, string, string) { return "total", "Total", "label" }
	}
	return l.byAccount
}

// periodStart returns the first day of the period of kind by holding d.
func periodStart(by string, d time.Time) time.Time {
	switch by {
	case "Week":
		return d.AddDate(0, 0, -int(d.Weekday()))
	case "HalfMonth":
		if d.Day() > 15 {
			return time.Date(d.Year(), d.Month(), 16, 0, 0, 0, 0, time.UTC)
		}
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	case "Month":
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	case "Quarter":
		return time.Date(d.Year(), time.Month((int(d.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	case "Year":
		return time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

// customSummary answers CustomSummaryReportQueryRq: a pivot by the rows
// and columns the request names. Rows by BalanceSheet or IncomeStatement
// are the balance sheet and the profit and loss.
func (l *ledger) customSummary(q *reportQuery) (*report, error) {
	switch q.rowsBy {
	case "BalanceSheet":
		return l.balanceSheet(q, "Custom Summary Report", q.columns, false), nil
	case "IncomeStatement":
		return l.profitAndLoss(q, "Custom Summary Report", q.columns), nil
	}
	return l.pivot(q, "Custom Summary Report", true, func(posting) bool { return true }, l.rowsBy(q.rowsBy), l.natural), nil
}

// customDetail answers CustomDetailReportQueryRq: the postings of the
// period, grouped by SummarizeRowsBy, with the columns of IncludeColumn.
func (l *ledger) customDetail(q *reportQuery) (*report, error) {
	var group rowKey
	if q.rowsBy != "TotalOnly" {
		group = l.rowsBy(q.rowsBy)
	}
	return l.detailReport(q, "Custom Transaction Detail Report", q.periodLabel(), l.postingDetail(q, func(posting) bool { return true }), group, postingCols), nil
}

// jobReport answers JobReportQueryRq: actual revenue (income postings) and
// cost (expense and cost of goods sold postings) by customer or job, or by
// item; estimates versus actuals compare them with the estimates' totals.
func (l *ledger) jobReport(q *reportQuery) (*report, error) {
	byItem := strings.HasPrefix(q.kind, "Item")
	estimates := strings.Contains(q.kind, "Estimates")
	detail := strings.HasSuffix(q.kind, "Detail")
	type row struct {
		key, label, rowType string
		est, cost, revenue  int64
	}
	rows := map[string]*row{}
	get := func(key, label, rt string) *row {
		rw := rows[key]
		if rw == nil {
			rw = &row{key: key, label: label, rowType: rt}
			rows[key] = rw
		}
		return rw
	}
	keyOf := func(p posting) (string, string, string) {
		if detail {
			c, cl, _ := l.byCustomer(p)
			_, al, _ := l.byAccount(p)
			return c + "/" + p.account, cl + ": " + al, "account"
		}
		if byItem {
			return l.byItem(p)
		}
		return l.byCustomer(p)
	}
	for _, p := range l.postings(q) {
		if !q.inPeriod(p.date) || p.job == "" && !byItem {
			continue
		}
		switch {
		case accountIn(l, p, "Income", "OtherIncome"):
			get(keyOf(p)).revenue -= p.amount
		case accountIn(l, p, "Expense", "OtherExpense", "CostOfGoodsSold"):
			get(keyOf(p)).cost += p.amount
		}
	}
	if estimates {
		for _, t := range l.txns {
			if t.typ != "Estimate" || !q.inPeriod(t.date) {
				continue
			}
			if byItem {
				for _, line := range postingLines(t.ret) {
					p := posting{item: l.ref(line, "ItemRef", "Item")}
					get(l.byItem(p)).est += mustCents(textAt(line, "Amount"))
				}
				continue
			}
			p := posting{job: t.entity, account: l.income}
			get(keyOf(p)).est += t.total - mustCents(textAt(t.ret, "SalesTaxTotal"))
		}
	}
	list := make([]*row, 0, len(rows))
	for _, rw := range rows {
		list = append(list, rw)
	}
	sort.Slice(list, func(i, j int) bool { return nameKey(list[i].label) < nameKey(list[j].label) })
	title := map[string]string{"ItemEstimatesVsActuals": "Item Estimates vs. Actuals", "ItemProfitability": "Item Profitability",
		"JobEstimatesVsActualsDetail": "Job Estimates vs. Actuals Detail", "JobEstimatesVsActualsSummary": "Job Estimates vs. Actuals Summary",
		"JobProfitabilityDetail": "Job Profitability Detail", "JobProfitabilitySummary": "Job Profitability Summary"}[q.kind]
	if title == "" {
		title = "Job Profitability Summary"
	}
	r := &report{title: title, subtitle: q.periodLabel(), cols: []reportCol{{colType: "Label", dataType: "STRTYPE"}}}
	if estimates {
		r.cols = append(r.cols, reportCol{title: "Est. Revenue", colType: "Amount", dataType: "AMTTYPE"},
			reportCol{title: "Act. Revenue", colType: "Amount", dataType: "AMTTYPE"},
			reportCol{title: "($) Diff.", colType: "AmountDifference", dataType: "AMTTYPE"})
	} else {
		r.cols = append(r.cols, reportCol{title: "Act. Cost", colType: "Amount", dataType: "AMTTYPE"},
			reportCol{title: "Act. Revenue", colType: "Amount", dataType: "AMTTYPE"},
			reportCol{title: "($) Diff.", colType: "AmountDifference", dataType: "AMTTYPE"})
	}
	var a, b int64
	for _, rw := range list {
		x := rw.cost
		if estimates {
			x = rw.est
		}
		a += x
		b += rw.revenue
		r.amountRow("DataRow", rw.rowType, rw.label, rw.label, []int64{x, rw.revenue, rw.revenue - x})
	}
	r.amountRow("TotalRow", "", "", "TOTAL", []int64{a, b, b - a})
	return r, nil
}

// timeReport answers TimeReportQueryRq from the file's time tracking
// records: hours by name, by job or by item.
func (f *File) timeReport(ctx context.Context, l *ledger, q *reportQuery) (*report, error) {
	rows, err := f.db.QueryContext(ctx, `SELECT ret FROM objects WHERE type = 'TimeTracking' ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("companyfile: read time: %w", err)
	}
	defer rows.Close()
	type agg struct {
		label   string
		minutes int
	}
	by := map[string]*agg{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		ret, err := parseNode(raw)
		if err != nil || !q.inPeriod(textAt(ret, "TxnDate")) {
			continue
		}
		var key string
		switch q.kind {
		case "TimeByJobSummary", "TimeByJobDetail":
			key = orDefault(textAt(ret, "CustomerRef/FullName"), "No customer")
		case "TimeByItem":
			key = orDefault(textAt(ret, "ItemServiceRef/FullName"), "No item")
		default:
			key = orDefault(textAt(ret, "EntityRef/FullName"), "No name")
		}
		a := by[key]
		if a == nil {
			a = &agg{label: key}
			by[key] = a
		}
		a.minutes += durationMinutes(textAt(ret, "Duration"))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	title := map[string]string{"TimeByItem": "Time by Item", "TimeByJobDetail": "Time by Job Detail", "TimeByJobSummary": "Time by Job Summary", "TimeByName": "Time by Name"}[q.kind]
	r := &report{title: orDefault(title, "Time by Name"), subtitle: q.periodLabel(), cols: []reportCol{
		{colType: "Label", dataType: "STRTYPE"}, {title: "Duration", colType: "Duration", dataType: "TIMEINTERVALTYPE"}}}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total := 0
	for _, k := range keys {
		r.row("DataRow", "label", k, k, hoursText(by[k].minutes))
		total += by[k].minutes
	}
	r.row("TotalRow", "", "", "TOTAL", hoursText(total))
	return r, nil
}

// durationMinutes reads a qbXML TIMEINTERVALTYPE ("PT1H30M0S").
func durationMinutes(v string) int {
	v = strings.TrimPrefix(strings.TrimSpace(v), "PT")
	n, mins := 0, 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
		case c == 'H':
			mins += n * 60
			n = 0
		case c == 'M':
			mins += n
			n = 0
		default:
			n = 0
		}
	}
	return mins
}

func hoursText(minutes int) string { return fmt.Sprintf("%d:%02d", minutes/60, minutes%60) }

// payrollReport answers PayrollSummaryReportQueryRq and
// PayrollDetailReportQueryRq. The simulator's companies run no payroll
// (no paychecks can be written through qbXML 13.0), so the report lists
// the employees with no wages, as QuickBooks shows a company whose payroll
// has not run.
func (l *ledger) payrollReport(q *reportQuery) (*report, error) {
	title := map[string]string{"EmployeeEarningsSummary": "Employee Earnings Summary", "PayrollLiabilityBalances": "Payroll Liability Balances",
		"PayrollSummary": "Payroll Summary", "EmployeeStateTaxesDetail": "Employee State Taxes Detail", "PayrollItemDetail": "Payroll Item Detail",
		"PayrollReviewDetail": "Payroll Review Detail", "PayrollTransactionDetail": "Payroll Transaction Detail",
		"PayrollTransactionsByPayee": "Payroll Transactions by Payee"}[q.kind]
	r := &report{title: orDefault(title, "Payroll Summary"), subtitle: q.periodLabel(), cols: []reportCol{
		{colType: "Label", dataType: "STRTYPE"}, {title: "TOTAL", colType: "Total", dataType: "AMTTYPE"}}}
	var names []string
	for id, t := range l.listTypes {
		if t == "Employee" {
			names = append(names, l.names[id])
		}
	}
	sort.Strings(names)
	for _, n := range names {
		r.row("DataRow", "employee", n, n, "0.00")
	}
	r.row("TotalRow", "", "", "TOTAL", "0.00")
	return r, nil
}
