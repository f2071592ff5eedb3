package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/demo"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// reportAnswer is GET .../reports/{report} as a client reads it.
type reportAnswer struct {
	Report, Title, Subtitle, Basis string
	Columns                        []struct{ Title, Type string }
	Rows                           []struct {
		Kind, Label, RowType, Account, Entity, ListID string
		Amounts                                       []*float64
	}
	Totals      map[string][]*float64
	AsOf        time.Time
	Cached      bool
	OperationID string
}

// total returns the last column of a total row.
func (r reportAnswer) total(tb testing.TB, label string) float64 {
	tb.Helper()
	v, ok := r.Totals[label]
	if !ok || len(v) == 0 || v[len(v)-1] == nil {
		tb.Fatalf("%s: no total %q in %v", r.Title, label, r.Totals)
	}
	return *v[len(v)-1]
}

// records returns every synced record of a data type, as JSON objects.
func records(tb testing.TB, e *env, c *company, dataType string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	cursor := ""
	for {
		page, next, err := e.records.ListRecords(context.Background(), qbconnect.RecordFilter{OrgID: c.org.ID, CompanyID: c.id, Type: dataType, Limit: 1000, Cursor: cursor})
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range page {
			var m map[string]any
			if err := json.Unmarshal(r.Data, &m); err != nil {
				tb.Fatal(err)
			}
			m["__id"] = r.ID
			out = append(out, m)
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

func field(m any, path ...string) string {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return ""
		}
		m = mm[p]
	}
	s, _ := m.(string)
	return s
}

func lines(m map[string]any, key string) []map[string]any {
	var out []map[string]any
	arr, _ := m[key].([]any)
	for _, l := range arr {
		if lm, ok := l.(map[string]any); ok {
			out = append(out, lm)
		}
	}
	return out
}

func cents(tb testing.TB, v string) int64 {
	tb.Helper()
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		tb.Fatalf("amount %q: %v", v, err)
	}
	return int64(math.Round(f * 100))
}

// expectedProfitAndLoss computes each income and expense account's amount
// (income positive as a credit, expense positive as a debit) straight from
// the synced records: sales lines credit their item's income account,
// credit memo lines debit it, expense lines of bills, checks and card
// charges debit their account (of vendor and card credits credit it),
// statement charges credit their item's income account, deposit lines
// credit theirs, and journal entry lines post as written. An inventory
// part sold costs its quantity at the part's average cost, debited to its
// cost of goods sold account (credited for a return); an inventory
// adjustment's value difference goes to its adjustment account.
func expectedProfitAndLoss(tb testing.TB, e *env, c *company) (byAccount map[string]int64, accountType map[string]string) {
	tb.Helper()
	accountType = map[string]string{}
	for _, a := range records(tb, e, c, "accounts") {
		accountType[a["__id"].(string)] = field(a, "accountType")
	}
	itemAccount := map[string]string{}
	for _, dt := range []string{"serviceItems", "nonInventoryItems"} {
		for _, it := range records(tb, e, c, dt) {
			itemAccount[it["__id"].(string)] = field(it, "salesOrPurchase", "accountRef", "listId")
		}
	}
	type part struct {
		cogs string
		cost int64 // average cost, cents
	}
	parts := map[string]part{}
	for _, it := range records(tb, e, c, "inventoryItems") {
		itemAccount[it["__id"].(string)] = field(it, "incomeAccountRef", "listId")
		parts[it["__id"].(string)] = part{field(it, "cogsAccountRef", "listId"), cents(tb, field(it, "averageCost"))}
	}
	debitNormal := func(t string) bool { return t == "Expense" || t == "OtherExpense" || t == "CostOfGoodsSold" }
	isPL := func(t string) bool {
		return t == "Income" || t == "OtherIncome" || debitNormal(t)
	}
	byAccount = map[string]int64{}
	post := func(account string, debit int64) {
		t := accountType[account]
		if !isPL(t) {
			return
		}
		if debitNormal(t) {
			byAccount[account] += debit
		} else {
			byAccount[account] -= debit
		}
	}
	for dt, sign := range map[string]int64{"invoices": -1, "salesReceipts": -1, "creditMemos": 1} {
		key := map[string]string{"invoices": "invoiceLine", "salesReceipts": "salesReceiptLine", "creditMemos": "creditMemoLine"}[dt]
		for _, txn := range records(tb, e, c, dt) {
			for _, l := range lines(txn, key) {
				post(itemAccount[field(l, "itemRef", "listId")], sign*cents(tb, field(l, "amount")))
				if p, ok := parts[field(l, "itemRef", "listId")]; ok {
					qty, err := strconv.ParseFloat(field(l, "quantity"), 64)
					if err != nil {
						tb.Fatalf("quantity %q: %v", field(l, "quantity"), err)
					}
					post(p.cogs, -sign*int64(math.Round(qty*float64(p.cost))))
				}
			}
		}
	}
	for dt, sign := range map[string]int64{"bills": 1, "checks": 1, "creditCardCharges": 1, "vendorCredits": -1, "creditCardCredits": -1} {
		for _, txn := range records(tb, e, c, dt) {
			for _, l := range lines(txn, "expenseLine") {
				post(field(l, "accountRef", "listId"), sign*cents(tb, field(l, "amount")))
			}
		}
	}
	for _, txn := range records(tb, e, c, "charges") {
		post(itemAccount[field(txn, "itemRef", "listId")], -cents(tb, field(txn, "amount")))
	}
	for _, txn := range records(tb, e, c, "inventoryAdjustments") {
		for _, l := range lines(txn, "inventoryAdjustmentLine") {
			post(field(txn, "accountRef", "listId"), -cents(tb, field(l, "valueDifference")))
		}
	}
	for _, txn := range records(tb, e, c, "deposits") {
		for _, l := range lines(txn, "depositLine") {
			post(field(l, "accountRef", "listId"), -cents(tb, field(l, "amount")))
		}
	}
	for _, txn := range records(tb, e, c, "journalEntries") {
		for _, l := range lines(txn, "journalDebitLine") {
			post(field(l, "accountRef", "listId"), cents(tb, field(l, "amount")))
		}
		for _, l := range lines(txn, "journalCreditLine") {
			post(field(l, "accountRef", "listId"), -cents(tb, field(l, "amount")))
		}
	}
	return byAccount, accountType
}

// TestReportsOfTheSyncedDemoCompany is the acceptance test of the report
// endpoint: the demo's sample company is synced, its profit and loss
// equals the income and expenses computed from the synced transactions,
// account by account (by ListID), and its balance sheet balances on both
// bases and by quarter; the aged receivables sum to the customers' synced
// balances, and the trial balance's debits equal its credits.
func TestReportsOfTheSyncedDemoCompany(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, demo.SampleCompany(7, 40, 400))
			c.syncAll(t)
			c.background(t)
			get := func(query string) reportAnswer {
				t.Helper()
				var r reportAnswer
				e.mustDo(200, "GET", "/v1/companies/"+c.id+"/reports/"+query, c.key, nil, &r)
				return r
			}

			pl := get("profit-and-loss?from=2000-01-01&to=2099-12-31&wait=30s")
			want, types := expectedProfitAndLoss(t, e, c)
			got := map[string]int64{}
			for _, r := range pl.Rows {
				if r.Kind != "data" || r.RowType != "account" {
					continue
				}
				if r.ListID == "" {
					t.Errorf("account row %q has no listId", r.Label)
				}
				got[r.ListID] = int64(math.Round(*r.Amounts[len(r.Amounts)-1] * 100))
			}
			var income, expense, cogs int64
			for id, v := range want {
				if v == 0 {
					delete(want, id)
					continue
				}
				switch types[id] {
				case "Income", "OtherIncome":
					income += v
				case "CostOfGoodsSold":
					cogs += v
					expense += v
				default:
					expense += v
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("profit and loss by account ListID:\n got %v\nwant %v", got, want)
			}
			if net := int64(math.Round(pl.total(t, "Net Income") * 100)); net != income-expense || income == 0 || expense == 0 {
				t.Errorf("Net Income %d cents, want income %d - expenses %d = %d", net, income, expense, income-expense)
			}
			if pl.Basis != "accrual" || pl.Title != "Profit & Loss" || pl.Cached {
				t.Errorf("profit and loss: basis %q, title %q, cached %v", pl.Basis, pl.Title, pl.Cached)
			}

			for _, q := range []string{"balance-sheet?wait=30s", "balance-sheet?basis=cash&wait=30s",
				"balance-sheet?from=2024-01-01&to=2025-12-31&columns=quarter&wait=30s", "balance-sheet?period=last-year&wait=30s"} {
				bs := get(q)
				assets, le := bs.Totals["TOTAL ASSETS"], bs.Totals["TOTAL LIABILITIES & EQUITY"]
				if len(assets) == 0 || len(assets) != len(le) || len(assets) != len(bs.Columns) {
					t.Fatalf("%s: totals %v, columns %v", q, bs.Totals, bs.Columns)
				}
				for i := range assets {
					if math.Abs(*assets[i]-*le[i]) > 0.001 {
						t.Errorf("%s: column %s: TOTAL ASSETS %.2f, TOTAL LIABILITIES & EQUITY %.2f", q, bs.Columns[i].Title, *assets[i], *le[i])
					}
				}
			}

			var owed int64
			for _, cust := range records(t, e, c, "customers") {
				owed += cents(t, field(cust, "balance"))
			}
			aged := get("aged-receivables?wait=30s")
			if got := int64(math.Round(aged.total(t, "TOTAL") * 100)); got != owed || owed == 0 {
				t.Errorf("aged receivables TOTAL %d cents, customers' synced balances %d", got, owed)
			}
			for _, r := range aged.Rows {
				if r.RowType == "customer" && r.ListID == "" {
					t.Errorf("customer row %q has no listId", r.Label)
				}
			}
			tb := get("trial-balance?to=2099-12-31&wait=30s")
			// The trial balance's TOTAL holds the debits and the credits.
			if d := tb.Totals["TOTAL"]; len(d) != 2 || d[0] == nil || d[1] == nil || *d[0] != *d[1] || *d[0] == 0 {
				t.Errorf("trial balance TOTAL %v: debits differ from credits", d)
			}
			get("aged-payables?wait=30s")

			// Income by customer and expenses by vendor distribute the
			// profit and loss's income and expenses over names.
			byCustomer := get("income-by-customer?from=2000-01-01&to=2099-12-31&wait=30s")
			byVendor := get("expense-by-vendor?from=2000-01-01&to=2099-12-31&columns=year&wait=30s")
			// Income by customer is net of the cost of goods sold.
			if got := int64(math.Round(byCustomer.total(t, "TOTAL") * 100)); got != income-cogs {
				t.Errorf("income by customer TOTAL %d cents, income %d less cost of goods sold %d", got, income, cogs)
			}
			if got := int64(math.Round(byVendor.total(t, "TOTAL") * 100)); got != expense {
				t.Errorf("expenses by vendor TOTAL %d cents, expenses %d", got, expense)
			}
			for _, r := range byVendor.Rows {
				if (r.RowType == "vendor" || r.RowType == "employee") && (r.ListID == "" || r.Entity == "") {
					t.Errorf("%s row %q has no entity or listId", r.RowType, r.Label)
				}
			}
		})
	}
}

// TestReportRepeatWithinMaxAgeIsServedFromTheStore: while QuickBooks has
// not answered, a repeat answers the same pending operation (202); once it
// ran, the report comes back (200) and a repeat within maxAge is served
// from the store with the same asOf, while one past maxAge asks
// QuickBooks again.
func TestReportRepeatWithinMaxAgeIsServedFromTheStore(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	path := "/v1/companies/" + c.id + "/reports/profit-and-loss?period=this-year&columns=month"
	var op1, op2 struct{ ID, Status string }
	e.mustDo(202, "GET", path, c.key, nil, &op1)
	e.mustDo(202, "GET", path, c.key, nil, &op2)
	if op1.ID == "" || op1.ID != op2.ID || op1.Status != "Pending" {
		t.Fatalf("pending answers %+v and %+v, want the same pending operation", op1, op2)
	}
	if n := c.drain(t); n != 1 {
		t.Fatalf("the connector ran %d items, want the one report query", n)
	}
	var first, again, later reportAnswer
	e.mustDo(200, "GET", path, c.key, nil, &first)
	if first.Cached || first.OperationID != op1.ID || len(first.Columns) != 13 || first.Columns[12].Title != "TOTAL" {
		t.Errorf("first answer: cached %v, operation %s (want %s), columns %v", first.Cached, first.OperationID, op1.ID, first.Columns)
	}
	e.clock.Advance(10 * time.Minute)
	e.mustDo(200, "GET", path, c.key, nil, &again)
	if !again.Cached || !again.AsOf.Equal(first.AsOf) {
		t.Errorf("repeat within maxAge: cached %v, asOf %s, want the kept answer of %s", again.Cached, again.AsOf, first.AsOf)
	}
	e.clock.Advance(10 * time.Minute)
	var pending struct{ ID string }
	e.mustDo(202, "GET", path, c.key, nil, &pending)
	if pending.ID == op1.ID {
		t.Error("past maxAge the kept operation was reused")
	}
	c.drain(t)
	e.mustDo(200, "GET", path+"&maxAge=1h", c.key, nil, &later)
	if later.Cached || !later.AsOf.After(first.AsOf) {
		t.Errorf("past maxAge: cached %v, asOf %s, want a new answer after %s", later.Cached, later.AsOf, first.AsOf)
	}
}

// TestReportRejectsBadParametersAndQueuesNothing checks every parameter.
func TestReportRejectsBadParametersAndQueuesNothing(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, companyfile.GenerateOptions{})
	base := "/v1/companies/" + c.id + "/reports/"
	for _, q := range []struct {
		path string
		code int
	}{
		{"cash-flow", 404},
		{"profit-and-loss?basis=modified-cash", 400},
		{"profit-and-loss?columns=class", 400},
		{"profit-and-loss?from=2025-02-30", 400},
		{"profit-and-loss?from=2025-03-01&to=2025-01-01", 400},
		{"profit-and-loss?period=this-year&from=2025-01-01", 400},
		{"profit-and-loss?period=fortnight", 400},
		{"profit-and-loss?maxAge=soon", 400},
		{"profit-and-loss?wait=2h", 400},
		{"profit-and-loss?limit=3", 400},
		{"aged-receivables?columns=month", 400},
		{"aged-payables?basis=cash", 400},
		{"trial-balance?columns=quarter", 400},
	} {
		if r := e.do("GET", base+q.path, c.key, nil); r.Status != q.code {
			t.Errorf("%s: %d %s, want %d", q.path, r.Status, r.Body, q.code)
		}
	}
	if n := c.drain(t); n != 0 {
		t.Errorf("bad requests queued %d items", n)
	}
}

// TestReportErrorsSayWhatIsWrong: a company with no connection (409),
// QuickBooks failing the query (502, with QuickBooks' code), and a server
// without a report store (503).
func TestReportErrorsSayWhatIsWrong(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	var lonely qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Not connected"}, &lonely)
	if r := e.do("GET", "/v1/companies/"+lonely.ID+"/reports/balance-sheet", key, nil); r.Status != 409 || r.ErrorCode() != string(qbconnect.EConflict) {
		t.Errorf("no connection: %d %s", r.Status, r.Body)
	}

	c := newCompany(t, e, companyfile.GenerateOptions{})
	c.failWith(&gateway.Failure{HResult: "0x80040408", Message: "Could not start QuickBooks.", Condition: "qb_error"})
	c.background(t)
	r := e.do("GET", "/v1/companies/"+c.id+"/reports/profit-and-loss?wait=30s", c.key, nil)
	if r.Status != 502 || !strings.Contains(string(r.Body), "0x80040408") {
		t.Errorf("QuickBooks failing: %d %s", r.Status, r.Body)
	}

	bare := newEnv(t, sqliteDSN(t), func(cfg *api.Config) { cfg.Reports = nil })
	_, bareKey := bare.newOrg("Lender")
	var bc qbconnect.Company
	bare.mustDo(201, "POST", "/v1/companies", bareKey, map[string]any{"name": "Acme"}, &bc)
	if r := bare.do("GET", "/v1/companies/"+bc.ID+"/reports/profit-and-loss", bareKey, nil); r.Status != 503 {
		t.Errorf("no report store: %d %s", r.Status, r.Body)
	}
}
