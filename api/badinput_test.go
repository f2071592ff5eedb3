package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// badInput is one hostile or broken request and the answer it must get:
// a clear 4xx in the one error shape, the same on every database, and no
// change (the test checks the company list and the link code after).
type badInput struct {
	name    string
	method  string
	path    string // may hold {company}, {connection}, {item}
	auth    string // "key", "connector" or ""
	body    any    // string, []byte or nil
	headers []string
	status  int
	code    string
}

// badInputWorld is what the requests of a family run against.
type badInputWorld struct {
	e                           *env
	key, cred                   string
	company, connection, item   string
	pendingCompany, pendingCode string
}

func newBadInputWorld(t *testing.T, e *env) *badInputWorld {
	t.Helper()
	org, key := e.newOrg("Lender")
	companyID, connID, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	op := e.enqueue(org.ID, companyID, connID, "<QBXML><CustomerQueryRq/></QBXML>")
	p, err := e.client(linked.Credential).Poll(context.Background(), gateway.PollRequest{})
	if err != nil || p.Item == nil || p.Item.ID != op.ID {
		t.Fatalf("poll: %+v %v", p, err)
	}
	pendingCompany, _, pendingCode := e.linkedCompany(key, "Pending Ltd")
	return &badInputWorld{e: e, key: key, cred: linked.Credential, company: companyID, connection: connID, item: op.ID,
		pendingCompany: pendingCompany, pendingCode: pendingCode}
}

func gzipped(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// badInputFamilies lists the bad inputs by family. Every one was answered
// 400 (or worse, 500 on PostgreSQL and a half-done link) before the API
// checked text, queries and JSON in one place (text.go).
func badInputFamilies(tb testing.TB) map[string][]badInput {
	const json = "Content-Type"
	return map[string][]badInput{
		"rest": {
			{"company name with NUL", "POST", "/v1/companies", "key", `{"name":"Acme\u0000Ltd"}`, nil, 400, "invalid"},
			{"company name not UTF-8", "POST", "/v1/companies", "key", []byte("{\"name\":\"Acme \xff\xfe\"}"), nil, 400, "invalid"},
			{"company name overlong UTF-8", "POST", "/v1/companies", "key", []byte("{\"name\":\"Acme \xc0\x80\"}"), nil, 400, "invalid"},
			{"company name with a bell", "POST", "/v1/companies", "key", `{"name":"Acme\u0007"}`, nil, 400, "invalid"},
			{"company name with a line break", "POST", "/v1/companies", "key", `{"name":"Acme\nLtd"}`, nil, 400, "invalid"},
			{"company name with a C1 control", "POST", "/v1/companies", "key", `{"name":"Ac\u0085me"}`, nil, 400, "invalid"},
			{"externalId with NUL", "POST", "/v1/companies", "key", `{"name":"Acme","externalId":"x\u0000"}`, nil, 400, "invalid"},
			{"metadata key with NUL", "POST", "/v1/companies", "key", `{"name":"Acme","metadata":{"a\u0000":"b"}}`, nil, 400, "invalid"},
			{"metadata value not UTF-8", "POST", "/v1/companies", "key", []byte("{\"name\":\"Acme\",\"metadata\":{\"a\":\"\xff\"}}"), nil, 400, "invalid"},
			{"duplicate key", "POST", "/v1/companies", "key", `{"name":"Acme","name":"Other"}`, nil, 400, "invalid"},
			{"duplicate key, escaped", "POST", "/v1/companies", "key", `{"name":"Acme","n\u0061me":"Other"}`, nil, 400, "invalid"},
			{"duplicate nested key", "POST", "/v1/companies", "key", `{"name":"Acme","metadata":{"a":"1","a":"2"}}`, nil, 400, "invalid"},
			{"syncSchedule.every 1ns", "POST", "/v1/companies", "key", `{"name":"Acme","syncSchedule":{"every":"1ns"}}`, nil, 400, "invalid"},
			{"syncSchedule.every 59s", "POST", "/v1/companies", "key", `{"name":"Acme","syncSchedule":{"every":"59s"}}`, nil, 400, "invalid"},
			{"syncSchedule.every 1ms", "POST", "/v1/companies", "key", `{"name":"Acme","syncSchedule":{"every":"1ms"}}`, nil, 400, "invalid"},
			{"syncSchedule.every 1 second as a number", "PATCH", "/v1/companies/{company}", "key", `{"syncSchedule":{"every":1}}`, nil, 400, "invalid"},
			{"patch name with NUL", "PATCH", "/v1/companies/{company}", "key", `{"name":"A\u0000"}`, nil, 400, "invalid"},
			{"patch duplicate key", "PATCH", "/v1/companies/{company}", "key", `{"name":"A","name":"B"}`, nil, 400, "invalid"},
			{"write with NUL", "POST", "/v1/companies/{company}/customers", "key", `{"name":"Bob\u0000"}`, nil, 400, "invalid"},
			{"write not UTF-8", "POST", "/v1/companies/{company}/customers", "key", []byte("{\"name\":\"Bob\xff\"}"), nil, 400, "invalid"},
			{"write duplicate key", "POST", "/v1/companies/{company}/customers", "key", `{"name":"Bob","name":"Rob"}`, nil, 400, "invalid"},
			{"connection kind with NUL", "POST", "/v1/companies/{company}/connections", "key", `{"kind":"connector\u0000"}`, nil, 400, "invalid"},
			{"webhook url with NUL", "POST", "/v1/webhooks", "key", `{"url":"http://127.0.0.1/\u0000","events":["connection.changed"]}`, nil, 400, "invalid"},
			{"qbXML passthrough with NUL", "POST", "/v1/companies/{company}/qbxml", "key", []byte(strings.Replace(hostQuery, "<MaxReturned>", "<MaxReturned>\x00", 1)), []string{json, "application/xml"}, 400, "invalid"},
			{"qbXML passthrough in ISO-8859-1", "POST", "/v1/companies/{company}/qbxml", "key",
				[]byte(strings.Replace(strings.Replace(hostQuery, `encoding="utf-8"`, `encoding="ISO-8859-1"`, 1), "<MaxReturned>2</MaxReturned>", "<FullName>Caf\xe9</FullName>", 1)), []string{json, "application/xml"}, 400, "invalid"},
		},
		"query": {
			{"path ID with NUL", "GET", "/v1/companies/cmp_%00", "key", nil, nil, 400, "invalid"},
			{"path ID not UTF-8", "GET", "/v1/companies/cmp_%FF%FE", "key", nil, nil, 400, "invalid"},
			{"path ID with a control character", "GET", "/v1/companies/cmp_%0A", "key", nil, nil, 400, "invalid"},
			{"operation ID with NUL", "GET", "/v1/operations/op_%00", "key", nil, nil, 400, "invalid"},
			{"record ID not UTF-8", "GET", "/v1/companies/{company}/customers/80000001-%C3%28", "key", nil, nil, 400, "invalid"},
			{"webhook ID with NUL", "DELETE", "/v1/webhooks/wh_%00", "key", nil, nil, 400, "invalid"},
			{"limit not a number", "GET", "/v1/companies?limit=ten", "key", nil, nil, 400, "invalid"},
			{"limit zero", "GET", "/v1/companies?limit=0", "key", nil, nil, 400, "invalid"},
			{"cursor not base64", "GET", "/v1/companies?cursor=!!!", "key", nil, nil, 400, "invalid"},
			{"cursor of garbage", "GET", "/v1/companies?cursor=Z2FyYmFnZQ", "key", nil, nil, 400, "invalid"},
			{"cursor with NUL", "GET", "/v1/companies?cursor=%00", "key", nil, nil, 400, "invalid"},
			{"malformed query", "GET", "/v1/companies?limit=10&%zz=1", "key", nil, nil, 400, "invalid"},
			{"limit given twice", "GET", "/v1/companies?limit=10&limit=abc", "key", nil, nil, 400, "invalid"},
			{"sync-runs cursor given twice", "GET", "/v1/companies/{company}/sync-runs?cursor=&cursor=Z2FyYmFnZQ", "key", nil, nil, 400, "invalid"},
			{"poll wait given twice", "GET", gateway.PathWork + "?wait=1s&wait=forever", "connector", nil, nil, 400, "invalid"},
			{"malformed query separator", "GET", "/v1/companies?limit=10;cursor=x", "key", nil, nil, 400, "invalid"},
			{"record filter with NUL", "GET", "/v1/companies/{company}/customers?name=%00", "key", nil, nil, 400, "invalid"},
			{"record filter not UTF-8", "GET", "/v1/companies/{company}/customers?namePrefix=%FF", "key", nil, nil, 400, "invalid"},
			{"record cursor of garbage", "GET", "/v1/companies/{company}/customers?cursor=Z2FyYmFnZQ", "key", nil, nil, 400, "invalid"},
			{"record limit not a number", "GET", "/v1/companies/{company}/customers?limit=1e3", "key", nil, nil, 400, "invalid"},
			{"updatedSince not a time", "GET", "/v1/companies/{company}/customers?updatedSince=yesterday", "key", nil, nil, 400, "invalid"},
			{"txnDateFrom not a date", "GET", "/v1/companies/{company}/invoices?txnDateFrom=2026-13-01", "key", nil, nil, 400, "invalid"},
			{"includeDeleted not a boolean", "GET", "/v1/companies/{company}/customers?includeDeleted=maybe", "key", nil, nil, 400, "invalid"},
			{"sync-runs cursor of garbage", "GET", "/v1/companies/{company}/sync-runs?cursor=Z2FyYmFnZQ", "key", nil, nil, 400, "invalid"},
			{"sync-runs limit not a number", "GET", "/v1/companies/{company}/sync-runs?limit=x", "key", nil, nil, 400, "invalid"},
			{"deliveries cursor with NUL", "GET", "/v1/webhooks/wh_x/deliveries?cursor=%00", "key", nil, nil, 400, "invalid"},
			{"wait not a duration", "GET", "/v1/operations/{item}?wait=soon", "key", nil, nil, 400, "invalid"},
		},
		"gateway": {
			{"link code with NUL", "POST", gateway.PathLink, "", `{"code":"{code}\u0000","file":{"path":"C:\\a.qbw"},"connector":{"version":"1"}}`, nil, 400, "invalid"},
			{"link hostname not UTF-8", "POST", gateway.PathLink, "", []byte("{\"code\":\"{code}\",\"file\":{\"path\":\"C:\\\\a.qbw\"},\"connector\":{\"version\":\"1\",\"hostname\":\"PC\xff\"}}"), nil, 400, "invalid"},
			{"link hostname with NUL", "POST", gateway.PathLink, "", `{"code":"{code}","file":{"path":"C:\\a.qbw"},"connector":{"version":"1","hostname":"PC\u0000"}}`, nil, 400, "invalid"},
			{"link file path with NUL", "POST", gateway.PathLink, "", `{"code":"{code}","file":{"path":"C:\\a\u0000.qbw"},"connector":{"version":"1"}}`, nil, 400, "invalid"},
			{"link company name with a control character", "POST", gateway.PathLink, "", `{"code":"{code}","file":{"path":"C:\\a.qbw","companyName":"A\u001b[31m"},"connector":{"version":"1"}}`, nil, 400, "invalid"},
			{"link signer with a line break", "POST", gateway.PathLink, "", `{"code":"{code}","file":{"path":"C:\\a.qbw"},"connector":{"version":"1","signer":"CN=x\nCN=y"}}`, nil, 400, "invalid"},
			{"link duplicate key", "POST", gateway.PathLink, "", `{"code":"{code}","code":"XXXX-XXXX","file":{"path":"C:\\a.qbw"},"connector":{"version":"1"}}`, nil, 400, "invalid"},
			{"state message with NUL", "POST", gateway.PathState, "connector", `{"connector":{"version":"1"},"files":[{"connectionId":"{connection}","condition":"ok","message":"x\u0000"}]}`, nil, 400, "invalid"},
			{"state connection ID not UTF-8", "POST", gateway.PathState, "connector", []byte("{\"connector\":{\"version\":\"1\"},\"files\":[{\"connectionId\":\"conn_\xff\",\"condition\":\"ok\"}]}"), nil, 400, "invalid"},
			{"state hostname with NUL", "POST", gateway.PathState, "connector", `{"connector":{"version":"1","hostname":"\u0000"}}`, nil, 400, "invalid"},
			{"result failure message with NUL", "POST", "/gateway/v1/work/{item}/result", "connector", `{"leaseId":"{lease}","failure":{"condition":"qb_closed","message":"x\u0000"}}`, nil, 400, "invalid"},
			{"result response with NUL", "POST", "/gateway/v1/work/{item}/result", "connector", `{"leaseId":"{lease}","response":"<QBXML>\u0000</QBXML>"}`, nil, 400, "invalid"},
			{"result not UTF-8", "POST", "/gateway/v1/work/{item}/result", "connector", []byte("{\"leaseId\":\"{lease}\",\"response\":\"<QBXML>\xff</QBXML>\"}"), nil, 400, "invalid"},
			{"gzip result not UTF-8", "POST", "/gateway/v1/work/{item}/result", "connector", "gzip:{\"leaseId\":\"{lease}\",\"response\":\"<QBXML>\xff</QBXML>\"}", []string{"Content-Encoding", "gzip"}, 400, "invalid"},
			{"result duplicate key", "POST", "/gateway/v1/work/{item}/result", "connector", `{"leaseId":"{lease}","response":"<QBXML/>","response":"<QBXML/>"}`, nil, 400, "invalid"},
			{"result for an item ID with NUL", "POST", "/gateway/v1/work/op_%00/result", "connector", `{"leaseId":"x","response":"<QBXML/>"}`, nil, 400, "invalid"},
			{"lease ID with NUL", "POST", "/gateway/v1/work/{item}/lease", "connector", `{"leaseId":"lse_\u0000"}`, nil, 400, "invalid"},
			{"poll wait with NUL", "GET", gateway.PathWork + "?wait=%00", "connector", nil, nil, 400, "invalid"},
			{"poll wait malformed", "GET", gateway.PathWork + "?wait=1s&%zz", "connector", nil, nil, 400, "invalid"},
		},
		"encodings": {
			{"UTF-16 body", "POST", "/v1/companies", "key", []byte("\xff\xfe{\x00\"\x00n\x00a\x00m\x00e\x00\"\x00:\x00\"\x00A\x00\"\x00}\x00"), nil, 400, "invalid"},
			{"UTF-8 byte order mark", "POST", "/v1/companies", "key", []byte("\xef\xbb\xbf{\"name\":\"Acme\"}"), nil, 400, "invalid"},
			{"Latin-1 body", "POST", "/v1/companies", "key", []byte("{\"name\":\"Caf\xe9\"}"), nil, 400, "invalid"},
			{"surrogate bytes in UTF-8", "POST", "/v1/companies", "key", []byte("{\"name\":\"\xed\xa0\x80\"}"), nil, 400, "invalid"},
			{"gzip on a REST body", "POST", "/v1/companies", "key", "gzip:{\"name\":\"Acme\"}", []string{"Content-Encoding", "gzip"}, 400, "invalid"},
			{"brotli on a result", "POST", "/gateway/v1/work/{item}/result", "connector", `{"leaseId":"{lease}","response":"<QBXML/>"}`, []string{"Content-Encoding", "br"}, 400, "invalid"},
			{"gzip header, plain body", "POST", "/gateway/v1/work/{item}/result", "connector", `{"leaseId":"{lease}","response":"<QBXML/>"}`, []string{"Content-Encoding", "gzip"}, 400, "invalid"},
			{"truncated gzip", "POST", "/gateway/v1/work/{item}/result", "connector", "gzip-truncated:{\"leaseId\":\"{lease}\",\"response\":\"<QBXML/>\"}", []string{"Content-Encoding", "gzip"}, 400, "invalid"},
			{"text/plain JSON", "POST", "/v1/companies", "key", `{"name":"Acme"}`, []string{"Content-Type", "text/plain"}, 400, "invalid"},
			{"JSON with a charset other than UTF-8", "POST", "/v1/companies", "key", []byte("{\"name\":\"Caf\xe9\"}"), []string{"Content-Type", "application/json; charset=iso-8859-1"}, 400, "invalid"},
		},
	}
}

// Bad bytes and bad parameters get 400 invalid, on SQLite and PostgreSQL
// alike, and change nothing: no company is created, and the pending link
// code still links afterwards.
func TestBadInputIsRefusedAlikeOnEveryDatabase(t *testing.T) {
	families := badInputFamilies(t)
	for dbName, dsn := range databases(t) {
		t.Run(dbName, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			w := newBadInputWorld(t, e)
			lease := e.operation(e.orgOf(t, w.key), w.item).LeaseID
			before := e.mustDo(200, "GET", "/v1/companies", w.key, nil, nil).Body
			names := make([]string, 0, len(families))
			for f := range families {
				names = append(names, f)
			}
			sort.Strings(names)
			for _, family := range names {
				handled := 0
				for _, tc := range families[family] {
					expand := func(s string) string {
						return strings.NewReplacer("{company}", w.company, "{connection}", w.connection, "{item}", w.item,
							"{code}", w.pendingCode, "{lease}", lease).Replace(s)
					}
					var body any
					switch b := tc.body.(type) {
					case string:
						switch {
						case strings.HasPrefix(b, "gzip:"):
							body = gzipped(t, []byte(expand(strings.TrimPrefix(b, "gzip:"))))
						case strings.HasPrefix(b, "gzip-truncated:"):
							z := gzipped(t, []byte(expand(strings.TrimPrefix(b, "gzip-truncated:"))))
							body = z[:len(z)/2]
						default:
							body = expand(b)
						}
					case []byte:
						body = []byte(expand(string(b)))
					}
					token := map[string]string{"key": w.key, "connector": w.cred}[tc.auth]
					r := e.do(tc.method, expand(tc.path), token, body, tc.headers...)
					if r.Status == tc.status && r.ErrorCode() == tc.code {
						handled++
					} else {
						t.Errorf("%s: %s: %s %s = %d %s, want %d %s", family, tc.name, tc.method, tc.path, r.Status, r.Body, tc.status, tc.code)
					}
				}
				t.Logf("bad inputs %s/%s: %d tried, %d handled", dbName, family, len(families[family]), handled)
			}
			if after := e.mustDo(200, "GET", "/v1/companies", w.key, nil, nil).Body; !bytes.Equal(before, after) {
				t.Errorf("bad inputs changed the companies:\nbefore %s\nafter  %s", before, after)
			}
			if op := e.operation(e.orgOf(t, w.key), w.item); op.Status != qbconnect.OpInFlight || op.LeaseID != lease {
				t.Errorf("bad results changed the item: %s under %s", op.Status, op.LeaseID)
			}
			// The link code survived every bad link attempt.
			if _, err := e.client("").Link(context.Background(), linkRequest(w.pendingCode, `C:\pending.qbw`)); err != nil {
				t.Errorf("the link code after bad link attempts: %v", err)
			}
		})
	}
}

// Every route refuses a path parameter or a query holding NUL with 400
// invalid, before it authenticates or reads anything: the list is made
// from the server's own routes, so a new route is covered too.
func TestEveryRouteRefusesNULInItsPathAndQuery(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	tried, handled := 0, 0
	for _, rt := range e.api.Routes() {
		path := rt.Pattern
		if strings.Contains(path, "{") {
			for strings.Contains(path, "{") {
				i, j := strings.Index(path, "{"), strings.Index(path, "}")
				path = path[:i] + "bad%00id" + path[j+1:]
			}
		} else {
			path += "?filter=%00"
		}
		tried++
		r := e.do(rt.Method, path, "", nil)
		if r.Status == 400 && r.ErrorCode() == "invalid" {
			handled++
		} else {
			t.Errorf("%s %s: %d %s, want 400 invalid", rt.Method, path, r.Status, r.Body)
		}
	}
	t.Logf("bad path and query bytes on every route: %d tried, %d handled", tried, handled)
}

// orgOf returns the organisation of an API key.
func (e *env) orgOf(tb testing.TB, key string) string {
	tb.Helper()
	k, err := e.orgs.AuthenticateAPIKey(context.Background(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return k.OrgID
}

// syncSchedule.every takes one minute or more, 0 (the platform's default)
// or a negative value (no automatic sync); anything between 0 and a minute
// (1ns ran every data type at every tick) is refused.
func TestSyncScheduleEveryIsAtLeastAMinute(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	for every, want := range map[string]int{"1m": 201, "6h": 201, "0s": 201, "-1s": 201, "59s": 400, "1ns": 400, `0.5`: 400} {
		body := `{"name":"Acme","syncSchedule":{"every":"` + every + `"}}`
		if every == "0.5" {
			body = `{"name":"Acme","syncSchedule":{"every":0.5}}`
		}
		if r := e.do("POST", "/v1/companies", key, body); r.Status != want {
			t.Errorf("every %s: %d %s, want %d", every, r.Status, r.Body, want)
		}
	}
}
