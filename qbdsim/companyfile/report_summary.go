package companyfile

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// colSet is the amount columns of a summary report (SummarizeColumnsBy):
// one per period (Day ... Year) or per customer, vendor, class, item...,
// and a TOTAL column when there are several; TotalOnly is the TOTAL column
// alone.
type colSet struct {
	titles     []string
	starts     []string // date columns: first and last day of each
	ends       []string
	dim        func(p posting) string // dimension columns: the key of a posting
	index      map[string]int
	total      bool // the last column is TOTAL
	totalTitle string
}

// n returns the number of amount columns.
func (c *colSet) n() int {
	n := len(c.titles)
	if c.total {
		n++
	}
	return n
}

// col returns the column of a posting, or -1 (TotalOnly has none but the
// total).
func (c *colSet) col(p posting) int {
	switch {
	case c.starts != nil:
		i := sort.SearchStrings(c.ends, p.date)
		if i < len(c.ends) && p.date >= c.starts[i] {
			return i
		}
		return -1
	case c.dim != nil:
		if i, ok := c.index[c.dim(p)]; ok {
			return i
		}
	}
	return -1
}

// add adds amt to the posting's column and the total of v.
func (c *colSet) add(v []int64, p posting, amt int64) {
	if i := c.col(p); i >= 0 {
		v[i] += amt
	}
	if c.total {
		v[len(v)-1] += amt
	}
}

// descs returns the ColDescs: the label column, then the amount columns.
func (c *colSet) descs(colType string) []reportCol {
	cols := []reportCol{{colType: "Label", dataType: "STRTYPE"}}
	for _, t := range c.titles {
		cols = append(cols, reportCol{title: t, colType: colType, dataType: "AMTTYPE"})
	}
	if c.total {
		cols = append(cols, reportCol{title: orDefault(c.totalTitle, "TOTAL"), colType: "Total", dataType: "AMTTYPE"})
	}
	return cols
}

// columns builds the columns a query asks for over the postings ps (which
// give an open period its bounds).
func (l *ledger) columns(q *reportQuery, ps []posting, by string) *colSet {
	c := &colSet{total: true}
	switch by {
	case "Day", "Week", "TwoWeek", "FourWeek", "HalfMonth", "Month", "Quarter", "Year":
		from, to := q.from, q.to
		if from == "" || to == "" {
			lo, hi := "", ""
			for _, p := range ps {
				if lo == "" || p.date < lo {
					lo = p.date
				}
				if p.date > hi {
					hi = p.date
				}
			}
			from, to = orDefault(from, orDefault(lo, qbDate(q.now))), orDefault(to, orDefault(hi, qbDate(q.now)))
		}
		start, err1 := time.Parse("2006-01-02", from)
		end, err2 := time.Parse("2006-01-02", to)
		if err1 != nil || err2 != nil || end.Before(start) {
			break
		}
		for s := start; !s.After(end) && len(c.titles) < 1000; {
			e := periodEnd(by, s)
			if e.After(end) {
				e = end
			}
			c.starts, c.ends = append(c.starts, qbDate(s)), append(c.ends, qbDate(e))
			c.titles = append(c.titles, periodTitle(by, s, e))
			s = e.AddDate(0, 0, 1)
		}
		return c
	case "Customer", "Vendor", "Employee", "Payee", "Class", "ItemDetail", "ItemType", "Account":
		keyOf := map[string]func(p posting) string{
			"Customer": func(p posting) string { return orDefault(p.job, p.entity) }, "Vendor": func(p posting) string { return p.entity },
			"Employee": func(p posting) string { return p.entity }, "Payee": func(p posting) string { return p.entity },
			"Class": func(p posting) string { return p.class }, "ItemDetail": func(p posting) string { return p.item },
			"ItemType": func(p posting) string { return l.listTypes[p.item] }, "Account": func(p posting) string { return p.account },
		}[by]
		want := map[string]string{"Customer": "Customer", "Vendor": "Vendor", "Employee": "Employee"}[by]
		seen := map[string]bool{}
		var keys []string
		for _, p := range ps {
			k := keyOf(p)
			if want != "" && l.listTypes[k] != want {
				k = ""
			}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		title := func(k string) string {
			switch {
			case k == "":
				return noName(by)
			case by == "ItemType":
				return strings.TrimPrefix(k, "Item")
			}
			return orDefault(l.names[k], k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if (keys[i] == "") != (keys[j] == "") {
				return keys[j] == "" // the "no ..." column comes last
			}
			return nameKey(title(keys[i])) < nameKey(title(keys[j]))
		})
		c.index = map[string]int{}
		for i, k := range keys {
			c.index[k] = i
			c.titles = append(c.titles, title(k))
		}
		c.dim = func(p posting) string {
			k := keyOf(p)
			if want != "" && l.listTypes[k] != want {
				return ""
			}
			return k
		}
		return c
	}
	c.totalTitle = "TOTAL"
	return c
}

// noName is the title of the column of postings without a name, class or
// item.
func noName(by string) string {
	switch by {
	case "Class":
		return "Unclassified"
	case "ItemDetail", "ItemType":
		return "No item"
	}
	return "No name"
}

// periodEnd returns the last day of the period of kind by that starts at s.
func periodEnd(by string, s time.Time) time.Time {
	switch by {
	case "Day":
		return s
	case "Week":
		return s.AddDate(0, 0, 6-int(s.Weekday()))
	case "TwoWeek":
		return s.AddDate(0, 0, 13)
	case "FourWeek":
		return s.AddDate(0, 0, 27)
	case "HalfMonth":
		if s.Day() <= 15 {
			return time.Date(s.Year(), s.Month(), 15, 0, 0, 0, 0, time.UTC)
		}
		return time.Date(s.Year(), s.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	case "Month":
		return time.Date(s.Year(), s.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	case "Quarter":
		q := (int(s.Month()) - 1) / 3
		return time.Date(s.Year(), time.Month(q*3+4), 0, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(s.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
}

// periodTitle is a date column's title, as QuickBooks abbreviates it
// ("Jan 25", "Jan - Mar 25", "Jan - Dec 25", "Mar 2 - 8, 25").
func periodTitle(by string, s, e time.Time) string {
	switch by {
	case "Month":
		return s.Format("Jan 06")
	case "Quarter", "Year":
		return s.Format("Jan") + " - " + e.Format("Jan 06")
	case "Day":
		return s.Format("Jan 2, 06")
	}
	return s.Format("Jan 2") + " - " + e.Format("Jan 2, 06")
}

// natural returns a posting amount with the sign of its account's normal
// balance (a credit to income is positive income).
func (l *ledger) natural(p posting) int64 {
	if a := l.accounts[p.account]; a != nil && !isDebitNormal(a.typ) {
		return -p.amount
	}
	return p.amount
}

// credit is a posting's amount as income: credits positive, so that cost
// of goods sold is subtracted from the income it sits with.
func credit(p posting) int64 { return -p.amount }

// generalSummary answers GeneralSummaryReportQueryRq.
func (l *ledger) generalSummary(q *reportQuery) (*report, error) {
	switch q.kind {
	case "ProfitAndLossStandard", "ProfitAndLossYTDComp", "ProfitAndLossPrevYearComp", "IncomeTaxSummary":
		return l.profitAndLoss(q, "Profit & Loss", q.columns), nil
	case "ProfitAndLossByClass":
		return l.profitAndLoss(q, "Profit & Loss by Class", "Class"), nil
	case "ProfitAndLossByJob":
		return l.profitAndLoss(q, "Profit & Loss by Job", "Customer"), nil
	case "BalanceSheetStandard", "BalanceSheetPrevYearComp":
		return l.balanceSheet(q, "Balance Sheet", q.columns, false), nil
	case "BalanceSheetByClass":
		return l.balanceSheet(q, "Balance Sheet by Class", "Class", false), nil
	case "BalanceSheetSummary":
		return l.balanceSheet(q, "Summary Balance Sheet", q.columns, true), nil
	case "TrialBalance":
		return l.trialBalance(q), nil
	case "IncomeByCustomerSummary":
		return l.pivot(q, "Income by Customer Summary", true, func(p posting) bool {
			return accountIn(l, p, "Income", "OtherIncome", "CostOfGoodsSold")
		}, l.byCustomer, credit), nil
	case "SalesByCustomerSummary":
		return l.pivot(q, "Sales by Customer Summary", true, func(p posting) bool {
			return isSale(p.txnType) && accountIn(l, p, "Income", "OtherIncome")
		}, l.byCustomer, l.natural), nil
	case "SalesByRepSummary":
		return l.pivot(q, "Sales by Rep Summary", true, func(p posting) bool {
			return isSale(p.txnType) && accountIn(l, p, "Income", "OtherIncome")
		}, l.bySalesRep, l.natural), nil
	case "ExpenseByVendorSummary":
		return l.pivot(q, "Expenses by Vendor Summary", true, func(p posting) bool {
			return accountIn(l, p, "Expense", "OtherExpense", "CostOfGoodsSold")
		}, l.byEntity("vendor", "No name"), l.natural), nil
	case "PurchaseByVendorSummary":
		return l.pivot(q, "Purchases by Vendor Summary", true, func(p posting) bool {
			return isPurchase(p.txnType) && p.item != ""
		}, l.byEntity("vendor", "No name"), func(p posting) int64 { return p.amount }), nil
	case "SalesByItemSummary":
		return l.itemSummary(q, "Sales by Item Summary", true), nil
	case "PurchaseByItemSummary":
		return l.itemSummary(q, "Purchases by Item Summary", false), nil
	case "CustomerBalanceSummary":
		return l.balanceBy(q, "Customer Balance Summary", l.ar), nil
	case "VendorBalanceSummary":
		return l.balanceBy(q, "Vendor Balance Summary", l.ap), nil
	case "SalesTaxLiability", "SalesTaxRevenueSummary":
		title := map[string]string{"SalesTaxLiability": "Sales Tax Liability", "SalesTaxRevenueSummary": "Sales Tax Revenue Summary"}[q.kind]
		return l.pivot(q, title, true, func(p posting) bool { return p.account == l.salesTax }, l.byCustomer, l.natural), nil
	case "InventoryStockStatusByItem", "InventoryStockStatusByVendor", "InventoryValuationSummary", "InventoryValuationSummaryBySite",
		"PhysicalInventoryWorksheet", "LotNumberInStockBySite", "SerialNumberInStockBySite":
		return l.inventory(q), nil
	}
	return nil, qbErr(stInvalidValue, "The GeneralSummaryReportType %q is not supported.", q.kind)
}

func accountIn(l *ledger, p posting, types ...string) bool {
	a := l.accounts[p.account]
	if a == nil {
		return false
	}
	for _, t := range types {
		if a.typ == t {
			return true
		}
	}
	return false
}

func isSale(typ string) bool {
	return typ == "Invoice" || typ == "SalesReceipt" || typ == "CreditMemo" || typ == "ReceivePayment"
}

func isPurchase(typ string) bool {
	switch typ {
	case "Bill", "ItemReceipt", "VendorCredit", "Check", "CreditCardCharge", "CreditCardCredit", "BillPaymentCheck", "BillPaymentCreditCard":
		return true
	}
	return false
}

// plSections are the sections of a profit and loss, in order.
var plSections = []struct{ typ, heading, total string }{
	{"Income", "Income", "Total Income"},
	{"CostOfGoodsSold", "Cost of Goods Sold", "Total COGS"},
	{"Expense", "Expense", "Total Expense"},
	{"OtherIncome", "Other Income", "Total Other Income"},
	{"OtherExpense", "Other Expense", "Total Other Expense"},
}

// accountAmounts sums natural amounts by account into column vectors,
// for the postings keep accepts.
func (l *ledger) accountAmounts(ps []posting, cols *colSet, keep func(p posting) bool) map[string][]int64 {
	out := map[string][]int64{}
	for _, p := range ps {
		if !keep(p) {
			continue
		}
		v := out[p.account]
		if v == nil {
			v = make([]int64, cols.n())
			out[p.account] = v
		}
		cols.add(v, p, l.natural(p))
	}
	return out
}

func sumInto(dst, src []int64, sign int64) {
	for i := range dst {
		dst[i] += sign * src[i]
	}
}

// profitAndLoss lays out QuickBooks' profit and loss: Ordinary
// Income/Expense (income, cost of goods sold, gross profit, expense), net
// ordinary income, Other Income/Expense, and Net Income.
func (l *ledger) profitAndLoss(q *reportQuery, title, by string) *report {
	var ps []posting
	for _, p := range l.postings(q) {
		if q.inPeriod(p.date) && !isBalanceSheet(l.accounts[p.account].typ) {
			ps = append(ps, p)
		}
	}
	cols := l.columns(q, ps, by)
	amounts := l.accountAmounts(ps, cols, func(posting) bool { return true })
	r := &report{title: title, subtitle: q.periodLabel(), basis: q.basisName(), cols: cols.descs("Amount")}
	totals := map[string][]int64{}
	section := func(i int) bool {
		s := plSections[i]
		var rows []*ledgerAccount
		for _, a := range l.sortedAccounts() {
			if a.typ == s.typ && amounts[a.id] != nil {
				rows = append(rows, a)
			}
		}
		totals[s.typ] = make([]int64, cols.n())
		if len(rows) == 0 {
			return false
		}
		r.text(s.heading)
		totals[s.typ] = l.accountRows(r, rows, amounts, cols.n())
		r.amountRow("SubtotalRow", "", "", s.total, totals[s.typ])
		return true
	}
	n := cols.n()
	diff := func(a, b []int64) []int64 {
		out := make([]int64, n)
		sumInto(out, a, 1)
		sumInto(out, b, -1)
		return out
	}
	r.text("Ordinary Income/Expense")
	section(0)
	if section(1) {
		r.amountRow("SubtotalRow", "", "", "Gross Profit", diff(totals["Income"], totals["CostOfGoodsSold"]))
	}
	section(2)
	gross := diff(totals["Income"], totals["CostOfGoodsSold"])
	ordinary := diff(gross, totals["Expense"])
	r.amountRow("SubtotalRow", "", "", "Net Ordinary Income", ordinary)
	other := make([]int64, n)
	if hasOther := amountsOfType(l, amounts, "OtherIncome", "OtherExpense"); hasOther {
		r.text("Other Income/Expense")
		section(3)
		section(4)
		other = diff(totals["OtherIncome"], totals["OtherExpense"])
		r.amountRow("SubtotalRow", "", "", "Net Other Income", other)
	}
	net := make([]int64, n)
	sumInto(net, ordinary, 1)
	sumInto(net, other, 1)
	r.amountRow("TotalRow", "", "", "Net Income", net)
	return r
}

func amountsOfType(l *ledger, amounts map[string][]int64, types ...string) bool {
	for id := range amounts {
		for _, t := range types {
			if l.accounts[id].typ == t {
				return true
			}
		}
	}
	return false
}

// fiscalYearStart is the first day of the fiscal year of a date; the
// simulator's companies start their fiscal year in January.
func fiscalYearStart(date string) string {
	if len(date) < 4 {
		return date
	}
	return date[:4] + "-01-01"
}

// bsGroups are the balance sheet's groups, in order.
var bsGroups = []struct{ typ, heading, total, parent string }{
	{"Bank", "Checking/Savings", "Total Checking/Savings", "Current Assets"},
	{"AccountsReceivable", "Accounts Receivable", "Total Accounts Receivable", "Current Assets"},
	{"OtherCurrentAsset", "Other Current Assets", "Total Other Current Assets", "Current Assets"},
	{"FixedAsset", "Fixed Assets", "Total Fixed Assets", ""},
	{"OtherAsset", "Other Assets", "Total Other Assets", ""},
	{"AccountsPayable", "Accounts Payable", "Total Accounts Payable", "Current Liabilities"},
	{"CreditCard", "Credit Cards", "Total Credit Cards", "Current Liabilities"},
	{"OtherCurrentLiability", "Other Current Liabilities", "Total Other Current Liabilities", "Current Liabilities"},
	{"LongTermLiability", "Long Term Liabilities", "Total Long Term Liabilities", ""},
}

// balanceSheet lays out QuickBooks' balance sheet as of the period's end
// (or each column's end): ASSETS (current assets by group, fixed and other
// assets), LIABILITIES & EQUITY (liabilities by group; equity accounts,
// Retained Earnings with the net income of earlier fiscal years, and Net
// Income of the fiscal year to date). Summary shows each group as one row.
func (l *ledger) balanceSheet(q *reportQuery, title, by string, summary bool) *report {
	asOf := q.asOf()
	all := l.postings(q)
	var ps []posting
	for _, p := range all {
		if p.date <= asOf {
			ps = append(ps, p)
		}
	}
	cols := l.columns(q, ps, by)
	n := cols.n()
	// Each column's as-of date: a date column its end, the others asOf.
	colEnd := func(i int) string {
		if cols.starts != nil && i < len(cols.ends) {
			return cols.ends[i]
		}
		return asOf
	}
	bal := map[string][]int64{}
	prior := make([]int64, n)   // net income of earlier fiscal years
	current := make([]int64, n) // net income of the fiscal year to date
	for _, p := range ps {
		a := l.accounts[p.account]
		for i := 0; i < n; i++ {
			inCol := true
			if cols.starts == nil && cols.dim != nil && i < len(cols.titles) {
				inCol = cols.col(p) == i
			}
			end := colEnd(i)
			if !inCol || p.date > end {
				continue
			}
			if isBalanceSheet(a.typ) {
				v := bal[a.id]
				if v == nil {
					v = make([]int64, n)
					bal[a.id] = v
				}
				v[i] += l.natural(p)
			} else if p.date < fiscalYearStart(end) {
				prior[i] -= p.amount
			} else {
				current[i] -= p.amount
			}
		}
	}
	if id := l.retained; id != "" {
		v := bal[id]
		if v == nil {
			v = make([]int64, n)
			bal[id] = v
		}
		sumInto(v, prior, 1)
	}
	r := &report{title: title, subtitle: q.asOfLabel(), basis: q.basisName(), cols: cols.descs("Amount")}
	group := func(typ, heading, total string) []int64 {
		sum := make([]int64, n)
		var rows []*ledgerAccount
		for _, a := range l.sortedAccounts() {
			if a.typ == typ && bal[a.id] != nil && nonZero(bal[a.id]) {
				rows = append(rows, a)
			}
		}
		for _, a := range rows {
			sumInto(sum, bal[a.id], 1)
		}
		if len(rows) == 0 {
			return sum
		}
		if summary {
			r.amountRow("DataRow", "label", heading, heading, sum)
			return sum
		}
		r.text(heading)
		l.accountRows(r, rows, bal, n)
		r.amountRow("SubtotalRow", "", "", total, sum)
		return sum
	}
	block := func(groups []int, heading, total string) []int64 {
		sum := make([]int64, n)
		if heading != "" {
			r.text(heading)
		}
		for _, g := range groups {
			sumInto(sum, group(bsGroups[g].typ, bsGroups[g].heading, bsGroups[g].total), 1)
		}
		if total != "" {
			r.amountRow("SubtotalRow", "", "", total, sum)
		}
		return sum
	}
	r.text("ASSETS")
	assets := make([]int64, n)
	sumInto(assets, block([]int{0, 1, 2}, "Current Assets", "Total Current Assets"), 1)
	sumInto(assets, block([]int{3}, "", ""), 1)
	sumInto(assets, block([]int{4}, "", ""), 1)
	r.amountRow("TotalRow", "", "", "TOTAL ASSETS", assets)
	r.text("LIABILITIES & EQUITY")
	r.text("Liabilities")
	liab := make([]int64, n)
	sumInto(liab, block([]int{5, 6, 7}, "Current Liabilities", "Total Current Liabilities"), 1)
	sumInto(liab, block([]int{8}, "", ""), 1)
	r.amountRow("SubtotalRow", "", "", "Total Liabilities", liab)
	r.text("Equity")
	equity := make([]int64, n)
	var equities []*ledgerAccount
	for _, a := range l.sortedAccounts() {
		if a.typ == "Equity" && bal[a.id] != nil && nonZero(bal[a.id]) {
			equities = append(equities, a)
			sumInto(equity, bal[a.id], 1)
		}
	}
	if !summary {
		l.accountRows(r, equities, bal, n)
	}
	if summary {
		r.amountRow("DataRow", "label", "Equity", "Equity", equity)
	}
	r.amountRow("DataRow", "label", "Net Income", "Net Income", current)
	sumInto(equity, current, 1)
	r.amountRow("SubtotalRow", "", "", "Total Equity", equity)
	total := make([]int64, n)
	sumInto(total, liab, 1)
	sumInto(total, equity, 1)
	r.amountRow("TotalRow", "", "", "TOTAL LIABILITIES & EQUITY", total)
	return r
}

func nonZero(v []int64) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// trialBalance lists every account's balance as of the period's end in a
// Debit and a Credit column: balance sheet accounts since the beginning,
// income and expense accounts for the fiscal year to date (earlier years
// are in Retained Earnings), as QuickBooks does.
func (l *ledger) trialBalance(q *reportQuery) *report {
	asOf := q.asOf()
	fy := fiscalYearStart(asOf)
	bal := map[string]int64{}
	for _, p := range l.postings(q) {
		if p.date > asOf {
			continue
		}
		a := l.accounts[p.account]
		if isBalanceSheet(a.typ) || p.date >= fy {
			bal[a.id] += p.amount
		} else {
			bal[l.retained] += p.amount
		}
	}
	r := &report{title: "Trial Balance", subtitle: q.asOfLabel(), basis: q.basisName(), cols: []reportCol{
		{colType: "Label", dataType: "STRTYPE"},
		{title: "Debit", colType: "Debit", dataType: "AMTTYPE"},
		{title: "Credit", colType: "Credit", dataType: "AMTTYPE"},
	}}
	var debit, credit int64
	for _, a := range l.sortedAccounts() {
		b := bal[a.id]
		if b == 0 {
			continue
		}
		if b > 0 {
			debit += b
			r.row("DataRow", "account", a.fullName, a.fullName, formatCents(b), "")
		} else {
			credit -= b
			r.row("DataRow", "account", a.fullName, a.fullName, "", formatCents(-b))
		}
	}
	r.row("TotalRow", "", "", "TOTAL", formatCents(debit), formatCents(credit))
	return r
}

// rowKey names the row a posting belongs to: its key, label and RowData
// rowType.
type rowKey func(p posting) (key, label, rowType string)

func (l *ledger) byCustomer(p posting) (string, string, string) {
	id := orDefault(p.job, p.entity)
	if id == "" || l.listTypes[id] != "Customer" {
		return "", "No name", "label"
	}
	return id, l.names[id], "customer"
}

// byEntity puts postings in rows by name; a row's RowData rowType is its
// name's kind (customer, vendor, employee, otherName), or rowType.
func (l *ledger) byEntity(rowType, none string) rowKey {
	return func(p posting) (string, string, string) {
		if p.entity == "" {
			return "", none, "label"
		}
		rt := rowType
		switch l.listTypes[p.entity] {
		case "Customer", "Vendor", "Employee":
			rt = strings.ToLower(l.listTypes[p.entity])
		case "OtherName":
			rt = "otherName"
		}
		return p.entity, orDefault(l.names[p.entity], p.entity), rt
	}
}

func (l *ledger) bySalesRep(p posting) (string, string, string) {
	if t := l.txnByID[p.txnID]; t != nil {
		if rep := textAt(t.ret, "SalesRepRef/FullName"); rep != "" {
			return rep, rep, "salesRep"
		}
	}
	return "", "No sales rep", "label"
}

func (l *ledger) byItem(p posting) (string, string, string) {
	if p.item == "" {
		return "", "No item", "label"
	}
	return p.item, l.names[p.item], "item"
}

func (l *ledger) byAccount(p posting) (string, string, string) {
	return p.account, l.accounts[p.account].fullName, "account"
}

func (l *ledger) byClass(p posting) (string, string, string) {
	if p.class == "" {
		return "", "Unclassified", "label"
	}
	return p.class, l.names[p.class], "class"
}

// pivot sums the postings of the period that keep accepts into one row per
// key (sorted by label, "No name" last) and the query's columns.
func (l *ledger) pivot(q *reportQuery, title string, period bool, keep func(p posting) bool, key rowKey, amount func(p posting) int64) *report {
	var ps []posting
	for _, p := range l.postings(q) {
		if keep(p) && (!period || q.inPeriod(p.date)) && (period || p.date <= q.asOf()) {
			ps = append(ps, p)
		}
	}
	cols := l.columns(q, ps, q.columns)
	type row struct {
		key, label, rowType string
		v                   []int64
	}
	rows := map[string]*row{}
	for _, p := range ps {
		k, label, rt := key(p)
		rw := rows[k]
		if rw == nil {
			rw = &row{key: k, label: label, rowType: rt, v: make([]int64, cols.n())}
			rows[k] = rw
		}
		cols.add(rw.v, p, amount(p))
	}
	list := make([]*row, 0, len(rows))
	for _, rw := range rows {
		list = append(list, rw)
	}
	sort.Slice(list, func(i, j int) bool {
		if (list[i].key == "") != (list[j].key == "") {
			return list[j].key == ""
		}
		return nameKey(list[i].label) < nameKey(list[j].label)
	})
	sub := q.periodLabel()
	if !period {
		sub = q.asOfLabel()
	}
	r := &report{title: title, subtitle: sub, basis: q.basisName(), cols: cols.descs("Amount")}
	total := make([]int64, cols.n())
	for _, rw := range list {
		r.amountRow("DataRow", rw.rowType, rw.label, rw.label, rw.v)
		sumInto(total, rw.v, 1)
	}
	r.amountRow("TotalRow", "", "", "TOTAL", total)
	return r
}

// balanceBy lists the balance of a control account (A/R or A/P) by
// customer or vendor as of the period's end.
func (l *ledger) balanceBy(q *reportQuery, title, account string) *report {
	rowType := "customer"
	if account == l.ap {
		rowType = "vendor"
	}
	return l.pivot(q, title, false, func(p posting) bool { return p.account == account }, l.byEntity(rowType, "No name"), l.natural)
}

// itemSummary lists sales (or purchases) by item: quantity and amount for
// the period, or the amount by column.
func (l *ledger) itemSummary(q *reportQuery, title string, sales bool) *report {
	keep := func(p posting) bool {
		if p.item == "" || !q.inPeriod(p.date) {
			return false
		}
		if sales {
			return isSale(p.txnType) && accountIn(l, p, "Income", "OtherIncome")
		}
		return isPurchase(p.txnType) && !accountIn(l, p, "AccountsPayable", "Bank", "CreditCard")
	}
	amount := func(p posting) int64 {
		if sales {
			return -p.amount
		}
		return p.amount
	}
	if q.columns != "" && q.columns != "TotalOnly" {
		return l.pivot(q, title, true, keep, l.byItem, amount)
	}
	type row struct {
		label string
		qty   float64
		amt   int64
	}
	rows := map[string]*row{}
	for _, p := range l.postings(q) {
		if !keep(p) {
			continue
		}
		rw := rows[p.item]
		if rw == nil {
			rw = &row{label: l.names[p.item]}
			rows[p.item] = rw
		}
		sign := 1.0
		if amount(p) < 0 {
			sign = -1
		}
		rw.qty += sign * p.quantity
		rw.amt += amount(p)
	}
	list := make([]*row, 0, len(rows))
	for _, rw := range rows {
		list = append(list, rw)
	}
	sort.Slice(list, func(i, j int) bool { return nameKey(list[i].label) < nameKey(list[j].label) })
	r := &report{title: title, subtitle: q.periodLabel(), basis: q.basisName(), cols: []reportCol{
		{colType: "Label", dataType: "STRTYPE"},
		{title: "Qty", colType: "Quantity", dataType: "QUANTYPE"},
		{title: "Amount", colType: "Amount", dataType: "AMTTYPE"},
	}}
	var qty float64
	var amt int64
	for _, rw := range list {
		r.row("DataRow", "item", rw.label, rw.label, formatQty(rw.qty), formatCents(rw.amt))
		qty += rw.qty
		amt += rw.amt
	}
	r.row("TotalRow", "", "", "TOTAL", formatQty(qty), formatCents(amt))
	return r
}

func formatQty(v float64) string {
	s := fmt.Sprintf("%.5f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// inventory lists inventory items with their quantity on hand, average
// cost and asset value.
func (l *ledger) inventory(q *reportQuery) *report {
	r := &report{title: "Inventory Valuation Summary", subtitle: q.asOfLabel(), cols: []reportCol{
		{colType: "Label", dataType: "STRTYPE"},
		{title: "On Hand", colType: "QuantityOnHand", dataType: "QUANTYPE"},
		{title: "Avg Cost", colType: "AverageCost", dataType: "PRICETYPE"},
		{title: "Asset Value", colType: "ValueOnHand", dataType: "AMTTYPE"},
	}}
	var items []*ledgerItem
	for _, it := range l.items {
		if it.typ == "ItemInventory" || it.typ == "ItemInventoryAssembly" {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool { return nameKey(items[i].fullName) < nameKey(items[j].fullName) })
	var value int64
	var qty float64
	for _, it := range items {
		v := int64(it.quantityOnHand * float64(it.cost))
		value += v
		qty += it.quantityOnHand
		r.row("DataRow", "item", it.fullName, it.fullName, formatQty(it.quantityOnHand), formatCents(it.cost), formatCents(v))
	}
	r.row("TotalRow", "", "", "TOTAL", formatQty(qty), "", formatCents(value))
	return r
}

// accountRows lays out accounts (of one section, in chart order, each
// with its own amounts) as QuickBooks nests sub-accounts: an account
// without sub-accounts is a DataRow; one with them is a TextRow, its
// sub-accounts, a "Name - Other" DataRow for its own postings, and a
// "Total Name" SubtotalRow. RowData names each account by its full name.
// It returns the sum of every account.
func (l *ledger) accountRows(r *report, accounts []*ledgerAccount, amounts map[string][]int64, n int) []int64 {
	// Parents head their sub-accounts even without amounts of their own.
	in := map[string]bool{}
	for _, a := range accounts {
		for p := a; p != nil && !in[p.id] && p.typ == a.typ; p = l.accounts[p.parent] {
			in[p.id] = true
		}
	}
	children := map[string][]*ledgerAccount{}
	var roots []*ledgerAccount
	for _, a := range l.sortedAccounts() {
		switch {
		case !in[a.id]:
		case a.parent != "" && in[a.parent]:
			children[a.parent] = append(children[a.parent], a)
		default:
			roots = append(roots, a)
		}
	}
	var emit func(a *ledgerAccount) []int64
	emit = func(a *ledgerAccount) []int64 {
		own := amounts[a.id]
		if own == nil {
			own = make([]int64, n)
		}
		kids := children[a.id]
		label := orDefault(a.name, a.fullName)
		if len(kids) == 0 {
			r.amountRow("DataRow", "account", a.fullName, label, own)
			return own
		}
		sum := make([]int64, n)
		r.text(label)
		for _, k := range kids {
			sumInto(sum, emit(k), 1)
		}
		if nonZero(own) {
			r.amountRow("DataRow", "account", a.fullName, label+" - Other", own)
			sumInto(sum, own, 1)
		}
		r.amountRow("SubtotalRow", "account", a.fullName, "Total "+label, sum)
		return sum
	}
	total := make([]int64, n)
	for _, a := range roots {
		sumInto(total, emit(a), 1)
	}
	return total
}
