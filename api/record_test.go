package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// page is a page of records as the API answers it.
type page struct {
	Data       []map[string]any `json:"data"`
	HasMore    bool             `json:"hasMore"`
	NextCursor *string          `json:"nextCursor"`
}

// listAll reads every page of a records query and returns the records.
func (c *company) listAll(tb testing.TB, typ, query string, limit int) []map[string]any {
	tb.Helper()
	var all []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		q := fmt.Sprintf("limit=%d", limit)
		if query != "" {
			q += "&" + query
		}
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var p page
		c.get(tb, "/v1/companies/"+c.id+"/"+typ+"?"+q, &p)
		all = append(all, p.Data...)
		if !p.HasMore {
			if p.NextCursor != nil {
				tb.Fatalf("last page has a nextCursor")
			}
			return all
		}
		if p.NextCursor == nil || len(p.Data) != limit || pages > 1000 {
			tb.Fatalf("page %d: hasMore with %d records and cursor %v", pages, len(p.Data), p.NextCursor)
		}
		cursor = *p.NextCursor
	}
}

// get GETs path with the company's key, fails tb unless it answers 200,
// and decodes the answer into out.
func (c *company) get(tb testing.TB, path string, out any) {
	tb.Helper()
	r := c.e.do("GET", path, c.key, nil)
	if r.Status != 200 {
		tb.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
}

func ids(recs []map[string]any) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i], _ = r["id"].(string)
	}
	return out
}

func TestReadRecordsWithCursorPagesAndFilters(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)

	var types struct {
		Data []struct {
			Name        string
			Transaction bool
			RefFilter   string
		}
	}
	e.mustDo(200, "GET", "/v1/data-types", c.key, nil, &types)
	if len(types.Data) < 40 {
		t.Fatalf("%d data types", len(types.Data))
	}

	// Every page size returns every record once, in the same order.
	customers := c.listAll(t, "customers", "", 1000)
	if len(customers) != 15 { // 12 customers and 3 jobs
		t.Fatalf("%d customers, want 15", len(customers))
	}
	for _, limit := range []int{1, 4, 15} {
		if diff := cmp.Diff(ids(customers), ids(c.listAll(t, "customers", "", limit))); diff != "" {
			t.Errorf("limit %d pages differ (-one page +pages):\n%s", limit, diff)
		}
	}
	first := customers[0]
	for _, k := range []string{"id", "listId", "editSequence", "name", "fullName", "timeModified"} {
		if _, ok := first[k]; !ok {
			t.Errorf("customer record lacks %q: %v", k, first)
		}
	}
	if first["id"] != first["listId"] {
		t.Errorf("id %v is not the listId %v", first["id"], first["listId"])
	}
	var one map[string]any
	e.mustDo(200, "GET", "/v1/companies/"+c.id+"/customers/"+first["id"].(string), c.key, nil, &one)
	if diff := cmp.Diff(first, one); diff != "" {
		t.Errorf("GET by id differs from the list (-list +get):\n%s", diff)
	}

	// Filters.
	name := first["fullName"].(string)
	if got := c.listAll(t, "customers", "name="+url.QueryEscape(name), 100); len(got) != 1 || got[0]["id"] != first["id"] {
		t.Errorf("name=%s: %v", name, ids(got))
	}
	prefix := name[:1]
	for _, r := range c.listAll(t, "customers", "namePrefix="+url.QueryEscape(prefix), 100) {
		if !strings.HasPrefix(r["fullName"].(string), prefix) {
			t.Errorf("namePrefix=%s returned %s", prefix, r["fullName"])
		}
	}
	if got := c.listAll(t, "customers", "active=false", 100); len(got) != 0 {
		t.Errorf("active=false: %d customers, the generator makes none inactive", len(got))
	}
	invoices := c.listAll(t, "invoices", "", 1000)
	if len(invoices) != 25 {
		t.Fatalf("%d invoices", len(invoices))
	}
	inv := invoices[3]
	custID := inv["customerRef"].(map[string]any)["listId"].(string)
	byCustomer := c.listAll(t, "invoices", "customerId="+custID, 5)
	if len(byCustomer) == 0 {
		t.Error("customerId filter found nothing")
	}
	for _, r := range byCustomer {
		if r["customerRef"].(map[string]any)["listId"] != custID {
			t.Errorf("customerId=%s returned an invoice of %v", custID, r["customerRef"])
		}
	}
	date := inv["txnDate"].(string)
	for _, r := range c.listAll(t, "invoices", "txnDateFrom="+date+"&txnDateTo="+date, 100) {
		if r["txnDate"] != date {
			t.Errorf("txnDate %s..%s returned %v", date, date, r["txnDate"])
		}
	}
	if ref, ok := inv["refNumber"].(string); ok {
		if got := c.listAll(t, "invoices", "refNumber="+url.QueryEscape(ref), 100); len(got) != 1 || got[0]["id"] != inv["id"] {
			t.Errorf("refNumber=%s: %v", ref, ids(got))
		}
	}
	// updatedSince: nothing was stored after now.
	later := e.clock.Now().Add(time.Minute).Format(time.RFC3339)
	if got := c.listAll(t, "invoices", "updatedSince="+url.QueryEscape(later), 100); len(got) != 0 {
		t.Errorf("updatedSince in the future: %d invoices", len(got))
	}
	earlier := e.clock.Now().Add(-time.Minute).Format(time.RFC3339)
	if got := c.listAll(t, "invoices", "updatedSince="+url.QueryEscape(earlier), 100); len(got) != 25 {
		t.Errorf("updatedSince in the past: %d invoices", len(got))
	}

	base := "/v1/companies/" + c.id
	for _, tc := range []struct {
		name, path string
		status     int
		msg        string
	}{
		{"filter the type does not take", base + "/invoices?active=true", 400, `unknown query parameter "active" for invoices`},
		{"list filter on a list", base + "/customers?txnDateFrom=2026-01-01", 400, `unknown query parameter "txnDateFrom"`},
		{"vendor filter on invoices", base + "/invoices?vendorId=x", 400, "customerId"},
		{"bad limit", base + "/customers?limit=1001", 400, "limit must be"},
		{"bad date", base + "/invoices?txnDateFrom=01/02/2026", 400, "txnDateFrom must be a date"},
		{"reversed dates", base + "/invoices?txnDateFrom=2026-02-01&txnDateTo=2026-01-01", 400, "is after"},
		{"bad updatedSince", base + "/invoices?updatedSince=yesterday", 400, "RFC 3339"},
		{"bad active", base + "/customers?active=maybe", 400, "active must be true or false"},
		{"bad cursor", base + "/customers?cursor=%21%21", 400, "invalid cursor"},
		{"repeated parameter", base + "/customers?name=a&name=b", 400, "given 2 times"},
		{"unknown data type", base + "/widgets", 404, `unknown data type "widgets"`},
		{"unknown record", base + "/customers/80000999-1234567890", 404, "record not found"},
		{"record of another type", base + "/invoices/" + first["id"].(string), 404, "record not found"},
		{"query on a record", base + "/customers/" + first["id"].(string) + "?x=1", 400, "no query parameters"},
		{"query on data types", "/v1/data-types?x=1", 400, "no query parameters"},
		{"unknown company", "/v1/companies/cmp_0000000000000000/customers", 404, "company not found"},
	} {
		r := e.do("GET", tc.path, c.key, nil)
		var eb struct{ Error map[string]string }
		json.Unmarshal(r.Body, &eb)
		if r.Status != tc.status || !strings.Contains(eb.Error["message"], tc.msg) {
			t.Errorf("%s: %d %s; want %d containing %q", tc.name, r.Status, r.Body, tc.status, tc.msg)
		}
	}
}

// A client finds records the way its own screens list them: several IDs
// at once, several customers, a RefNumber range, an update-time window,
// sorted by name or date (both ways, paged with the sort kept), with the
// total count on request; a bad value of any of them is a 400 naming it.
func TestListRecordsByIDsCustomersRangesAndSorts(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	invoices := c.listAll(t, "invoices", "", 1000)
	if len(invoices) < 10 {
		t.Fatalf("%d invoices", len(invoices))
	}
	field := func(recs []map[string]any, k string) []string {
		var out []string
		for _, r := range recs {
			s, _ := r[k].(string)
			out = append(out, s)
		}
		return out
	}
	sorted := func(vals []string, desc bool) bool {
		for i := 1; i < len(vals); i++ {
			if desc && vals[i-1] < vals[i] || !desc && vals[i-1] > vals[i] {
				return false
			}
		}
		return true
	}

	two := []string{invoices[3]["id"].(string), invoices[1]["id"].(string)}
	if got := ids(c.listAll(t, "invoices", "ids="+two[0]+","+two[1]+",nope", 1)); len(got) != 2 {
		t.Errorf("ids=%v: got %v", two, got)
	}
	for _, s := range []string{"txnDate", "-txnDate", "name", "-name", "-updatedAt"} {
		got := c.listAll(t, "invoices", "sort="+s, 3)
		if len(got) != len(invoices) {
			t.Errorf("sort=%s: %d invoices, want %d", s, len(got), len(invoices))
		}
		key := map[string]string{"txnDate": "txnDate", "name": "refNumber", "updatedAt": ""}[strings.TrimPrefix(s, "-")]
		if key != "" && !sorted(field(got, key), strings.HasPrefix(s, "-")) {
			t.Errorf("sort=%s: %s not in order: %v", s, key, field(got, key))
		}
	}
	customers := map[string]bool{}
	for _, inv := range invoices {
		if ref, ok := inv["customerRef"].(map[string]any); ok {
			customers[ref["listId"].(string)] = true
		}
	}
	var some []string
	for id := range customers {
		some = append(some, id)
		if len(some) == 2 {
			break
		}
	}
	for _, inv := range c.listAll(t, "invoices", "customerIds="+strings.Join(some, ","), 1000) {
		if id := inv["customerRef"].(map[string]any)["listId"]; id != some[0] && (len(some) < 2 || id != some[1]) {
			t.Errorf("customerIds=%v listed an invoice of %v", some, id)
		}
	}
	refs := field(c.listAll(t, "invoices", "sort=name", 1000), "refNumber")
	lo, hi := refs[2], refs[5]
	if got := field(c.listAll(t, "invoices", "sort=name&refNumberFrom="+lo+"&refNumberTo="+hi, 1000), "refNumber"); len(got) < 4 || got[0] != lo || got[len(got)-1] != hi {
		t.Errorf("refNumber %s..%s: %v", lo, hi, got)
	}
	var counted struct {
		Data       []map[string]any
		TotalCount *int
	}
	c.get(t, "/v1/companies/"+c.id+"/invoices?limit=2&count=true", &counted)
	if counted.TotalCount == nil || *counted.TotalCount != len(invoices) || len(counted.Data) != 2 {
		t.Errorf("count=true: totalCount %v with %d on the page, want %d", counted.TotalCount, len(counted.Data), len(invoices))
	}
	future := url.QueryEscape(time.Now().Add(24 * time.Hour).Format(time.RFC3339))
	if got := c.listAll(t, "invoices", "updatedBefore="+future, 1000); len(got) != len(invoices) {
		t.Errorf("updatedBefore tomorrow: %d, want %d", len(got), len(invoices))
	}
	if got := c.listAll(t, "invoices", "updatedBefore=2000-01-01T00:00:00Z", 1000); len(got) != 0 {
		t.Errorf("updatedBefore 2000: %d invoices", len(got))
	}

	var first page
	c.get(t, "/v1/companies/"+c.id+"/invoices?limit=2&sort=name", &first)
	for _, bad := range []struct{ query, says string }{
		{"sort=amount", "sort must be one of"},
		{"ids=a,,b", "no empty entries"},
		{"ids=" + manyIDs(101), "at most 100"},
		{"refNumberFrom=9&refNumberTo=1", "is after"},
		{"count=maybe", "count must be true or false"},
		{"updatedBefore=yesterday", "updatedBefore must be an RFC 3339 time"},
		{"sort=txnDate&cursor=" + url.QueryEscape(*first.NextCursor), "keep the sort while paging"},
	} {
		r := e.do("GET", "/v1/companies/"+c.id+"/invoices?"+bad.query, c.key, nil)
		if r.Status != 400 || !strings.Contains(string(r.Body), bad.says) {
			t.Errorf("%s: %d %s, want 400 saying %q", bad.query, r.Status, r.Body, bad.says)
		}
	}
	if r := e.do("GET", "/v1/companies/"+c.id+"/customers?refNumberFrom=1", c.key, nil); r.Status != 400 {
		t.Errorf("refNumberFrom on a list type: %d, want 400", r.Status)
	}
}

// manyIDs returns n distinct IDs, comma-separated.
func manyIDs(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("id%d", i)
	}
	return strings.Join(out, ",")
}
