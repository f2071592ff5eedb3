package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
)

func TestCompaniesCreateListGet(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			_, key := e.newOrg("Lender")
			var created qbconnect.Company
			r := e.mustDo(201, "POST", "/v1/companies", key, map[string]any{
				"name": "  Acme Plumbing ", "externalId": "crm-42", "metadata": map[string]string{"tier": "gold"},
				"syncSchedule": map[string]any{"every": "6h", "window": map[string]any{"days": []int{0, 6}, "from": "22:00", "to": "06:00"}},
			}, &created)
			if loc := r.Header.Get("Location"); loc != "/v1/companies/"+created.ID {
				t.Errorf("Location = %q", loc)
			}
			if created.Name != "Acme Plumbing" || created.ExternalID != "crm-42" || created.Metadata["tier"] != "gold" || created.ID == "" {
				t.Errorf("created: %+v", created)
			}
			var got qbconnect.Company
			e.mustDo(200, "GET", "/v1/companies/"+created.ID, key, nil, &got)
			if diff := cmp.Diff(created, got); diff != "" {
				t.Errorf("get (-created +got):\n%s", diff)
			}
			for i := range 4 {
				e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": fmt.Sprintf("Company %d", i)}, nil)
			}
			var names []string
			cursor := ""
			for pages := 0; ; pages++ {
				var page struct {
					Data       []qbconnect.Company `json:"data"`
					NextCursor string              `json:"nextCursor"`
				}
				e.mustDo(200, "GET", "/v1/companies?limit=2&cursor="+cursor, key, nil, &page)
				for _, c := range page.Data {
					names = append(names, c.Name)
				}
				if page.NextCursor == "" {
					break
				}
				if pages > 5 {
					t.Fatal("pagination does not end")
				}
				cursor = page.NextCursor
			}
			if len(names) != 5 {
				t.Errorf("listed %d companies over pages: %v", len(names), names)
			}
		})
	}
}

func TestConnectionsCreateListGetUnlink(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	org, key := e.newOrg("Lender")
	var c qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Acme"}, &c)
	base := "/v1/companies/" + c.ID + "/connections"
	var conn qbconnect.Connection
	e.mustDo(201, "POST", base, key, map[string]any{"kind": "connector"}, &conn)
	if conn.Status != qbconnect.StatusPendingAuth || conn.Kind != qbconnect.KindConnector || conn.CompanyID != c.ID || conn.Health.Code != qbconnect.HealthNeverConnected {
		t.Errorf("created: %+v", conn)
	}
	if r := e.do("POST", base, key, map[string]any{}); r.Status != 409 || r.ErrorCode() != "conflict" {
		t.Errorf("second active connection: %d %s", r.Status, r.Body)
	}
	var list struct{ Data []qbconnect.Connection }
	e.mustDo(200, "GET", base, key, nil, &list)
	if len(list.Data) != 1 || list.Data[0].ID != conn.ID {
		t.Errorf("list: %+v", list.Data)
	}
	var unlinked qbconnect.Connection
	e.mustDo(200, "DELETE", base+"/"+conn.ID, key, nil, &unlinked)
	if unlinked.Status != qbconnect.StatusUnlinked {
		t.Errorf("after DELETE: %s", unlinked.Status)
	}
	if r := e.do("POST", base+"/"+conn.ID+"/link-codes", key, nil); r.Status != 409 {
		t.Errorf("link code for an unlinked connection: %d %s", r.Status, r.Body)
	}
	// A Web Connector connection takes no link code.
	var wc qbconnect.Connection
	e.mustDo(201, "POST", base, key, map[string]any{"kind": "webconnector"}, &wc)
	if r := e.do("POST", base+"/"+wc.ID+"/link-codes", key, nil); r.Status != 409 || !strings.Contains(string(r.Body), "webconnector") {
		t.Errorf("link code for a Web Connector connection: %d %s", r.Status, r.Body)
	}
	// A connection ID under another company of the same organisation.
	var other qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Other"}, &other)
	if r := e.do("GET", "/v1/companies/"+other.ID+"/connections/"+wc.ID, key, nil); r.Status != 404 {
		t.Errorf("connection under the wrong company: %d", r.Status)
	}
	_ = org
}

// tenantFixture is one organisation with one of everything.
type tenantFixture struct {
	org                             *qbconnect.Org
	key, credential                 string
	companyID, connectionID, itemID string
	leaseID, webhookID              string
}

func newTenant(t *testing.T, e *env, name string) tenantFixture {
	t.Helper()
	org, key := e.newOrg(name)
	companyID, connID, code := e.linkedCompany(key, name+" Co")
	linked, err := e.client("").Link(context.Background(), linkRequest(code, `C:\`+name+`.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	op := e.enqueue(org.ID, companyID, connID, "<QBXML/>")
	p, err := e.client(linked.Credential).Poll(context.Background(), gateway.PollRequest{})
	if err != nil || p.Item == nil {
		t.Fatalf("poll: %+v %v", p, err)
	}
	var wh struct{ ID string }
	e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": "https://hooks.example.com/" + name}, &wh)
	return tenantFixture{org: org, key: key, credential: linked.Credential, companyID: companyID, webhookID: wh.ID,
		connectionID: connID, itemID: op.ID, leaseID: p.Item.LeaseID}
}

var requestIDRE = regexp.MustCompile(`"requestId":"[^"]*"`)

// TestTenantIsolationOnEveryEndpoint calls every registered endpoint (the
// list comes from the route table, so new endpoints are covered without
// editing this test) with organisation B's credential and A's IDs, and
// expects exactly the answer B gets for IDs that do not exist. Then it checks
// that A's objects did not change.
func TestTenantIsolationOnEveryEndpoint(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	a := newTenant(t, e, "Alpha")
	b := newTenant(t, e, "Beta")
	unknown := tenantFixture{companyID: "cmp_0000000000000000", connectionID: "con_0000000000000000", itemID: "op_0000000000000000",
		webhookID: "whk_0000000000000000"}
	before := snapshot(t, e, a)

	bodies := map[string]func(f tenantFixture) any{
		"POST /gateway/v1/work/{itemId}/result": func(f tenantFixture) any {
			return map[string]any{"leaseId": a.leaseID, "response": "<stolen/>"}
		},
		"POST /gateway/v1/work/{itemId}/lease": func(f tenantFixture) any { return map[string]any{"leaseId": a.leaseID} },
		"POST /gateway/v1/state": func(f tenantFixture) any {
			return map[string]any{"connector": testConnector, "files": []any{map[string]any{"connectionId": f.connectionID, "condition": "access_denied", "paused": true}}}
		},
		"POST /v1/companies/{companyId}/connections": func(f tenantFixture) any { return map[string]any{} },
	}
	fill := func(pattern string, f tenantFixture) string {
		return strings.NewReplacer("{companyId}", f.companyID, "{connectionId}", f.connectionID, "{itemId}", f.itemID,
			"{operationId}", f.itemID, "{webhookId}", f.webhookID).Replace(pattern)
	}
	normalise := func(body []byte, f tenantFixture) string {
		s := requestIDRE.ReplaceAllString(string(body), `"requestId":"-"`)
		return strings.NewReplacer(f.companyID, "{companyId}", f.connectionID, "{connectionId}", f.itemID, "{itemId}",
			f.webhookID, "{webhookId}").Replace(s)
	}
	covered := 0
	for _, rt := range e.api.Routes() {
		name := rt.Method + " " + rt.Pattern
		var token string
		switch rt.Auth {
		case api.AuthAPIKey:
			token = b.key
		case api.AuthConnector:
			token = b.credential
		default:
			continue // public, or linking by code: no IDs to cross
		}
		if !strings.Contains(rt.Pattern, "{") && rt.Method == "GET" {
			// Lists and polls: B must see only its own objects.
			r := e.do(rt.Method, rt.Pattern, token, nil)
			for _, id := range []string{a.companyID, a.connectionID, a.itemID} {
				if bytes.Contains(r.Body, []byte(id)) {
					t.Errorf("%s with B's credential shows A's %s", name, id)
				}
			}
			covered++
			continue
		}
		var bodyA, bodyU any
		if mk := bodies[name]; mk != nil {
			bodyA, bodyU = mk(a), mk(unknown)
		} else if rt.Method == "POST" {
			bodyA, bodyU = map[string]any{}, map[string]any{}
			if !strings.Contains(rt.Pattern, "{") {
				bodyA, bodyU = map[string]any{"name": "x"}, map[string]any{"name": "x"}
			}
		}
		if !strings.Contains(rt.Pattern, "{") && bodies[name] == nil {
			continue // creates in B's own organisation: nothing of A's to name
		}
		gotA := e.do(rt.Method, fill(rt.Pattern, a), token, bodyA)
		gotU := e.do(rt.Method, fill(rt.Pattern, unknown), token, bodyU)
		if gotA.Status != gotU.Status || normalise(gotA.Body, a) != normalise(gotU.Body, unknown) {
			t.Errorf("%s: A's IDs answer %d %s\nunknown IDs answer %d %s", name, gotA.Status, gotA.Body, gotU.Status, gotU.Body)
		}
		if gotA.Status < 400 && rt.Pattern != gateway.PathState {
			t.Errorf("%s with A's IDs and B's credential succeeded: %d %s", name, gotA.Status, gotA.Body)
		}
		covered++
	}
	t.Logf("walked %d endpoints with another organisation's credential", covered)
	if covered < 9 {
		t.Errorf("covered %d endpoints; the route table has more", covered)
	}
	if diff := cmp.Diff(before, snapshot(t, e, a)); diff != "" {
		t.Errorf("A's objects changed (-before +after):\n%s", diff)
	}
	// B's credential could not take A's work item either: A still holds it.
	if ack, err := e.client(a.credential).PostResult(context.Background(), gateway.Result{ItemID: a.itemID, LeaseID: a.leaseID, Response: "<ok/>"}); err != nil || !ack.Applied {
		t.Errorf("A's own result after the walk: %+v %v", ack, err)
	}
}

// snapshot is what A's objects look like, for before/after comparison.
func snapshot(t *testing.T, e *env, f tenantFixture) string {
	t.Helper()
	ctx := context.Background()
	c, err := e.companies.FindCompany(ctx, f.org.ID, f.companyID)
	if err != nil {
		t.Fatal(err)
	}
	conns, err := e.connections.ListConnections(ctx, f.org.ID, f.companyID)
	if err != nil {
		t.Fatal(err)
	}
	op, err := e.queue.FindOperation(ctx, f.org.ID, f.itemID)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"company": c, "connections": conns, "op": op, "opResult": string(op.Result), "lease": op.LeaseID})
	return string(data)
}

func TestBadCredentialsAreRefusedAlike(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	ctx := context.Background()
	_, _, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(ctx, linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	revokedOrg, revokedKey := e.newOrg("Gone")
	keys, err := e.orgs.ListAPIKeys(ctx, revokedOrg.ID)
	if err != nil || len(keys) != 1 {
		t.Fatal(keys, err)
	}
	if err := e.orgs.RevokeAPIKey(ctx, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, auth string
		wantMsg          string
	}{
		{"no header", "/v1/companies", "", "missing API key"},
		{"basic auth", "/v1/companies", "Basic dXNlcjpwYXNz", "Bearer"},
		{"empty bearer", "/v1/companies", "Bearer ", "Bearer"},
		{"unknown key", "/v1/companies", "Bearer qbk_live_nope", "unknown or revoked API key"},
		{"revoked key", "/v1/companies", "Bearer " + revokedKey, "unknown or revoked API key"},
		{"connector credential on REST", "/v1/companies", "Bearer " + linked.Credential, "connector credential cannot call the REST API"},
		{"API key on gateway", gateway.PathWork, "Bearer " + key, "API key cannot call the connector gateway"},
		{"no credential on gateway", gateway.PathWork, "", "missing connector credential"},
		{"unknown credential", gateway.PathWork, "Bearer qbc_nope", "unknown or revoked connector credential"},
	} {
		req, _ := http.NewRequest("GET", e.http.URL+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error map[string]string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 401 || body.Error["code"] != "unauthorized" || !strings.Contains(body.Error["message"], tc.wantMsg) ||
			resp.Header.Get("WWW-Authenticate") == "" || body.Error["requestId"] == "" || body.Error["userMessage"] == "" {
			t.Errorf("%s: %d %v (WWW-Authenticate %q)", tc.name, resp.StatusCode, body.Error, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// Unknown and revoked keys are indistinguishable.
	r1 := e.do("GET", "/v1/companies", "qbk_live_nope", nil)
	r2 := e.do("GET", "/v1/companies", revokedKey, nil)
	if requestIDRE.ReplaceAllString(string(r1.Body), "") != requestIDRE.ReplaceAllString(string(r2.Body), "") {
		t.Errorf("unknown and revoked keys answer differently:\n%s\n%s", r1.Body, r2.Body)
	}
}

func TestBadInputGetsClearErrorsAndChangesNothing(t *testing.T) {
	e := newEnv(t, sqliteDSN(t), func(c *api.Config) { c.MaxResultBody, c.MaxResultDecoded = 4096, 64<<10 })
	org, key := e.newOrg("Lender")
	companyID, connID, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	cred := linked.Credential
	op := e.enqueue(org.ID, companyID, connID, "<QBXML/>")
	p, err := e.client(cred).Poll(context.Background(), gateway.PollRequest{})
	if err != nil || p.Item == nil {
		t.Fatal(p, err)
	}
	resultPath := "/gateway/v1/work/" + op.ID + "/result"
	before := snapshot(t, e, tenantFixture{org: org, companyID: companyID, itemID: op.ID})
	var companiesBefore struct{ Data []qbconnect.Company }
	e.mustDo(200, "GET", "/v1/companies", key, nil, &companiesBefore)

	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	bomb := gz(`{"leaseId":"` + p.Item.LeaseID + `","response":"` + strings.Repeat("A", 200<<10) + `"}`)

	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		headers                   []string
		status                    int
		code, msg                 string
	}{
		{"malformed JSON", "POST", "/v1/companies", key, `{"name": "x",}`, nil, 400, "invalid", "malformed JSON at byte"},
		{"truncated JSON", "POST", "/v1/companies", key, `{"name": "x"`, nil, 400, "invalid", "ends too early"},
		{"unknown field", "POST", "/v1/companies", key, `{"name":"x","nmae":"y"}`, nil, 400, "invalid", `unknown field "nmae"`},
		{"wrong type", "POST", "/v1/companies", key, `{"name":42}`, nil, 400, "invalid", `field "name" must be a string`},
		{"array body", "POST", "/v1/companies", key, `[1]`, nil, 400, "invalid", "must be a JSON"},
		{"trailing data", "POST", "/v1/companies", key, `{"name":"x"} {"name":"y"}`, nil, 400, "invalid", "data after the JSON value"},
		{"empty body", "POST", "/v1/companies", key, ``, nil, 400, "invalid", "body is empty"},
		{"missing name", "POST", "/v1/companies", key, `{"name":"  "}`, nil, 400, "invalid", `"name" is required`},
		{"bad window", "POST", "/v1/companies", key, `{"name":"x","syncSchedule":{"window":{"from":"25:00"}}}`, nil, 400, "invalid", "HH:MM"},
		{"bad duration", "POST", "/v1/companies", key, `{"name":"x","syncSchedule":{"every":"often"}}`, nil, 400, "invalid", "invalid duration"},
		{"wrong content type", "POST", "/v1/companies", key, `name=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "invalid", "Content-Type must be application/json"},
		{"oversized body", "POST", "/v1/companies", key, `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, "too_large", "larger than 1048576 bytes"},
		{"bad limit", "GET", "/v1/companies?limit=0", key, nil, nil, 400, "invalid", "limit must be"},
		{"unknown query", "GET", "/v1/companies?limt=5", key, nil, nil, 400, "invalid", `unknown query parameter "limt"`},
		{"bad cursor", "GET", "/v1/companies?cursor=%21%21", key, nil, nil, 400, "invalid", ""},
		{"bad kind", "POST", "/v1/companies/" + companyID + "/connections", key, `{"kind":"carrier-pigeon"}`, nil, 400, "invalid", `"kind" must be`},
		{"unknown path", "GET", "/v1/nothing", key, nil, nil, 404, "not_found", "no endpoint GET /v1/nothing"},
		{"wrong method", "PUT", "/v1/companies/" + companyID, key, `{}`, nil, 404, "not_found", "no endpoint PUT /v1/companies/" + companyID + " (allowed: DELETE, GET, PATCH)"},
		{"result: neither response nor failure", "POST", resultPath, cred, `{"leaseId":"` + p.Item.LeaseID + `"}`, nil, 400, "invalid", "needs a response or a failure"},
		{"result: bad condition", "POST", resultPath, cred, `{"leaseId":"l","failure":{"condition":"QB Closed!","message":"m"}}`, nil, 400, "invalid", "failure.condition"},
		{"result: bad hresult", "POST", resultPath, cred, `{"leaseId":"l","failure":{"condition":"qb_closed","hresult":"oops"}}`, nil, 400, "invalid", "failure.hresult"},
		{"result: oversized", "POST", resultPath, cred, `{"leaseId":"l","response":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, "too_large", "larger than 4096"},
		{"result: gzip bomb", "POST", resultPath, cred, bomb, []string{"Content-Encoding", "gzip"}, 413, "too_large", "larger than 65536"},
		{"result: not gzip", "POST", resultPath, cred, `{"leaseId":"l"}`, []string{"Content-Encoding", "gzip"}, 400, "invalid", "not gzip data"},
		{"result: brotli", "POST", resultPath, cred, `{}`, []string{"Content-Encoding", "br"}, 400, "invalid", `"br" is not supported`},
		{"poll: bad wait", "GET", gateway.PathWork + "?wait=forever", cred, nil, nil, 400, "invalid", "wait must be a duration"},
		{"state: no version", "POST", gateway.PathState, cred, `{"connector":{},"files":[]}`, nil, 400, "invalid", "connector.version"},
		{"state: bad condition", "POST", gateway.PathState, cred, `{"connector":{"version":"1"},"files":[{"connectionId":"` + connID + `","condition":""}]}`, nil, 400, "invalid", "files[0].condition"},
		{"link: no code", "POST", gateway.PathLink, "", `{"file":{"path":"C:\\x.qbw"},"connector":{"version":"1"}}`, nil, 400, "invalid", "code is required"},
		{"link: no path", "POST", gateway.PathLink, "", `{"code":"AAAA-BBBB","file":{},"connector":{"version":"1"}}`, nil, 400, "invalid", "file.path is required"},
	} {
		var body any
		if tc.body != nil {
			body = tc.body
		}
		r := e.do(tc.method, tc.path, tc.token, body, tc.headers...)
		var eb struct {
			Error map[string]string `json:"error"`
		}
		json.Unmarshal(r.Body, &eb)
		if r.Status != tc.status || eb.Error["code"] != tc.code || !strings.Contains(eb.Error["message"], tc.msg) ||
			eb.Error["requestId"] == "" || eb.Error["userMessage"] == "" {
			t.Errorf("%s: %d %s; want %d %s containing %q", tc.name, r.Status, r.Body, tc.status, tc.code, tc.msg)
		}
	}

	var companiesAfter struct{ Data []qbconnect.Company }
	e.mustDo(200, "GET", "/v1/companies", key, nil, &companiesAfter)
	if len(companiesAfter.Data) != len(companiesBefore.Data) {
		t.Errorf("bad requests created companies: %d before, %d after", len(companiesBefore.Data), len(companiesAfter.Data))
	}
	if diff := cmp.Diff(before, snapshot(t, e, tenantFixture{org: org, companyID: companyID, itemID: op.ID})); diff != "" {
		t.Errorf("bad requests changed state (-before +after):\n%s", diff)
	}
	// A compressed result within the limits is accepted.
	good := gz(`{"leaseId":"` + p.Item.LeaseID + `","response":"` + strings.Repeat("B", 30<<10) + `"}`)
	r := e.do("POST", resultPath, cred, good, "Content-Encoding", "gzip")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"applied":true`) {
		t.Errorf("gzip result: %d %s", r.Status, r.Body)
	}
	if got := e.operation(org.ID, op.ID); len(got.Result) != 30<<10 {
		t.Errorf("stored result is %d bytes, want %d", len(got.Result), 30<<10)
	}
}

func TestLinkGuessingIsRateLimited(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	_, _, code := e.linkedCompany(key, "Acme")
	var last *gateway.Error
	for i := range 25 {
		_, err := e.client("").Link(context.Background(), linkRequest(fmt.Sprintf("ZZZZ-%04d", i), `C:\a.qbw`))
		if ge, ok := err.(*gateway.Error); ok {
			last = ge
		}
	}
	if last == nil || last.Code != gateway.CodeRateLimited || last.Status != 429 || last.RetryAfter <= 0 {
		t.Fatalf("after 25 wrong codes: %+v, want 429 with Retry-After", last)
	}
	// Even the right code waits now; it is not consumed.
	if _, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`)); gateway.CodeOf(err) != gateway.CodeRateLimited {
		t.Errorf("right code while limited: %v", err)
	}
	e.clock.Advance(11 * time.Minute)
	if _, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`)); err != nil {
		t.Errorf("right code after the window: %v", err)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	e.mustDo(200, "GET", "/healthz", "", nil, nil)
	e.mustDo(200, "GET", "/readyz", "", nil, nil)
	org, key := e.newOrg("Lender")
	companyID, connID, code := e.linkedCompany(key, "Acme")
	linked, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	gw := e.client(linked.Credential)
	e.enqueue(org.ID, companyID, connID, "<QBXML/>")
	e.clock.Advance(3 * time.Second)
	p, err := gw.Poll(context.Background(), gateway.PollRequest{})
	if err != nil || p.Item == nil {
		t.Fatal(p, err)
	}
	if _, err := gw.PostResult(context.Background(), gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: "<ok/>"}); err != nil {
		t.Fatal(err)
	}
	r := e.mustDo(200, "GET", "/metrics", "", nil, nil)
	text := string(r.Body)
	for _, want := range []string{
		"qbconnect_connectors_online 1",
		`qbconnect_queue_items_completed_total{status="Success"} 1`,
		`qbconnect_gateway_results_total{outcome="applied"} 1`,
		"qbconnect_queue_wait_seconds_count 1",
		"qbconnect_queue_wait_seconds_sum 3",
		`qbconnect_http_requests_total{method="POST",route="/v1/companies",status="201"} 1`,
		`qbconnect_http_requests_total{method="GET",route="/gateway/v1/work",status="200"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadyzReportsTheDatabase(t *testing.T) {
	e := newEnv(t, sqliteDSN(t), func(c *api.Config) {
		c.Ready = func(*http.Request) error { return fmt.Errorf("database: connection refused") }
	})
	r := e.do("GET", "/readyz", "", nil)
	if r.Status != 503 || r.ErrorCode() != "unavailable" || !strings.Contains(string(r.Body), "the database is unreachable") || r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz with a failing database: %d %s", r.Status, r.Body)
	}
}

func TestRequestIDs(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	r := e.do("GET", "/healthz", "", nil, "X-Request-Id", "trace-123")
	if got := r.Header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("caller's request ID not kept: %q", got)
	}
	r = e.do("GET", "/v1/companies", "", nil, "X-Request-Id", "<script>")
	id := r.Header.Get("X-Request-Id")
	if !strings.HasPrefix(id, "req_") || !strings.Contains(string(r.Body), `"requestId":"`+id+`"`) {
		t.Errorf("generated request ID %q not in body %s", id, r.Body)
	}
}

// Every list answers one page shape (data, hasMore, nextCursor null on
// the last page); a client finds its company by its own externalId; an
// organisation's webhook endpoints page like everything else.
func TestEveryListPagesAlikeAndCompaniesAreFoundByExternalID(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	for i := range 3 {
		e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": fmt.Sprintf("Company %d", i), "externalId": fmt.Sprintf("crm-%d", i%2)}, nil)
		e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": fmt.Sprintf("https://hooks.example/%d", i)}, nil)
	}
	type page struct {
		Data       []map[string]any `json:"data"`
		HasMore    *bool            `json:"hasMore"`
		NextCursor *string          `json:"nextCursor"`
	}
	var byRef page
	e.mustDo(200, "GET", "/v1/companies?externalId=crm-1", key, nil, &byRef)
	if len(byRef.Data) != 1 || byRef.Data[0]["name"] != "Company 1" {
		t.Errorf("externalId=crm-1: %v", byRef.Data)
	}
	for _, path := range []string{"/v1/companies", "/v1/webhooks"} {
		var seen []any
		cursor := ""
		for pages := 0; pages < 5; pages++ {
			var p page
			r := e.mustDo(200, "GET", path+"?limit=2&cursor="+url.QueryEscape(cursor), key, nil, &p)
			if p.HasMore == nil || !strings.Contains(string(r.Body), `"nextCursor":`) {
				t.Fatalf("%s: the page lacks hasMore or nextCursor: %s", path, r.Body)
			}
			for _, d := range p.Data {
				seen = append(seen, d["id"])
			}
			if *p.HasMore != (p.NextCursor != nil) {
				t.Errorf("%s: hasMore %v with nextCursor %v", path, *p.HasMore, p.NextCursor)
			}
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		if len(seen) != 3 {
			t.Errorf("%s: paged through %d items, want 3: %v", path, len(seen), seen)
		}
	}
	for _, path := range []string{"/v1/data-types"} {
		var p page
		e.mustDo(200, "GET", path, key, nil, &p)
		if p.HasMore == nil || *p.HasMore || p.NextCursor != nil {
			t.Errorf("%s: hasMore %v nextCursor %v, want false and null", path, p.HasMore, p.NextCursor)
		}
	}
	if r := e.do("GET", "/v1/webhooks?cursor=%%%", key, nil); r.Status != 400 {
		t.Errorf("a malformed cursor: %d", r.Status)
	}
	if r := e.do("GET", "/v1/webhooks?cursor=bm9wZQ", key, nil); r.Status != 400 {
		t.Errorf("a cursor that is not one: %d", r.Status)
	}
}
