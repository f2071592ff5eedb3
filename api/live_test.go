package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
)

func errorOfBody(b []byte) map[string]string {
	var eb struct{ Error map[string]string }
	json.Unmarshal(b, &eb)
	return eb.Error
}

func TestLiveHealthReportsDurationOrTheExactReason(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	path := "/v1/companies/" + c.id + "/health"

	// Nobody runs the check: it times out naming what is wrong, and is
	// taken back so that it does not run later.
	r := e.do("GET", path+"?timeout=1s", c.key, nil)
	if er := errorOfBody(r.Body); r.Status != 504 || er["code"] != "timeout" || !strings.Contains(er["message"], "did not pick up the health check within 1s") {
		t.Errorf("no connector: %d %s", r.Status, r.Body)
	}
	if n := c.drain(t); n != 0 {
		t.Errorf("the timed-out check still ran (%d items)", n)
	}

	c.background(t)
	var h struct {
		Status     string
		DurationMs int64
		QuickBooks map[string]string
	}
	e.mustDo(200, "GET", path, c.key, nil, &h)
	if h.Status != "ok" || h.QuickBooks["productName"] == "" || h.DurationMs < 0 {
		t.Errorf("healthy: %+v", h)
	}

	// QuickBooks is closed: the connector reports the HRESULT, and the
	// check answers with it.
	c.failWith(&gateway.Failure{HResult: "0x80040408", Message: "Could not start QuickBooks.", Condition: "qb_not_running",
		UserMessage: "QuickBooks is not running on the QuickBooks computer.", Resolution: "Open QuickBooks and the company file."})
	r = e.do("GET", path+"?timeout=10s", c.key, nil)
	er := errorOfBody(r.Body)
	if r.Status != 502 || er["qbCode"] != "0x80040408" || !strings.Contains(er["message"], "Could not start QuickBooks") ||
		er["userMessage"] != "QuickBooks is not running on the QuickBooks computer." {
		t.Errorf("QuickBooks closed: %d %s", r.Status, r.Body)
	}
	c.failWith(nil)

	for _, tc := range []struct {
		name, path string
		status     int
		msg        string
	}{
		{"bad timeout", path + "?timeout=forever", 400, "timeout must be"},
		{"timeout too long", path + "?timeout=5m", 400, "timeout must be"},
		{"unknown query", path + "?x=1", 400, "unknown query parameter"},
		{"unknown company", "/v1/companies/cmp_0000000000000000/health", 404, "company not found"},
	} {
		r := e.do("GET", tc.path, c.key, nil)
		if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
}

func TestLiveHealthOfUnconnectedCompanies(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	var co struct{ ID string }
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Unlinked"}, &co)
	r := e.do("GET", "/v1/companies/"+co.ID+"/health", key, nil)
	if r.Status != 409 || !strings.Contains(errorOfBody(r.Body)["message"], "no connection") {
		t.Errorf("no connection: %d %s", r.Status, r.Body)
	}
	e.mustDo(201, "POST", "/v1/companies/"+co.ID+"/connections", key, map[string]any{}, nil)
	r = e.do("GET", "/v1/companies/"+co.ID+"/health", key, nil)
	if er := errorOfBody(r.Body); r.Status != 503 || !strings.Contains(er["message"], "never linked") || er["resolution"] == "" {
		t.Errorf("never linked: %d %s", r.Status, r.Body)
	}
}

const hostQuery = `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><MaxReturned>2</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`

func TestQBXMLPassthrough(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	path := "/v1/companies/" + c.id + "/qbxml"
	xml := []string{"Content-Type", "application/xml"}

	queued, _ := c.write(t, 202, "POST", path, hostQuery, xml...)
	if queued.Kind != "qbxml" || queued.Status != "Pending" {
		t.Errorf("queued: %+v", queued)
	}
	c.background(t)
	var done operation
	e.mustDo(200, "GET", "/v1/operations/"+queued.ID+"?wait=30s", c.key, nil, &done)
	if done.Status != "Success" || strings.Count(done.Response, "<CustomerRet>") != 2 {
		t.Errorf("passthrough answer: %s %.300s", done.Status, done.Response)
	}
	waited, _ := c.write(t, 200, "POST", path+"?wait=30s", hostQuery, append(xml, "Idempotency-Key", "pt-1")...)
	if !strings.Contains(waited.Response, "CustomerQueryRs") {
		t.Errorf("waited passthrough: %+v", waited)
	}
	// The same key and document again: the first operation. The same key
	// with another document: refused, nothing queued.
	if again, _ := c.write(t, 200, "POST", path, hostQuery, append(xml, "Idempotency-Key", "pt-1")...); again.ID != waited.ID {
		t.Errorf("repeated passthrough made operation %s, want %s", again.ID, waited.ID)
	}
	other := strings.Replace(hostQuery, "<MaxReturned>2</MaxReturned>", "<MaxReturned>3</MaxReturned>", 1)
	if r := e.do("POST", path, c.key, other, append(xml, "Idempotency-Key", "pt-1")...); r.Status != 422 || r.ErrorCode() != "idempotency_mismatch" {
		t.Errorf("another document under the same key: %d %s", r.Status, r.Body)
	}
	// QuickBooks' status is in the answer: a passthrough returns what
	// QuickBooks said (500, Warn, for a ListID it does not have).
	bad := strings.Replace(hostQuery, "<MaxReturned>2</MaxReturned>", "<ListID>80009999-1</ListID>", 1)
	got, _ := c.write(t, 200, "POST", path+"?wait=30s", bad, xml...)
	if got.Status != "Success" || !strings.Contains(got.Response, `statusCode="500"`) {
		t.Errorf("not found in QuickBooks: %+v", got)
	}

	for _, tc := range []struct {
		name, body string
		headers    []string
		status     int
		msg        string
	}{
		{"not XML", "hello", xml, 400, "not a well-formed XML document"},
		{"not qbXML", `<?xml version="1.0"?><HTML/>`, xml, 400, "<QBXML> holding one <QBXMLMsgsRq>"},
		{"schema", strings.Replace(hostQuery, "<MaxReturned>2</MaxReturned>", "<Bogus/>", 1), xml, 400, "does not match QuickBooks' schema"},
		{"JSON", `{"qbxml":"x"}`, []string{"Content-Type", "application/json"}, 400, "Content-Type must be application/xml"},
		{"empty", "", xml, 400, "body is empty"},
		{"too large", hostQuery + strings.Repeat(" ", 1<<20), xml, 413, "larger than"},
		{"reused key", hostQuery, append(xml, "Idempotency-Key", "order-1"), 422, "already used for a different request"},
	} {
		if tc.name == "reused key" {
			c.write(t, 200, "POST", "/v1/companies/"+c.id+"/customers?wait=30s", `{"name":"Key Holder"}`, "Idempotency-Key", "order-1")
		}
		r := e.do("POST", path, c.key, tc.body, tc.headers...)
		if r.Status != tc.status || !strings.Contains(errorOfBody(r.Body)["message"], tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	var lone qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", c.key, map[string]any{"name": "Not Connected"}, &lone)
	if r := e.do("POST", "/v1/companies/"+lone.ID+"/qbxml", c.key, hostQuery, xml...); r.Status != 409 {
		t.Errorf("passthrough to a company without a connection: %d %s, want 409", r.Status, r.Body)
	}
	r := e.do("POST", "/v1/companies/cmp_0000000000000000/qbxml", c.key, hostQuery, xml...)
	if r.Status != 404 {
		t.Errorf("unknown company: %d", r.Status)
	}
	_ = api.OpenAPI
}

func TestWriteTimesOutWhenQuickBooksNeverRunsIt(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	op, _ := c.write(t, 202, "POST", "/v1/companies/"+c.id+"/customers?timeout=1m", `{"name":"Too Late"}`)
	e.clock.Advance(2 * 60e9)
	if _, err := e.queue.ExpireDeadlines(c.ctx); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v1/operations/"+op.ID+"?wait=1s", c.key, nil)
	var got operation
	json.Unmarshal(r.Body, &got)
	if got.Status != "TimedOut" || got.Error["code"] != "timeout" {
		t.Errorf("after the deadline: %s", r.Body)
	}
	// Waiting for a write that times out answers 504.
	op, _ = c.write(t, 202, "POST", "/v1/companies/"+c.id+"/customers?timeout=1m", `{"name":"Later Still"}`)
	e.clock.Advance(2 * 60e9)
	e.queue.ExpireDeadlines(c.ctx)
	r = e.do("POST", "/v1/companies/"+c.id+"/customers?timeout=1m&wait=1s", c.key, `{"name":"Later Still"}`, "Idempotency-Key", "late")
	if r.Status != 202 {
		t.Errorf("fresh write: %d", r.Status)
	}
	e.clock.Advance(2 * 60e9)
	e.queue.ExpireDeadlines(c.ctx)
	r = e.do("POST", "/v1/companies/"+c.id+"/customers?timeout=1m&wait=1s", c.key, `{"name":"Later Still"}`, "Idempotency-Key", "late")
	if er := errorOfBody(r.Body); r.Status != 504 || er["code"] != "timeout" {
		t.Errorf("waited-for timed-out write: %d %s", r.Status, r.Body)
	}
	_ = op
}
