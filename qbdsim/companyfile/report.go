package companyfile

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Reports answer the ten *ReportQueryRq of qbXML 13.0 with one ReportRet
// laid out as QuickBooks lays it out (Intuit's SDK reference, "Reports";
// the ReportRet content model of qbxml130.xsd): a title and subtitle, the
// basis, the counts, one ColDesc per column (ColTitle rows and a ColType),
// and ReportData, whose rows are TextRow (a section heading), DataRow (one
// account, customer, item...: RowData names it, ColData holds one cell per
// column by colID), SubtotalRow (a section's total) and TotalRow (the
// report's total). Column 1 is always the label column.

// reportCol is one column of a report.
type reportCol struct {
	title    string
	colType  string // ColType: Label, Amount, Total, Debit, Credit, ...
	dataType string // STRTYPE, AMTTYPE, QUANTYPE, DATETYPE, ...
}

// reportRow is one row of a report.
type reportRow struct {
	kind     string // DataRow, TextRow, SubtotalRow, TotalRow
	rowType  string // RowData rowType ("account", "customer", "label"...), or ""
	rowValue string
	cells    []string // by column; "" leaves a cell out
}

// report is a report being built.
type report struct {
	title, subtitle, basis string
	cols                   []reportCol
	rows                   []reportRow
}

func (r *report) text(label string) {
	r.rows = append(r.rows, reportRow{kind: "TextRow", cells: []string{label}})
}

func (r *report) row(kind, rowType, rowValue string, cells ...string) {
	r.rows = append(r.rows, reportRow{kind: kind, rowType: rowType, rowValue: rowValue, cells: cells})
}

// amountRow adds a row whose cells after the label are amounts in cents.
func (r *report) amountRow(kind, rowType, rowValue, label string, amounts []int64) {
	cells := make([]string, 0, len(amounts)+1)
	cells = append(cells, label)
	for _, a := range amounts {
		cells = append(cells, formatCents(a))
	}
	r.row(kind, rowType, rowValue, cells...)
}

// write appends the ReportRet.
func (r *report) write(b *bytes.Buffer) {
	b.WriteString("<ReportRet>")
	writeTextEl(b, "ReportTitle", r.title)
	writeTextEl(b, "ReportSubtitle", r.subtitle)
	if r.basis != "" {
		writeTextEl(b, "ReportBasis", r.basis)
	}
	writeTextEl(b, "NumRows", strconv.Itoa(len(r.rows)))
	writeTextEl(b, "NumColumns", strconv.Itoa(len(r.cols)))
	writeTextEl(b, "NumColTitleRows", "1")
	for i, c := range r.cols {
		fmt.Fprintf(b, `<ColDesc colID="%d" dataType="%s"><ColTitle titleRow="1"`, i+1, c.dataType)
		if c.title != "" {
			b.WriteString(` value="`)
			escapeText(b, c.title, true)
			b.WriteByte('"')
		}
		b.WriteString(" />")
		writeTextEl(b, "ColType", c.colType)
		b.WriteString("</ColDesc>")
	}
	if len(r.rows) > 0 {
		b.WriteString("<ReportData>")
		for i, row := range r.rows {
			fmt.Fprintf(b, `<%s rowNumber="%d"`, row.kind, i+1)
			if row.kind == "TextRow" {
				b.WriteString(` value="`)
				if len(row.cells) > 0 {
					escapeText(b, row.cells[0], true)
				}
				b.WriteString(`" />`)
				continue
			}
			b.WriteByte('>')
			if row.rowType != "" {
				fmt.Fprintf(b, `<RowData rowType="%s" value="`, row.rowType)
				escapeText(b, row.rowValue, true)
				b.WriteString(`" />`)
			}
			for j, v := range row.cells {
				if v == "" || j >= len(r.cols) {
					continue
				}
				fmt.Fprintf(b, `<ColData colID="%d" value="`, j+1)
				escapeText(b, v, true)
				b.WriteString(`" />`)
			}
			fmt.Fprintf(b, "</%s>", row.kind)
		}
		b.WriteString("</ReportData>")
	}
	b.WriteString("</ReportRet>\n")
}

// reportQuery is what a *ReportQueryRq asks, read once from the request.
type reportQuery struct {
	rq       *qbxml.Node
	kind     string // the request's XxxReportType value
	from, to string // YYYY-MM-DD; "" is open
	cash     bool
	columns  string // SummarizeColumnsBy
	rowsBy   string // SummarizeRowsBy
	now      time.Time
	// filters; nil accepts everything
	accounts, entities, items, classes map[string]bool
	accountTypes                       map[string]bool
	entityTypes                        map[string]bool
	txnTypes                           map[string]bool
	include                            []string // IncludeColumn
	agingAsOfEnd                       bool
}

// reportQuery handles every *ReportQueryRq.
func (f *File) reportQuery(ctx context.Context, rq *request, rs *response) error {
	q, err := f.readReportQuery(rq)
	if err != nil {
		return err
	}
	l, err := f.loadLedger(ctx)
	if err != nil {
		return err
	}
	var r *report
	switch rq.name {
	case "GeneralSummaryReportQueryRq":
		r, err = l.generalSummary(q)
	case "GeneralDetailReportQueryRq":
		r, err = l.generalDetail(q)
	case "AgingReportQueryRq":
		r, err = l.aging(q)
	case "BudgetSummaryReportQueryRq":
		r, err = l.budgetSummary(q)
	case "CustomSummaryReportQueryRq":
		r, err = l.customSummary(q)
	case "CustomDetailReportQueryRq":
		r, err = l.customDetail(q)
	case "JobReportQueryRq":
		r, err = l.jobReport(q)
	case "TimeReportQueryRq":
		r, err = f.timeReport(ctx, l, q)
	case "PayrollSummaryReportQueryRq", "PayrollDetailReportQueryRq":
		r, err = l.payrollReport(q)
	default:
		return qbErr(stUnsupported, "The request %s is not supported by this QuickBooks simulator.", rq.name)
	}
	if err != nil {
		return err
	}
	r.write(&rs.body)
	rs.count = 1
	return nil
}

// readReportQuery reads the period, basis, columns and filters.
func (f *File) readReportQuery(rq *request) (*reportQuery, error) {
	el := rq.el
	q := &reportQuery{rq: el, now: rq.now, columns: textAt(el, "SummarizeColumnsBy"), rowsBy: textAt(el, "SummarizeRowsBy")}
	for _, c := range el.Children {
		if strings.HasSuffix(c.Name, "ReportType") {
			q.kind = c.Text
		}
	}
	switch textAt(el, "ReportBasis") {
	case "Cash":
		q.cash = true
	}
	if p := kid(el, "ReportPeriod"); p != nil {
		q.from, q.to = textAt(p, "FromReportDate"), textAt(p, "ToReportDate")
		for _, d := range []string{q.from, q.to} {
			if d == "" {
				continue
			}
			if _, err := time.Parse("2006-01-02", d); err != nil {
				return nil, qbErr(stInvalidDate, "The date %q in ReportPeriod is not a valid date (YYYY-MM-DD).", d)
			}
		}
		if q.from != "" && q.to != "" && q.from > q.to {
			return nil, dateRangeError()
		}
	} else if m := textAt(el, "ReportDateMacro"); m != "" {
		from, to, err := reportDateMacro(m, rq.now)
		if err != nil {
			return nil, err
		}
		q.from, q.to = from, to
	} else if rq.name != "BudgetSummaryReportQueryRq" {
		// "If you omit both ToReportDate and FromReportDate, the report
		// will cover the current fiscal year to date" (Intuit's reference
		// of GeneralSummaryReportQuery); the simulator's fiscal year starts
		// in January.
		q.from, q.to = fiscalYearStart(qbDate(rq.now)), qbDate(rq.now)
	}
	q.agingAsOfEnd = textAt(el, "ReportAgingAsOf") == "ReportEndDate"
	for _, c := range kids(el, "IncludeColumn") {
		q.include = append(q.include, c.Text)
	}
	set := func(name string, into *map[string]bool, ns string, typeEl string, typeInto *map[string]bool) {
		e := kid(el, name)
		if e == nil {
			return
		}
		for _, c := range e.Children {
			switch c.Name {
			case "ListID", "ListIDWithChildren":
				if *into == nil {
					*into = map[string]bool{}
				}
				(*into)[c.Text] = true
			case "FullName", "FullNameWithChildren":
				if *into == nil {
					*into = map[string]bool{}
				}
				(*into)["name:"+ns+"/"+nameKey(c.Text)] = true
			case typeEl:
				if *typeInto == nil {
					*typeInto = map[string]bool{}
				}
				(*typeInto)[c.Text] = true
			}
		}
	}
	var none map[string]bool
	set("ReportAccountFilter", &q.accounts, "Account", "AccountTypeFilter", &q.accountTypes)
	set("ReportEntityFilter", &q.entities, "Entity", "EntityTypeFilter", &q.entityTypes)
	set("ReportItemFilter", &q.items, "Item", "ItemTypeFilter", &none)
	set("ReportClassFilter", &q.classes, "Class", "", &none)
	if e := kid(el, "ReportTxnTypeFilter"); e != nil {
		q.txnTypes = map[string]bool{}
		for _, c := range kids(e, "TxnTypeFilter") {
			q.txnTypes[c.Text] = true
		}
	}
	return q, nil
}

// reportDateMacro is dateMacro with the report macros it lacks.
func reportDateMacro(m string, now time.Time) (string, string, error) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	weekStart := day.AddDate(0, 0, -int(day.Weekday()))
	monthStart := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, day.Location())
	quarterStart := time.Date(day.Year(), time.Month((int(day.Month())-1)/3*3+1), 1, 0, 0, 0, 0, day.Location())
	switch m {
	case "LastWeekToDate":
		return qbDate(weekStart.AddDate(0, 0, -7)), qbDate(day.AddDate(0, 0, -7)), nil
	case "LastMonthToDate":
		return qbDate(monthStart.AddDate(0, -1, 0)), qbDate(day.AddDate(0, -1, 0)), nil
	case "LastQuarterToDate":
		return qbDate(quarterStart.AddDate(0, -3, 0)), qbDate(day.AddDate(0, -3, 0)), nil
	case "NextFourWeeks":
		return qbDate(day), qbDate(day.AddDate(0, 0, 27)), nil
	case "NextQuarter":
		return qbDate(quarterStart.AddDate(0, 3, 0)), qbDate(quarterStart.AddDate(0, 6, -1)), nil
	}
	return dateMacro(m, now)
}

// inPeriod says whether a date is within [from, to].
func (q *reportQuery) inPeriod(date string) bool {
	return (q.from == "" || date >= q.from) && (q.to == "" || date <= q.to)
}

// asOf is the date a balance report is as of: the period's end, or today.
func (q *reportQuery) asOf() string {
	if q.to != "" {
		return q.to
	}
	return qbDate(q.now)
}

// postings returns the postings of the query's basis that pass its
// filters (account, name, item, class, transaction type), of any date.
func (l *ledger) postings(q *reportQuery) []posting {
	src := l.accrual
	if q.cash {
		src = l.cash
	}
	out := make([]posting, 0, len(src))
	for _, p := range src {
		if q.accounts != nil && !l.match(q.accounts, p.account, "Account") {
			continue
		}
		if q.accountTypes != nil && !accountTypeMatches(q.accountTypes, l.accounts[p.account].typ) {
			continue
		}
		if q.entities != nil && !l.match(q.entities, p.entity, "Entity") {
			continue
		}
		if q.entityTypes != nil && !entityTypeMatches(q.entityTypes, l.listTypes[p.entity]) {
			continue
		}
		if q.items != nil && !l.match(q.items, p.item, "Item") {
			continue
		}
		if q.classes != nil && !l.match(q.classes, p.class, "Class") {
			continue
		}
		if q.txnTypes != nil && !q.txnTypes["All"] && !q.txnTypes[p.txnType] {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (l *ledger) match(set map[string]bool, id, ns string) bool {
	if id == "" {
		return false
	}
	return set[id] || set["name:"+ns+"/"+nameKey(l.names[id])]
}

// accountTypeMatches applies an AccountTypeFilter value, which names an
// account type or a group of them.
func accountTypeMatches(set map[string]bool, typ string) bool {
	groups := map[string][]string{
		"Asset":                    {"Bank", "AccountsReceivable", "OtherCurrentAsset", "FixedAsset", "OtherAsset"},
		"CurrentAsset":             {"Bank", "AccountsReceivable", "OtherCurrentAsset"},
		"Liability":                {"AccountsPayable", "CreditCard", "OtherCurrentLiability", "LongTermLiability"},
		"CurrentLiability":         {"AccountsPayable", "CreditCard", "OtherCurrentLiability"},
		"BalanceSheet":             accountTypes[:10],
		"IncomeAndExpense":         {"Income", "CostOfGoodsSold", "Expense", "OtherIncome", "OtherExpense"},
		"IncomeAndOtherIncome":     {"Income", "OtherIncome"},
		"ExpenseAndOtherExpense":   {"Expense", "OtherExpense"},
		"OrdinaryIncomeAndExpense": {"Income", "CostOfGoodsSold", "Expense"},
		"OrdinaryIncome":           {"Income"},
		"OrdinaryExpense":          {"Expense"},
		"CostOfSales":              {"CostOfGoodsSold"},
		"ARAndAP":                  {"AccountsReceivable", "AccountsPayable"},
		"APOrCreditCard":           {"AccountsPayable", "CreditCard"},
		"LiabilityAndEquity":       {"AccountsPayable", "CreditCard", "OtherCurrentLiability", "LongTermLiability", "Equity"},
		"BankAndARAndAPAndUF":      {"Bank", "AccountsReceivable", "AccountsPayable"},
		"BankAndUF":                {"Bank"},
	}
	for v := range set {
		if v == typ {
			return true
		}
		for _, t := range groups[v] {
			if t == typ {
				return true
			}
		}
	}
	return false
}

// entityTypeMatches applies an EntityTypeFilter value.
func entityTypeMatches(set map[string]bool, typ string) bool {
	for v := range set {
		if strings.EqualFold(v, typ) {
			return true
		}
	}
	return false
}

// periodLabel is the subtitle of a report over a period, as QuickBooks
// writes it ("January 1 through March 31, 2025", "All Transactions").
func (q *reportQuery) periodLabel() string {
	long := func(d string) string {
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return d
		}
		return t.Format("January 2, 2006")
	}
	switch {
	case q.from == "" && q.to == "":
		return "All Transactions"
	case q.from == "":
		return "Through " + long(q.to)
	case q.to == "":
		return "From " + long(q.from)
	}
	if q.from[:4] == q.to[:4] {
		// QuickBooks names the year once: "January 1 through March 31, 2025".
		if t, err := time.Parse("2006-01-02", q.from); err == nil {
			return t.Format("January 2") + " through " + long(q.to)
		}
	}
	return long(q.from) + " through " + long(q.to)
}

// asOfLabel is the subtitle of a balance report.
func (q *reportQuery) asOfLabel() string {
	t, err := time.Parse("2006-01-02", q.asOf())
	if err != nil {
		return "As of " + q.asOf()
	}
	return "As of " + t.Format("January 2, 2006")
}

func (q *reportQuery) basisName() string {
	if q.cash {
		return "Cash"
	}
	return "Accrual"
}
