package api_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type syncStatus struct {
	CompanyID string
	Data      []struct {
		DataType, Status, Mode, Trigger, FullReason string
		Fetched, Pages                              int
		Error                                       map[string]string
	}
}

func (s syncStatus) of(typ string) (status string, fetched int) {
	for _, d := range s.Data {
		if d.DataType == typ {
			return d.Status, d.Fetched
		}
	}
	return "", -1
}

func TestSyncSomeTypesThenStatusAndHistory(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	base := "/v1/companies/" + c.id

	var started syncStatus
	r := e.mustDo(202, "POST", base+"/sync", c.key, map[string]any{"dataTypes": []string{"customers", "invoices", "customers"}}, &started)
	if r.Header.Get("Location") != base+"/sync-status" || len(started.Data) != 2 {
		t.Fatalf("started: %+v (Location %q)", started, r.Header.Get("Location"))
	}
	var st syncStatus
	e.mustDo(200, "GET", base+"/sync-status", c.key, nil, &st)
	if s, _ := st.of("customers"); s != "Queued" {
		t.Errorf("customers before the connector ran: %s", s)
	}
	if s, _ := st.of("vendors"); s != "Idle" {
		t.Errorf("vendors, never synced: %s", s)
	}
	c.drain(t)
	e.mustDo(200, "GET", base+"/sync-status", c.key, nil, &st)
	for typ, want := range map[string]int{"customers": 15, "invoices": 25} {
		if s, n := st.of(typ); s != "Complete" || n != want {
			t.Errorf("%s: %s with %d fetched, want Complete with %d", typ, s, n, want)
		}
	}
	// A full pass says why it is full: these are the types' first.
	for _, d := range st.Data {
		if (d.DataType == "customers" || d.DataType == "invoices") && (d.Mode != "full" || d.FullReason != "first_sync") {
			t.Errorf("%s: mode %q, fullReason %q; want full, first_sync", d.DataType, d.Mode, d.FullReason)
		}
	}
	// The second sync is incremental.
	e.mustDo(202, "POST", base+"/sync", c.key, map[string]any{"dataTypes": []string{"customers"}}, nil)
	c.drain(t)
	var runs struct {
		Data []struct {
			DataType, Mode, FullReason, Trigger, Status string
			Fetched                                     int
		}
		HasMore    bool
		NextCursor *string
	}
	e.mustDo(200, "GET", base+"/sync-runs?dataType=customers", c.key, nil, &runs)
	var modes []string
	for _, run := range runs.Data {
		modes = append(modes, run.Mode+"/"+run.FullReason+"/"+run.Status)
	}
	if diff := cmp.Diff([]string{"incremental//Complete", "full/first_sync/Complete"}, modes); diff != "" {
		t.Errorf("customers history (-want +got):\n%s", diff)
	}
	e.mustDo(200, "GET", base+"/sync-runs?limit=1", c.key, nil, &runs)
	if len(runs.Data) != 1 || !runs.HasMore || runs.NextCursor == nil {
		t.Errorf("first page of one: %+v", runs)
	}
	// A full sync of everything.
	c.syncAll(t)

	var other struct{ ID string }
	e.mustDo(201, "POST", "/v1/companies", c.key, map[string]any{"name": "Not Connected"}, &other)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"unknown type", "POST", base + "/sync", map[string]any{"dataTypes": []string{"widgets"}}, 400, `unknown data type "widgets"`},
		{"unknown field", "POST", base + "/sync", map[string]any{"types": []string{"customers"}}, 400, "unknown field"},
		{"no connection", "POST", "/v1/companies/" + other.ID + "/sync", map[string]any{}, 409, "no connection"},
		{"unknown company", "POST", "/v1/companies/cmp_0000000000000000/sync", map[string]any{}, 404, "company not found"},
		{"status query", "GET", base + "/sync-status?x=1", nil, 400, "no query parameters"},
		{"status of unknown company", "GET", "/v1/companies/cmp_0000000000000000/sync-status", nil, 404, "company not found"},
		{"runs of unknown type", "GET", base + "/sync-runs?dataType=widgets", nil, 400, "unknown data type"},
		{"runs bad limit", "GET", base + "/sync-runs?limit=0", nil, 400, "limit must be"},
		{"runs of unknown company", "GET", "/v1/companies/cmp_0000000000000000/sync-runs", nil, 404, "company not found"},
	} {
		r := e.do(tc.method, tc.path, c.key, tc.body)
		if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
}

func TestCompanyUpdateAndDelete(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	path := "/v1/companies/" + c.id
	var co map[string]any
	e.mustDo(200, "PATCH", path, c.key, map[string]any{"name": " Harbor Supply West ", "metadata": map[string]string{"tier": "gold"},
		"syncSchedule": map[string]any{"every": "6h"}}, &co)
	if co["name"] != "Harbor Supply West" || co["metadata"].(map[string]any)["tier"] != "gold" || co["syncSchedule"].(map[string]any)["every"] != "6h0m0s" {
		t.Errorf("patched: %v", co)
	}
	e.mustDo(200, "PATCH", path, c.key, map[string]any{"externalId": "crm-9"}, &co)
	if co["name"] != "Harbor Supply West" || co["externalId"] != "crm-9" {
		t.Errorf("a patch of one field changed others: %v", co)
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"empty name", map[string]any{"name": " "}, 400, `"name" is required`},
		{"unknown field", map[string]any{"nmae": "x"}, 400, "unknown field"},
		{"bad window", map[string]any{"syncSchedule": map[string]any{"window": map[string]any{"from": "9am"}}}, 400, "HH:MM"},
		{"too large", map[string]any{"name": strings.Repeat("x", 1<<20)}, 413, "larger than"},
	} {
		r := e.do("PATCH", path, c.key, tc.body)
		if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := e.do("PATCH", "/v1/companies/cmp_0000000000000000", c.key, map[string]any{"name": "x"}); r.Status != 404 {
		t.Errorf("patch unknown: %d", r.Status)
	}
	// Deleting unlinks the connection and hides the company and its data.
	op, _ := c.write(t, 202, "POST", path+"/customers", `{"name":"Queued Before Delete"}`)
	e.mustDo(204, "DELETE", path, c.key, nil, nil)
	for _, p := range []string{path, path + "/customers", path + "/sync-status"} {
		if r := e.do("GET", p, c.key, nil); r.Status != 404 {
			t.Errorf("GET %s after delete: %d", p, r.Status)
		}
	}
	if r := e.do("DELETE", path, c.key, nil); r.Status != 404 {
		t.Errorf("second delete: %d", r.Status)
	}
	var got operation
	e.mustDo(200, "GET", "/v1/operations/"+op.ID, c.key, nil, &got)
	if got.Status != "Canceled" {
		t.Errorf("the queued write after the delete: %s", got.Status)
	}
	if n := c.drain(t); n != 0 {
		t.Errorf("the connector still got %d items", n)
	}
}
