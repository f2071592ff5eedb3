package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Financial statements: GET /v1/companies/{companyId}/reports/{report}
// runs a qbXML report query through the company's connection (the
// connector now, or the Web Connector at its next visit), the same
// operation a raw qbXML passthrough is, and answers with the report as
// typed JSON. The last answer of each query (report and parameters) is
// kept in the store with its asOf, so that a repeat within maxAge is
// answered from there without a round trip to QuickBooks.

// Reports keeps the last answer of each report query; it is
// qbconnect.ReportStore (store.ReportStore).
type Reports = qbconnect.ReportStore

func (s *Server) registerReports(rs *routeSet) {
	rs.add("GET", "/v1/companies/{companyId}/reports/{report}", AuthAPIKey, s.getReport)
}

// reportKind is a report the API serves: the qbXML request and report
// type behind it.
type reportKind struct {
	request, typ string
	// aging reports have fixed columns (days past due) and are of open
	// balances, so accrual only.
	aging bool
}

// reportKinds are the reports of GET .../reports/{report}.
var reportKinds = map[string]reportKind{
	"profit-and-loss":  {request: "GeneralSummaryReportQueryRq", typ: "ProfitAndLossStandard"},
	"balance-sheet":    {request: "GeneralSummaryReportQueryRq", typ: "BalanceSheetStandard"},
	"trial-balance":    {request: "GeneralSummaryReportQueryRq", typ: "TrialBalance"},
	"aged-receivables": {request: "AgingReportQueryRq", typ: "ARAgingSummary", aging: true},
	"aged-payables":    {request: "AgingReportQueryRq", typ: "APAgingSummary", aging: true},
	// Who the income came from and where the money went, by name.
	"income-by-customer": {request: "GeneralSummaryReportQueryRq", typ: "IncomeByCustomerSummary"},
	"expense-by-vendor":  {request: "GeneralSummaryReportQueryRq", typ: "ExpenseByVendorSummary"},
}

func reportNames() []string {
	names := make([]string, 0, len(reportKinds))
	for n := range reportKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// reportPeriods maps the API's period names to qbXML's ReportDateMacro.
var reportPeriods = map[string]string{
	"all": "All", "today": "Today", "yesterday": "Yesterday",
	"this-week": "ThisWeek", "this-week-to-date": "ThisWeekToDate", "last-week": "LastWeek", "last-week-to-date": "LastWeekToDate",
	"this-month": "ThisMonth", "this-month-to-date": "ThisMonthToDate", "last-month": "LastMonth", "last-month-to-date": "LastMonthToDate",
	"this-quarter": "ThisQuarter", "this-quarter-to-date": "ThisQuarterToDate", "last-quarter": "LastQuarter", "last-quarter-to-date": "LastQuarterToDate",
	"this-year": "ThisYear", "this-year-to-date": "ThisYearToDate", "last-year": "LastYear", "last-year-to-date": "LastYearToDate",
}

func periodNames() []string {
	names := make([]string, 0, len(reportPeriods))
	for n := range reportPeriods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// reportColumns maps columns= to qbXML's SummarizeColumnsBy.
var reportColumns = map[string]string{"total": "TotalOnly", "week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}

// defaultReportMaxAge is how old a kept answer may be when the request
// does not say (maxAge=).
const defaultReportMaxAge = 15 * time.Minute

// reportParams are the parameters of a report request, checked.
type reportParams struct {
	name               string
	kind               reportKind
	from, to, period   string
	basis, columns     string
	maxAge, wait       time.Duration
	maxAgeSet, waitSet bool
}

// key is the canonical name of the query, under which its last answer is
// kept.
func (p *reportParams) key() string {
	return fmt.Sprintf("%s?basis=%s&columns=%s&from=%s&period=%s&to=%s", p.name, p.basis, p.columns, p.from, p.period, p.to)
}

func (s *Server) readReportParams(r *http.Request) (*reportParams, error) {
	p := &reportParams{name: r.PathValue("report"), basis: "accrual", columns: "total", maxAge: defaultReportMaxAge}
	kind, ok := reportKinds[p.name]
	if !ok {
		return nil, qbconnect.Errorf(qbconnect.ENotFound, "report %q not found (reports: %s)", p.name, strings.Join(reportNames(), ", "))
	}
	p.kind = kind
	q := r.URL.Query()
	for k, v := range q {
		switch k {
		case "from", "to", "period", "basis", "columns", "maxAge", "wait":
		default:
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q (accepted: from, to, period, basis, columns, maxAge, wait)", k)
		}
		if len(v) > 1 {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "query parameter %q is given %d times", k, len(v))
		}
	}
	var err error
	if p.from, p.to, err = dateRange(q, "from", "to"); err != nil {
		return nil, err
	}
	if v := q.Get("period"); v != "" {
		if _, ok := reportPeriods[v]; !ok {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "period must be one of %s, not %q", strings.Join(periodNames(), ", "), v)
		}
		if p.from != "" || p.to != "" {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "give either period or from/to, not both")
		}
		p.period = v
	}
	if v := q.Get("basis"); v != "" {
		if v != "accrual" && v != "cash" {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "basis must be accrual or cash, not %q", v)
		}
		p.basis = v
	}
	if v := q.Get("columns"); v != "" {
		if _, ok := reportColumns[v]; !ok {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "columns must be total, week, month, quarter or year, not %q", v)
		}
		if kind.aging && v != "total" {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s has fixed columns (days past due): columns must be total", p.name)
		}
		if p.name == "trial-balance" && v != "total" {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "trial-balance has fixed columns (debit and credit): columns must be total")
		}
		p.columns = v
	}
	if kind.aging && p.basis != "accrual" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s is of open balances: basis must be accrual", p.name)
	}
	if v := q.Get("maxAge"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "maxAge must be a duration such as \"10m\" (0 asks QuickBooks now), not %q", v)
		}
		p.maxAge, p.maxAgeSet = d, true
	}
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "wait must be a duration such as \"30s\", not %q", v)
		}
		if d > s.cfg.MaxWait {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "wait must be at most %s, not %s", s.cfg.MaxWait, d)
		}
		p.wait, p.waitSet = d, true
	}
	return p, nil
}

// qbxmlRequest is the report query, valid against Intuit's schema.
func (p *reportParams) qbxmlRequest() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">`)
	fmt.Fprintf(&b, `<%s requestID="report">`, p.kind.request)
	typeEl := strings.TrimSuffix(p.kind.request, "QueryRq") + "Type"
	fmt.Fprintf(&b, "<%s>%s</%s>", typeEl, p.kind.typ, typeEl)
	switch {
	case p.period != "":
		fmt.Fprintf(&b, "<ReportDateMacro>%s</ReportDateMacro>", reportPeriods[p.period])
	case p.from != "" || p.to != "":
		b.WriteString("<ReportPeriod>")
		if p.from != "" {
			fmt.Fprintf(&b, "<FromReportDate>%s</FromReportDate>", p.from)
		}
		if p.to != "" {
			fmt.Fprintf(&b, "<ToReportDate>%s</ToReportDate>", p.to)
		}
		b.WriteString("</ReportPeriod>")
	}
	if p.kind.aging {
		if p.to != "" {
			b.WriteString("<ReportAgingAsOf>ReportEndDate</ReportAgingAsOf>")
		}
	} else {
		fmt.Fprintf(&b, "<SummarizeColumnsBy>%s</SummarizeColumnsBy>", reportColumns[p.columns])
		fmt.Fprintf(&b, "<ReportBasis>%s</ReportBasis>", map[string]string{"accrual": "Accrual", "cash": "Cash"}[p.basis])
	}
	fmt.Fprintf(&b, "</%s></QBXMLMsgsRq></QBXML>", p.kind.request)
	return b.String()
}

// reportView is a report as the API serves it.
type reportView struct {
	CompanyID   string           `json:"companyId"`
	Report      string           `json:"report"`
	Title       string           `json:"title"`
	Subtitle    string           `json:"subtitle"`
	Basis       string           `json:"basis"`
	From        string           `json:"from,omitempty"`
	To          string           `json:"to,omitempty"`
	Period      string           `json:"period,omitempty"`
	Columns     []reportColView  `json:"columns"`
	Rows        []reportRowView  `json:"rows"`
	AsOf        time.Time        `json:"asOf"`
	Cached      bool             `json:"cached"`
	OperationID string           `json:"operationId"`
	Totals      map[string][]any `json:"totals"`
}

// reportColView is one amount column.
type reportColView struct {
	Title string `json:"title"`
	Type  string `json:"type"` // QuickBooks' ColType: Amount, Total, Debit, Credit
}

// reportRowView is one row: a section heading, an account (or customer,
// vendor) with its amount per column, a subtotal or the total.
type reportRowView struct {
	Kind    string `json:"kind"` // section, data, subtotal, total
	Label   string `json:"label"`
	RowType string `json:"rowType,omitempty"` // account, customer, vendor, label
	Account string `json:"account,omitempty"` // full name of an account row
	Entity  string `json:"entity,omitempty"`  // full name of a customer, vendor, employee or other name row
	ListID  string `json:"listId,omitempty"`  // of the account, customer or vendor, when synced
	// Amounts has one entry per column: a decimal number, or null for an
	// empty cell.
	Amounts []any `json:"amounts,omitempty"`
}

// getReport serves a report: the kept answer when it is at most maxAge
// old, else QuickBooks' answer to a report query run now (waiting up to
// ?wait=), or the pending operation.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Reports == nil {
		return qbconnect.Errorf(qbconnect.EUnavailable, "reports are not configured on this server")
	}
	p, err := s.readReportParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.company(r)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	snap, err := s.cfg.Reports.FindReport(ctx, c.OrgID, c.ID, p.key())
	if err != nil && qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		return err
	}
	if snap == nil {
		snap = &qbconnect.ReportSnapshot{OrgID: c.OrgID, CompanyID: c.ID, Key: p.key()}
	}
	fresh := func(asOf time.Time) bool { return !asOf.IsZero() && now.Sub(asOf) <= p.maxAge }
	var kept *reportView
	if snap.Data != nil {
		kept = &reportView{}
		if err := json.Unmarshal(snap.Data, kept); err != nil {
			return fmt.Errorf("report: kept answer: %w", err)
		}
	}
	// The operation queued after the kept answer (if any): when it has
	// answered, its answer is the newest; while it runs, a repeat waits on
	// it rather than queueing the query twice.
	var newer *qbconnect.Operation
	if snap.OperationID != "" && (kept == nil || kept.OperationID != snap.OperationID) {
		cur, err := s.cfg.Queue.FindOperation(ctx, c.OrgID, snap.OperationID)
		switch {
		case err == nil:
			newer = cur
		case qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound: // ENotFound: pruned
			return err
		}
	}
	var op *qbconnect.Operation
	switch {
	case newer != nil && newer.Status == qbconnect.OpSucceeded && newer.CompletedAt != nil && fresh(*newer.CompletedAt):
		op = newer
	case kept != nil && fresh(snap.AsOf):
		kept.Cached = true
		writeJSON(w, http.StatusOK, kept)
		return nil
	case newer != nil && !newer.Status.Done():
		op = newer
	}
	if op == nil {
		conn, err := s.linkedConnection(ctx, c)
		if err != nil {
			return err
		}
		op, err = s.cfg.Queue.Enqueue(ctx, &qbconnect.Operation{
			OrgID: c.OrgID, CompanyID: c.ID, ConnectionID: conn.ID, Kind: qbconnect.OpQBXML,
			Priority: qbconnect.PriorityInteractive, Request: p.qbxmlRequest(),
		})
		if err != nil {
			return err
		}
		snap.OperationID = op.ID
		if err := s.cfg.Reports.SaveReport(ctx, snap); err != nil {
			return err
		}
	}
	if op, err = s.waitDone(ctx, op, p.wait); err != nil {
		return err
	}
	if !op.Status.Done() {
		return s.writeOperation(w, r, op, false)
	}
	if op.Status != qbconnect.OpSucceeded {
		e := *operationError(op)
		e.Message = fmt.Sprintf("report operation %s: %s", op.ID, e.Message)
		return &e
	}
	asOf := now
	if op.CompletedAt != nil {
		asOf = *op.CompletedAt
	}
	view, err := s.reportFromQBXML(ctx, c, p, op.Result)
	if err != nil {
		return err
	}
	view.AsOf, view.OperationID = asOf.UTC(), op.ID
	data, err := json.Marshal(view)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	snap.Data, snap.AsOf, snap.OperationID = data, asOf, op.ID
	if err := s.cfg.Reports.SaveReport(context.WithoutCancel(ctx), snap); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// reportFromQBXML reads QuickBooks' ReportRet into the API's view,
// finding the ListID of each account, customer and vendor row among the
// synced records.
func (s *Server) reportFromQBXML(ctx context.Context, c *qbconnect.Company, p *reportParams, resp []byte) (*reportView, error) {
	root, err := qbxml.ParseNode(bytes.NewReader(resp), nil)
	if err != nil {
		return nil, &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "the report answer is not well-formed qbXML", Err: err}
	}
	var rs *qbxml.Node
	if msgs := root.Child("QBXMLMsgsRs"); msgs != nil && len(msgs.Children) > 0 {
		rs = msgs.Children[0]
	}
	if rs == nil {
		return nil, &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "the report answer holds no response"}
	}
	code, _ := rs.Attr("statusCode")
	severity, _ := rs.Attr("statusSeverity")
	if severity == "Error" || rs.Child("ReportRet") == nil {
		msg, _ := rs.Attr("statusMessage")
		return nil, &qbconnect.Error{Code: qbconnect.EQuickBooks, QBCode: code, Message: "QuickBooks answered the report with status " + code + ": " + msg,
			UserMessage: "QuickBooks could not produce the report.", Resolution: "Check the report's parameters; if they are right, try again later."}
	}
	ret := rs.Child("ReportRet")
	text := func(name string) string { v, _ := ret.ChildText(name); return v }
	v := &reportView{CompanyID: c.ID, Report: p.name, Title: text("ReportTitle"), Subtitle: text("ReportSubtitle"),
		Basis: strings.ToLower(text("ReportBasis")), From: p.from, To: p.to, Period: p.period, Totals: map[string][]any{}}
	if v.Basis == "" || v.Basis == "none" {
		v.Basis = p.basis
	}
	amountCols := map[string]int{} // colID -> index in amounts
	for _, cd := range ret.ChildrenNamed("ColDesc") {
		id, _ := cd.Attr("colID")
		dt, _ := cd.Attr("dataType")
		if id == "1" || dt == "STRTYPE" {
			continue
		}
		title := ""
		if t := cd.Child("ColTitle"); t != nil {
			title, _ = t.Attr("value")
		}
		typ, _ := cd.ChildText("ColType")
		amountCols[id] = len(v.Columns)
		v.Columns = append(v.Columns, reportColView{Title: title, Type: typ})
	}
	kinds := map[string]string{"TextRow": "section", "DataRow": "data", "SubtotalRow": "subtotal", "TotalRow": "total"}
	ids := map[string]string{}
	for _, row := range childrenOf(ret.Child("ReportData")) {
		rv := reportRowView{Kind: kinds[row.Name]}
		if rv.Kind == "" {
			continue
		}
		if row.Name == "TextRow" {
			rv.Label, _ = row.Attr("value")
			v.Rows = append(v.Rows, rv)
			continue
		}
		rv.Amounts = make([]any, len(v.Columns))
		for _, cd := range row.ChildrenNamed("ColData") {
			id, _ := cd.Attr("colID")
			val, _ := cd.Attr("value")
			if id == "1" {
				rv.Label = val
				continue
			}
			if i, ok := amountCols[id]; ok && val != "" {
				if _, err := strconv.ParseFloat(val, 64); err == nil {
					rv.Amounts[i] = json.Number(val)
				}
			}
		}
		if rd := row.Child("RowData"); rd != nil {
			rv.RowType, _ = rd.Attr("rowType")
			name, _ := rd.Attr("value")
			dataType := map[string]string{"account": "accounts", "customer": "customers", "vendor": "vendors", "employee": "employees", "otherName": "otherNames"}[rv.RowType]
			switch rv.RowType {
			case "account":
				rv.Account = name
			case "customer", "vendor", "employee", "otherName":
				rv.Entity = name
			}
			if dataType != "" && name != "" {
				rv.ListID = s.listIDByName(ctx, c, dataType, name, ids)
			}
		}
		if rv.Kind == "subtotal" || rv.Kind == "total" || rv.RowType == "label" {
			v.Totals[rv.Label] = rv.Amounts
		}
		v.Rows = append(v.Rows, rv)
	}
	if v.Rows == nil {
		v.Rows = []reportRowView{}
	}
	if v.Columns == nil {
		v.Columns = []reportColView{}
	}
	return v, nil
}

func childrenOf(n *qbxml.Node) []*qbxml.Node {
	if n == nil {
		return nil
	}
	return n.Children
}

// listIDByName finds a synced record's ListID by its full name, or "".
func (s *Server) listIDByName(ctx context.Context, c *qbconnect.Company, dataType, name string, cache map[string]string) string {
	if s.cfg.Records == nil {
		return ""
	}
	k := dataType + "/" + name
	if id, ok := cache[k]; ok {
		return id
	}
	recs, _, err := s.cfg.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: c.OrgID, CompanyID: c.ID, Type: dataType, Name: name, Limit: 1})
	id := ""
	if err == nil && len(recs) > 0 {
		id = recs[0].ID
	}
	cache[k] = id
	return id
}

// reportDocs documents the report endpoint for the OpenAPI document.
func reportDocs() map[string]opSpec {
	amounts := withDesc(array(jsonObj{"type": []string{"number", "null"}}), "One per column: the amount, or null for an empty cell.")
	row := object([]string{"kind", "label"}, jsonObj{
		"kind":    enum("section", "data", "subtotal", "total"),
		"label":   str("As QuickBooks prints it (\"Sales\", \"Total Income\", \"Net Income\")."),
		"rowType": str("QuickBooks' RowData rowType of a data row: account, customer, vendor, label..."),
		"account": str("Full name of the account of an account row."),
		"entity":  str("Full name of the customer, vendor, employee or other name of such a row."),
		"listId":  str("ListID of the account or name, when it has been synced."),
		"amounts": amounts,
	})
	report := object([]string{"companyId", "report", "title", "subtitle", "basis", "columns", "rows", "asOf", "cached", "operationId", "totals"}, jsonObj{
		"companyId": str(""), "report": enum(reportNames()...),
		"title": str("QuickBooks' report title."), "subtitle": str("The period or as-of date, as QuickBooks writes it."),
		"basis": enum("accrual", "cash"), "from": jsonObj{"type": "string", "format": "date"}, "to": jsonObj{"type": "string", "format": "date"},
		"period": enum(periodNames()...),
		"columns": array(object([]string{"title", "type"}, jsonObj{
			"title": str("\"TOTAL\", \"Jan 25\", \"Debit\", \"1 - 30\"..."), "type": str("QuickBooks' ColType: Amount, Total, Debit, Credit."),
		})),
		"rows":        array(row),
		"totals":      withDesc(jsonObj{"type": "object", "additionalProperties": amounts}, "The amounts of every subtotal and total row (and label row such as Net Income) by label."),
		"asOf":        withDesc(dateTime(), "When QuickBooks produced this answer."),
		"cached":      withDesc(boolean(), "True when the answer comes from the store (it is at most maxAge old)."),
		"operationId": str("The operation that fetched it."),
	})
	return map[string]opSpec{
		"GET /v1/companies/{companyId}/reports/{report}": {summary: "A financial statement from QuickBooks (profit-and-loss, balance-sheet, trial-balance, aged-receivables, aged-payables, income-by-customer, expense-by-vendor)", tag: "Report",
			query: []jsonObj{
				queryParam("from", "First day of the period (YYYY-MM-DD); balance reports are as of to.", jsonObj{"type": "string", "format": "date"}),
				queryParam("to", "Last day of the period, or the as-of date (YYYY-MM-DD). Without from and to, the fiscal year to date.", jsonObj{"type": "string", "format": "date"}),
				queryParam("period", "A named period instead of from/to.", enum(periodNames()...)),
				queryParam("basis", "accrual (default) or cash.", enum("accrual", "cash")),
				queryParam("columns", "total (default), or one column per week, month, quarter or year.", enum("total", "week", "month", "quarter", "year")),
				queryParam("maxAge", "Serve the kept answer when it is at most this old (default 15m; 0 asks QuickBooks now).", str("")),
				waitQuery(),
			},
			ok: map[int]jsonObj{
				200: jsonResp("The report.", report),
				202: jsonResp("QuickBooks has not answered yet (the connector is busy, or the Web Connector has not visited): the operation; repeat the request, or follow Location.", ref("Operation")),
			},
			errors: []int{400, 401, 404, 409, 502, 503}},
	}
}
