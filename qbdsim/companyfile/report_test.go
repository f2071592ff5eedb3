package companyfile

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// The layout checked here is the one of Intuit's QuickBooks Desktop SDK
// documentation, "Processing report responses"
// (developer.intuit.com/app/developer/qbdesktop/docs/develop/
// exploring-the-quickbooks-desktop-sdk/processing-report-responses):
// ReportTitle, ReportSubtitle, ReportBasis, NumRows, NumColumns,
// NumColTitleRows, one ColDesc per column with its ColTitle and ColType,
// and ReportData of TextRow, DataRow (RowData naming the account, then
// ColData by colID, column 1 the label), SubtotalRow and TotalRow. Every
// response is validated against qbxml130.xsd by TestMain.

// reportRows reads a ReportRet into label -> cells (by colID) for the
// rows of a kind.
type parsedReport struct {
	ret  *qbxml.Node
	cols []string // ColTitle values by colID-1
	rows []parsedRow
}

type parsedRow struct {
	kind, rowType, rowValue string
	cells                   map[int]string
}

func (r parsedRow) label() string { return r.cells[1] }

func parseReport(tb testing.TB, rs *qbxml.Node) parsedReport {
	tb.Helper()
	ret := kid(rs, "ReportRet")
	if ret == nil {
		tb.Fatalf("no ReportRet in %s", rs.Name)
	}
	p := parsedReport{ret: ret}
	for _, c := range kids(ret, "ColDesc") {
		p.cols = append(p.cols, attrValue(kid(c, "ColTitle"), "value"))
	}
	for _, row := range kid(ret, "ReportData").Children {
		pr := parsedRow{kind: row.Name, cells: map[int]string{}}
		if row.Name == "TextRow" {
			pr.cells[1] = attrValue(row, "value")
		}
		if rd := kid(row, "RowData"); rd != nil {
			pr.rowType, pr.rowValue = attrValue(rd, "rowType"), attrValue(rd, "value")
		}
		for _, cd := range kids(row, "ColData") {
			var id int
			for _, ch := range attrValue(cd, "colID") {
				id = id*10 + int(ch-'0')
			}
			pr.cells[id] = attrValue(cd, "value")
		}
		p.rows = append(p.rows, pr)
	}
	if got, want := textAt(ret, "NumRows"), len(p.rows); got != strconv.Itoa(want) {
		tb.Errorf("NumRows %s, want %d", got, want)
	}
	if got, want := textAt(ret, "NumColumns"), len(p.cols); got != strconv.Itoa(want) {
		tb.Errorf("NumColumns %s, want %d", got, want)
	}
	return p
}

// cell returns one cell of the first row with this label, or "".
func (p parsedReport) cell(label string, col int) string {
	for _, r := range p.rows {
		if r.label() == label {
			return r.cells[col]
		}
	}
	return ""
}

// find returns the cells of the first row with this label.
func (p parsedReport) find(tb testing.TB, label string) map[int]string {
	tb.Helper()
	for _, r := range p.rows {
		if r.label() == label {
			return r.cells
		}
	}
	tb.Fatalf("%s: no row %q", textAt(p.ret, "ReportTitle"), label)
	return nil
}

func summaryRq(typ, extra string) string {
	return `<GeneralSummaryReportQueryRq><GeneralSummaryReportType>` + typ + `</GeneralSummaryReportType>` + extra + `</GeneralSummaryReportQueryRq>`
}

func period(from, to string) string {
	return `<ReportPeriod><FromReportDate>` + from + `</FromReportDate><ToReportDate>` + to + `</ToReportDate></ReportPeriod>`
}

// expectedNetIncome computes the net income of a generated company over a
// period straight from its stored transactions, without the ledger: sales
// (invoice, sales receipt and credit memo subtotals, all to income
// accounts), interest income deposited, minus bills, checks, card charges
// and journal entries (whose debits are expenses).
func expectedNetIncome(tb testing.TB, f *File, from, to string) int64 {
	tb.Helper()
	rows, err := f.db.Query(`SELECT type, ret FROM objects WHERE txn_date BETWEEN ? AND ?`, from, to)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var net int64
	for rows.Next() {
		var typ string
		var raw []byte
		if err := rows.Scan(&typ, &raw); err != nil {
			tb.Fatal(err)
		}
		ret, err := parseNode(raw)
		if err != nil {
			tb.Fatal(err)
		}
		switch typ {
		case "Invoice", "SalesReceipt":
			net += mustCents(textAt(ret, "Subtotal"))
		case "CreditMemo":
			net -= mustCents(textAt(ret, "Subtotal"))
		case "Deposit":
			net += mustCents(textAt(ret, "DepositTotal"))
		case "Bill":
			net -= mustCents(textAt(ret, "AmountDue"))
		case "Check", "CreditCardCharge":
			net -= mustCents(textAt(ret, "Amount"))
		case "JournalEntry":
			for _, l := range kids(ret, "JournalDebitLine") {
				net -= mustCents(textAt(l, "Amount"))
			}
		}
	}
	return net
}

func TestProfitAndLossEqualsIncomeMinusExpensePostingsOfThePeriod(t *testing.T) {
	f := generated(t, smallCompany())
	for _, p := range [][2]string{{"2023-01-01", "2023-12-31"}, {"2022-01-01", "2025-03-01"}, {"2022-07-01", "2022-09-30"}} {
		pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period(p[0], p[1])+`<SummarizeColumnsBy>TotalOnly</SummarizeColumnsBy><ReportBasis>Accrual</ReportBasis>`)))
		want := expectedNetIncome(t, f, p[0], p[1])
		if got := mustCents(pl.find(t, "Net Income")[2]); got != want {
			t.Errorf("%v: Net Income %s, want %s", p, formatCents(got), formatCents(want))
		}
		// Income less expenses, as the rows add up.
		income := mustCents(pl.find(t, "Total Income")[2])
		expense := mustCents(pl.find(t, "Total Expense")[2]) + mustCents(pl.cell("Total COGS", 2))
		other := mustCents(pl.find(t, "Net Other Income")[2])
		if income-expense+other != want {
			t.Errorf("%v: income %s - expense %s + other %s != %s", p, formatCents(income), formatCents(expense), formatCents(other), formatCents(want))
		}
		if got := textAt(pl.ret, "ReportBasis"); got != "Accrual" {
			t.Errorf("ReportBasis %q", got)
		}
	}
}

func TestProfitAndLossByMonthColumnsAddUpToTheTotal(t *testing.T) {
	f := generated(t, smallCompany())
	pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period("2023-01-01", "2023-12-31")+`<SummarizeColumnsBy>Month</SummarizeColumnsBy>`)))
	if len(pl.cols) != 14 || pl.cols[1] != "Jan 23" || pl.cols[12] != "Dec 23" || pl.cols[13] != "TOTAL" {
		t.Fatalf("columns %q, want label, Jan 23 ... Dec 23, TOTAL", pl.cols)
	}
	for _, r := range pl.rows {
		if r.kind == "TextRow" {
			continue
		}
		var sum int64
		for id := 2; id <= 13; id++ {
			sum += mustCents(r.cells[id])
		}
		if sum != mustCents(r.cells[14]) {
			t.Errorf("%s: months sum to %s, total %s", r.label(), formatCents(sum), r.cells[14])
		}
	}
	if got, want := mustCents(pl.find(t, "Net Income")[14]), expectedNetIncome(t, f, "2023-01-01", "2023-12-31"); got != want {
		t.Errorf("Net Income %s, want %s", formatCents(got), formatCents(want))
	}
	byClass := parseReport(t, ok(t, f, summaryRq("ProfitAndLossByClass", period("2023-01-01", "2023-12-31"))))
	last := len(byClass.cols)
	if byClass.cols[last-1] != "TOTAL" || byClass.cols[last-2] != "Unclassified" {
		t.Errorf("class columns %q", byClass.cols)
	}
	if got, want := mustCents(byClass.find(t, "Net Income")[last]), expectedNetIncome(t, f, "2023-01-01", "2023-12-31"); got != want {
		t.Errorf("by class: Net Income %s, want %s", formatCents(got), formatCents(want))
	}
}

func TestBalanceSheetBalancesWithNetIncomeInEquity(t *testing.T) {
	f := generated(t, smallCompany())
	for _, basis := range []string{"Accrual", "Cash"} {
		for _, asOf := range []string{"2022-06-30", "2023-12-31", "2025-03-01"} {
			bs := parseReport(t, ok(t, f, summaryRq("BalanceSheetStandard", period("2022-01-01", asOf)+`<ReportBasis>`+basis+`</ReportBasis>`)))
			assets, total := bs.find(t, "TOTAL ASSETS")[2], bs.find(t, "TOTAL LIABILITIES & EQUITY")[2]
			if assets != total || mustCents(assets) == 0 {
				t.Errorf("%s %s: TOTAL ASSETS %s, TOTAL LIABILITIES & EQUITY %s", basis, asOf, assets, total)
			}
			pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period(asOf[:4]+"-01-01", asOf)+`<ReportBasis>`+basis+`</ReportBasis>`)))
			if got, want := bs.find(t, "Net Income")[2], pl.find(t, "Net Income")[2]; got != want {
				t.Errorf("%s %s: balance sheet Net Income %s, profit and loss of the year %s", basis, asOf, got, want)
			}
		}
	}
	monthly := parseReport(t, ok(t, f, summaryRq("BalanceSheetStandard", period("2023-01-01", "2023-06-30")+`<SummarizeColumnsBy>Month</SummarizeColumnsBy>`)))
	a, le := monthly.find(t, "TOTAL ASSETS"), monthly.find(t, "TOTAL LIABILITIES & EQUITY")
	delete(a, 1)
	delete(le, 1)
	if diff := cmp.Diff(a, le); diff != "" || len(a) != 7 {
		t.Errorf("monthly balance sheet does not balance (-assets +liabilities and equity):\n%s", diff)
	}
	sum := parseReport(t, ok(t, f, summaryRq("BalanceSheetSummary", period("2023-01-01", "2023-12-31"))))
	if got := sum.find(t, "TOTAL ASSETS")[2]; got != sum.find(t, "TOTAL LIABILITIES & EQUITY")[2] {
		t.Errorf("summary balance sheet does not balance")
	}
}

func TestTrialBalanceDebitsEqualCredits(t *testing.T) {
	f := generated(t, smallCompany())
	tb := parseReport(t, ok(t, f, summaryRq("TrialBalance", period("2023-01-01", "2023-12-31"))))
	total := tb.find(t, "TOTAL")
	if total[2] != total[3] || mustCents(total[2]) == 0 {
		t.Errorf("trial balance: debits %s, credits %s", total[2], total[3])
	}
	if got := tb.find(t, "Accounts Receivable")[2]; got == "" {
		t.Error("Accounts Receivable has no debit balance")
	}
}

func TestAgingSummariesSumToOpenBalances(t *testing.T) {
	f := generated(t, smallCompany())
	balances := func(query, ret string) int64 {
		var sum int64
		for _, c := range kids(ok(t, f, query), ret) {
			sum += mustCents(textAt(c, "Balance"))
		}
		return sum
	}
	for _, c := range []struct{ typ, query, ret string }{
		{"ARAgingSummary", `<CustomerQueryRq />`, "CustomerRet"},
		{"APAgingSummary", `<VendorQueryRq />`, "VendorRet"},
	} {
		r := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>`+c.typ+`</AgingReportType></AgingReportQueryRq>`))
		if diff := cmp.Diff([]string{"", "Current", "1 - 30", "31 - 60", "61 - 90", "> 90", "TOTAL"}, r.cols); diff != "" {
			t.Errorf("%s columns (-want +got):\n%s", c.typ, diff)
		}
		total := r.find(t, "TOTAL")
		var buckets int64
		for id := 2; id <= 6; id++ {
			buckets += mustCents(total[id])
		}
		want := balances(c.query, c.ret)
		if got := mustCents(total[7]); got != want || buckets != want || want == 0 {
			t.Errorf("%s: TOTAL %s, buckets %s, open balances %s", c.typ, total[7], formatCents(buckets), formatCents(want))
		}
	}
	detail := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingDetail</AgingReportType></AgingReportQueryRq>`))
	if got, want := mustCents(detail.find(t, "TOTAL")[8]), balances(`<CustomerQueryRq />`, "CustomerRet"); got != want {
		t.Errorf("A/R aging detail open balance %s, want %s", formatCents(got), formatCents(want))
	}
}

func TestCashBasisCountsIncomeWhenPaid(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet") // 650.00 of income and 14.50 of tax
	ok(t, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><ListID>`+custID+`</ListID></CustomerRef><TxnDate>2025-03-10</TxnDate><TotalAmount>332.25</TotalAmount>
		<AppliedToTxnAdd><TxnID>`+textAt(inv, "TxnID")+`</TxnID><PaymentAmount>332.25</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`)
	net := func(basis, to string) string {
		pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period("2025-01-01", to)+`<ReportBasis>`+basis+`</ReportBasis>`)))
		return pl.find(t, "Net Income")[2]
	}
	got := []string{net("Accrual", "2025-03-05"), net("Cash", "2025-03-05"), net("Cash", "2025-03-31")}
	// Half the invoice is paid on March 10: half its income is cash income then.
	want := []string{"650.00", "0.00", "325.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("net income accrual before, cash before, cash after payment (-want +got):\n%s", diff)
	}
	bs := parseReport(t, ok(t, f, summaryRq("BalanceSheetStandard", period("2025-01-01", "2025-03-31")+`<ReportBasis>Cash</ReportBasis>`)))
	if a, le := bs.find(t, "TOTAL ASSETS")[2], bs.find(t, "TOTAL LIABILITIES & EQUITY")[2]; a != le || a != "332.25" {
		t.Errorf("cash balance sheet: assets %s, liabilities and equity %s, want 332.25", a, le)
	}
	aging := parseReport(t, ok(t, f, `<AgingReportQueryRq><AgingReportType>ARAgingSummary</AgingReportType></AgingReportQueryRq>`))
	if got := aging.find(t, "Acme Corp")[7]; got != "332.25" {
		t.Errorf("aging of Acme Corp %s, want 332.25", got)
	}
}

func TestReportFiltersAndBadPeriods(t *testing.T) {
	f := generated(t, smallCompany())
	all := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period("2023-01-01", "2023-12-31"))))
	services := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period("2023-01-01", "2023-12-31")+
		`<ReportAccountFilter><FullName>Services</FullName></ReportAccountFilter>`)))
	if got, want := services.find(t, "Total Income")[2], all.find(t, "Services")[2]; got != want {
		t.Errorf("filtered to Services: Total Income %s, want %s", got, want)
	}
	// A period that starts after it ends is an invalid date range (3030,
	// Intuit's statusCode table; see TestDateRangeStartingAfterItsEndIsAnError).
	wantStatus(t, one(t, f, summaryRq("ProfitAndLossStandard", period("2024-12-31", "2024-01-01"))), "3030")
	ytd := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", `<ReportDateMacro>ThisYearToDate</ReportDateMacro>`)))
	if sub := textAt(ytd.ret, "ReportSubtitle"); !strings.HasPrefix(sub, "January 1 through") {
		t.Errorf("ThisYearToDate subtitle %q", sub)
	}
}

// TestEveryReportTypeAnswersAValidReport asks for every report type of
// every report request; TestMain validates each answer against the schema.
func TestEveryReportTypeAnswersAValidReport(t *testing.T) {
	f := generated(t, smallCompany())
	// Payroll reports need a payroll subscription, as in QuickBooks.
	if err := f.SetFeature(FeaturePayroll, true); err != nil {
		t.Fatal(err)
	}
	enum := func(name string) []string {
		st := qbxml.LookupSimple(name)
		if st == nil {
			t.Fatalf("no element %s", name)
		}
		return st.Enum
	}
	p := period("2023-01-01", "2023-12-31")
	var reqs []string
	for _, typ := range enum("GeneralSummaryReportType") {
		reqs = append(reqs, summaryRq(typ, p+`<SummarizeColumnsBy>Quarter</SummarizeColumnsBy><ReportBasis>Cash</ReportBasis>`), summaryRq(typ, p+`<SummarizeColumnsBy>Customer</SummarizeColumnsBy>`))
	}
	for _, typ := range enum("GeneralDetailReportType") {
		reqs = append(reqs, `<GeneralDetailReportQueryRq><GeneralDetailReportType>`+typ+`</GeneralDetailReportType>`+p+`</GeneralDetailReportQueryRq>`)
	}
	for _, typ := range enum("AgingReportType") {
		reqs = append(reqs, `<AgingReportQueryRq><AgingReportType>`+typ+`</AgingReportType>`+p+`<ReportAgingAsOf>ReportEndDate</ReportAgingAsOf></AgingReportQueryRq>`)
	}
	for _, typ := range enum("JobReportType") {
		if typ != "" {
			reqs = append(reqs, `<JobReportQueryRq><JobReportType>`+typ+`</JobReportType>`+p+`</JobReportQueryRq>`)
		}
	}
	for _, typ := range enum("TimeReportType") {
		reqs = append(reqs, `<TimeReportQueryRq><TimeReportType>`+typ+`</TimeReportType>`+p+`</TimeReportQueryRq>`)
	}
	for _, typ := range enum("BudgetSummaryReportType") {
		reqs = append(reqs, `<BudgetSummaryReportQueryRq><BudgetSummaryReportType>`+typ+`</BudgetSummaryReportType><FiscalYear>2024</FiscalYear></BudgetSummaryReportQueryRq>`)
	}
	for _, typ := range enum("PayrollSummaryReportType") {
		reqs = append(reqs, `<PayrollSummaryReportQueryRq><PayrollSummaryReportType>`+typ+`</PayrollSummaryReportType>`+p+`</PayrollSummaryReportQueryRq>`)
	}
	for _, typ := range enum("PayrollDetailReportType") {
		reqs = append(reqs, `<PayrollDetailReportQueryRq><PayrollDetailReportType>`+typ+`</PayrollDetailReportType>`+p+`</PayrollDetailReportQueryRq>`)
	}
	for _, rows := range []string{"Account", "Customer", "Class", "Month", "BalanceSheet", "IncomeStatement", "TotalOnly"} {
		reqs = append(reqs,
			`<CustomSummaryReportQueryRq><CustomSummaryReportType>CustomSummary</CustomSummaryReportType>`+p+`<SummarizeColumnsBy>Month</SummarizeColumnsBy><SummarizeRowsBy>`+rows+`</SummarizeRowsBy></CustomSummaryReportQueryRq>`,
			`<CustomDetailReportQueryRq><CustomDetailReportType>CustomTxnDetail</CustomDetailReportType>`+p+`<SummarizeRowsBy>`+rows+`</SummarizeRowsBy><IncludeColumn>Date</IncludeColumn><IncludeColumn>TxnType</IncludeColumn><IncludeColumn>Account</IncludeColumn><IncludeColumn>Amount</IncludeColumn></CustomDetailReportQueryRq>`)
	}
	for _, rq := range reqs {
		rs := ok(t, f, rq)
		r := parseReport(t, rs)
		if r.rows[len(r.rows)-1].kind != "TotalRow" {
			t.Errorf("%s: the last row is a %s, not the TotalRow", rq, r.rows[len(r.rows)-1].kind)
		}
	}
	t.Logf("%d report requests answered", len(reqs))
}

// TestReportWithoutPeriodCoversTheFiscalYearToDate follows Intuit's
// reference of GeneralSummaryReportQuery: "If you omit both ToReportDate
// and FromReportDate, the report will cover the current fiscal year to
// date."
func TestReportWithoutPeriodCoversTheFiscalYearToDate(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, invoiceAdd) // 2025-03-01
	ok(t, f, strings.Replace(invoiceAdd, "2025-03-01", "2024-12-15", 1))
	pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", "")))
	if got := pl.find(t, "Net Income")[2]; got != "650.00" {
		t.Errorf("Net Income %s, want the 650.00 of 2025 only", got)
	}
	if sub := textAt(pl.ret, "ReportSubtitle"); sub != "January 1 through "+clock.Now().Format("January 2, 2006") {
		t.Errorf("subtitle %q", sub)
	}
}

// TestSubAccountsNestUnderTheirParent lays sub-accounts out as QuickBooks
// does: the parent as a heading, its sub-accounts, "Parent - Other" for
// the parent's own postings, and "Total Parent".
func TestSubAccountsNestUnderTheirParent(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<AccountAddRq><AccountAdd><Name>Consulting Income</Name><ParentRef><FullName>Services</FullName></ParentRef><AccountType>Income</AccountType></AccountAdd></AccountAddRq>`)
	addCustomerAndItems(t, f)
	ok(t, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Advice</Name><SalesOrPurchase><Price>100</Price><AccountRef><FullName>Services:Consulting Income</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
	ok(t, f, strings.Replace(invoiceAdd, `<InvoiceLineAdd><ItemRef><FullName>Widget</FullName>`, `<InvoiceLineAdd><ItemRef><FullName>Advice</FullName></ItemRef><Quantity>2</Quantity><Rate>100</Rate></InvoiceLineAdd><InvoiceLineAdd><ItemRef><FullName>Widget</FullName>`, 1))
	pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", period("2025-01-01", "2025-12-31"))))
	var got []string
	for _, r := range pl.rows {
		got = append(got, r.kind+" "+r.label()+" "+r.cells[2]+" "+r.rowValue)
	}
	want := []string{
		"TextRow Ordinary Income/Expense  ",
		"TextRow Income  ",
		"TextRow Services  ",
		"DataRow Consulting Income 200.00 Services:Consulting Income",
		"DataRow Services - Other 450.00 Services",
		"SubtotalRow Total Services 650.00 Services",
		"DataRow Product Sales 200.00 Product Sales",
		"SubtotalRow Total Income 850.00 ",
		"SubtotalRow Net Ordinary Income 850.00 ",
		"TotalRow Net Income 850.00 ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestSummariesByNameAddUpToTheProfitAndLoss cross-checks the summaries by
// customer, vendor, job and class with the profit and loss of the same
// period: each distributes the same postings over other rows or columns.
func TestSummariesByNameAddUpToTheProfitAndLoss(t *testing.T) {
	f := generated(t, smallCompany())
	p := period("2022-01-01", "2023-12-31")
	pl := parseReport(t, ok(t, f, summaryRq("ProfitAndLossStandard", p)))
	expenses := mustCents(pl.find(t, "Total Expense")[2]) + mustCents(pl.cell("Total COGS", 2)) + mustCents(pl.cell("Total Other Expense", 2))
	byVendor := parseReport(t, ok(t, f, summaryRq("ExpenseByVendorSummary", p)))
	if got := mustCents(byVendor.find(t, "TOTAL")[2]); got != expenses {
		t.Errorf("expenses by vendor %s, profit and loss %s", formatCents(got), formatCents(expenses))
	}
	income := mustCents(pl.find(t, "Total Income")[2]) + mustCents(pl.cell("Total Other Income", 2)) - mustCents(pl.cell("Total COGS", 2))
	byCustomer := parseReport(t, ok(t, f, summaryRq("IncomeByCustomerSummary", p)))
	if got := mustCents(byCustomer.find(t, "TOTAL")[2]); got != income {
		t.Errorf("income by customer %s, profit and loss %s", formatCents(got), formatCents(income))
	}
	net := pl.find(t, "Net Income")[2]
	for _, typ := range []string{"ProfitAndLossByJob", "ProfitAndLossByClass"} {
		r := parseReport(t, ok(t, f, summaryRq(typ, p)))
		cells := r.find(t, "Net Income")
		if got := cells[len(r.cols)]; got != net {
			t.Errorf("%s: Net Income TOTAL %s, standard %s", typ, got, net)
		}
		var sum int64
		for id := 2; id < len(r.cols); id++ {
			sum += mustCents(cells[id])
		}
		if formatCents(sum) != net {
			t.Errorf("%s: columns sum to %s, want %s", typ, formatCents(sum), net)
		}
	}
	// A name filter keeps that customer's postings only.
	first := byCustomer.rows[0]
	one := parseReport(t, ok(t, f, summaryRq("IncomeByCustomerSummary", p+`<ReportEntityFilter><FullName>`+first.rowValue+`</FullName></ReportEntityFilter>`)))
	if len(one.rows) != 2 || one.rows[0].rowValue != first.rowValue || one.find(t, "TOTAL")[2] != first.cells[2] {
		t.Errorf("filtered to %s: %+v", first.rowValue, one.rows)
	}
}

// demoSizedCompany is a company of 3000 transactions, the demo's size.
func demoSizedCompany() GenerateOptions {
	return GenerateOptions{Seed: 7, Customers: 300, Jobs: 30, Vendors: 50, Employees: 8, Items: 60, Classes: 6,
		Invoices: 900, Payments: 660, SalesReceipts: 180, CreditMemos: 60, Estimates: 90, SalesOrders: 60,
		Bills: 420, BillPayments: 300, PurchaseOrders: 60, Checks: 120, CreditCardCharges: 90, Deposits: 30, JournalEntries: 30}
}

// BenchmarkProfitAndLoss measures a profit and loss by month over a
// demo-sized company (3000 transactions) against the baseline of reading
// every transaction it is computed from (TransactionQuery is not
// implemented here, so the baseline queries each type with its lines):
// the report derives its postings from those same objects, so the ratio
// says what the derivation and layout cost on top of reading them.
func BenchmarkProfitAndLoss(b *testing.B) {
	f := generated(b, demoSizedCompany())
	var baseline string
	for _, typ := range []string{"Invoice", "ReceivePayment", "SalesReceipt", "CreditMemo", "Estimate", "SalesOrder", "Bill", "BillPaymentCheck",
		"PurchaseOrder", "Check", "CreditCardCharge", "Deposit", "JournalEntry"} {
		lines := "<IncludeLineItems>true</IncludeLineItems>"
		if typ == "ReceivePayment" || typ == "BillPaymentCheck" || typ == "JournalEntry" {
			lines = ""
		}
		baseline += "<" + typ + "QueryRq>" + lines + "</" + typ + "QueryRq>"
	}
	report := summaryRq("ProfitAndLossStandard", `<ReportDateMacro>All</ReportDateMacro><SummarizeColumnsBy>Month</SummarizeColumnsBy>`)
	var base, rep time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		base += timeMessageSet(b, f, baseline)
		rep += timeMessageSet(b, f, report)
	}
	b.ReportMetric(float64(rep.Milliseconds())/float64(b.N), "report-ms/op")
	b.ReportMetric(float64(rep)/float64(base), "x-baseline")
}

func TestPayrollReportsNeedThePayrollFeature(t *testing.T) {
	f := generated(t, smallCompany())
	rq := `<PayrollSummaryReportQueryRq><PayrollSummaryReportType>EmployeeEarningsSummary</PayrollSummaryReportType></PayrollSummaryReportQueryRq>`
	if got := attrValue(one(t, f, rq), "statusCode"); got != strconv.Itoa(stFeatureOff) {
		t.Errorf("payroll report without payroll: status %s, want %d", got, stFeatureOff)
	}
}

// Statement charges, credit card refunds, sales tax payments and inventory
// adjustments post as QuickBooks posts them (Intuit's "QuickBooks Desktop
// accounting" help: a statement charge debits A/R like an invoice, a
// sales tax payment debits Sales Tax Payable, an inventory adjustment
// moves the inventory asset against the adjustment account), so the
// trial balance shows each account moved and still balances.
func TestEveryPostingTransactionTypeMovesItsAccounts(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<ChargeAddRq><ChargeAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-03</TxnDate><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>2</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`)
	ok(t, f, invoiceAdd) // 650.00 of income, 14.50 of tax
	ok(t, f, `<SalesTaxPaymentCheckAddRq><SalesTaxPaymentCheckAdd><PayeeEntityRef><FullName>State Board of Equalization</FullName></PayeeEntityRef><TxnDate>2025-03-10</TxnDate>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>102</RefNumber><SalesTaxPaymentCheckLineAdd><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef><Amount>10.00</Amount></SalesTaxPaymentCheckLineAdd>
		</SalesTaxPaymentCheckAdd></SalesTaxPaymentCheckAddRq>`)
	cm := kid(ok(t, f, `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-11</TxnDate>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity><Rate>100</Rate></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`), "CreditMemoRet")
	ok(t, f, `<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
		<TxnDate>2025-03-12</TxnDate><RefundAppliedToTxnAdd><TxnID>`+textAt(cm, "TxnID")+`</TxnID><RefundAmount>60.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`)
	ok(t, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef></ItemInventoryAdd></ItemInventoryAddRq>`)
	ok(t, f, `<InventoryAdjustmentAddRq><InventoryAdjustmentAdd><AccountRef><FullName>Ask My Accountant</FullName></AccountRef><TxnDate>2025-03-13</TxnDate>
		<InventoryAdjustmentLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><QuantityAdjustment><QuantityDifference>5</QuantityDifference></QuantityAdjustment></InventoryAdjustmentLineAdd></InventoryAdjustmentAdd></InventoryAdjustmentAddRq>`)

	tb := parseReport(t, ok(t, f, summaryRq("TrialBalance", period("2025-01-01", "2025-12-31"))))
	got := map[string]string{}
	for _, name := range []string{"Accounts Receivable", "Checking", "Sales Tax Payable", "Services", "Inventory Asset", "Ask My Accountant"} {
		c := tb.find(t, name)
		got[name] = c[2] + "/" + c[3]
	}
	want := map[string]string{
		// charge 300 + invoice 664.50 - credit 100 + refund 60
		"Accounts Receivable": "924.50/",
		// tax payment 10 + refund 60 out of the bank
		"Checking":          "/70.00",
		"Sales Tax Payable": "/4.50",
		// charge 300 + invoice 450 - credit 100
		"Services": "/650.00",
		// five bolts found, valued at their 2.00 cost
		"Inventory Asset":   "10.00/",
		"Ask My Accountant": "/10.00",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trial balance debit/credit by account (-want +got):\n%s", diff)
	}
	if total := tb.find(t, "TOTAL"); total[2] != total[3] {
		t.Errorf("trial balance: debits %s, credits %s", total[2], total[3])
	}
}
