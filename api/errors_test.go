package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// TestEveryEndpointRefusesAMissingCredential walks the route table: every
// route that takes a credential answers 401 in the one error shape without
// one.
func TestEveryEndpointRefusesAMissingCredential(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	n := 0
	for _, rt := range e.api.Routes() {
		if rt.Auth == api.AuthNone || rt.Auth == api.AuthOptionalConnector {
			continue
		}
		var body any
		if rt.Method == "POST" || rt.Method == "PATCH" {
			body = map[string]any{}
		}
		r := e.do(rt.Method, rt.Pattern, "", body)
		if r.Status != 401 || r.ErrorCode() != "unauthorized" {
			t.Errorf("%s %s without a credential: %d %s", rt.Method, rt.Pattern, r.Status, r.Body)
		}
		n++
	}
	// The link takes an optional credential; a wrong one is refused.
	if r := e.do("POST", gateway.PathLink, "qbc_unknown", map[string]any{}); r.Status != 401 {
		t.Errorf("link with an unknown credential: %d", r.Status)
	}
	t.Logf("%d endpoints refuse a missing credential", n)
}

// TestWriteErrorAnswers covers the answers of record writes that the
// scenario tests do not: pending updates and voids, QuickBooks failing a
// waited-for update or void, time-outs and oversized bodies.
func TestWriteErrorAnswers(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	inv := c.listAll(t, "invoices", "", 1)[0]
	invPath := "/v1/companies/" + c.id + "/invoices/" + inv["id"].(string)
	es := inv["editSequence"].(string)
	upd := `{"editSequence":"` + es + `","memo":"x"}`

	// Queued without a connector: 202.
	c.write(t, 202, "PATCH", invPath, upd)
	c.write(t, 202, "POST", invPath+"/void", "")
	c.drain(t)

	// The connector cannot reach QuickBooks and says retrying will not
	// help: the waited-for write fails with QuickBooks' code.
	c.failWith(&gateway.Failure{HResult: "0x80040400", Message: "QuickBooks found an error when parsing the provided XML text stream.", Condition: "qb_error"})
	c.background(t)
	fresh := c.listAll(t, "invoices", "", 2)[1]
	freshPath := "/v1/companies/" + c.id + "/invoices/" + fresh["id"].(string)
	for _, w := range []struct{ method, path, body string }{
		{"PATCH", freshPath + "?wait=30s", `{"editSequence":"` + fresh["editSequence"].(string) + `","memo":"x"}`},
		{"POST", freshPath + "/void?wait=30s", ""},
		{"DELETE", freshPath + "?wait=30s", ""},
		{"POST", "/v1/companies/" + c.id + "/qbxml?wait=30s", hostQuery},
	} {
		var headers []string
		if strings.HasSuffix(w.path, "qbxml?wait=30s") {
			headers = []string{"Content-Type", "application/xml"}
		}
		_, r := c.write(t, 502, w.method, w.path, w.body, headers...)
		if er := errorOfBody(r.Body); er["qbCode"] != "0x80040400" {
			t.Errorf("%s %s: %s", w.method, w.path, r.Body)
		}
	}
	c.failWith(nil)

	// Time-outs: QuickBooks never runs the write before its deadline.
	other := newCompany(t, e, smallCompany())
	other.syncAll(t)
	oinv := other.listAll(t, "invoices", "", 1)[0]
	oPath := "/v1/companies/" + other.id + "/invoices/" + oinv["id"].(string)
	oUpd := `{"editSequence":"` + oinv["editSequence"].(string) + `","memo":"x"}`
	for _, w := range []struct{ method, path, body string }{
		{"PATCH", oPath, oUpd}, {"POST", oPath + "/void", ""}, {"DELETE", oPath, ""},
	} {
		key := "timeout-" + w.method + w.path
		other.write(t, 202, w.method, w.path+"?timeout=1m", w.body, "Idempotency-Key", key)
		e.clock.Advance(2 * time.Minute)
		if _, err := e.queue.ExpireDeadlines(context.Background()); err != nil {
			t.Fatal(err)
		}
		other.write(t, 504, w.method, w.path+"?timeout=1m&wait=1s", w.body, "Idempotency-Key", key)
	}

	// No connection: a conflict.
	var bare struct{ ID string }
	e.mustDo(201, "POST", "/v1/companies", c.key, map[string]any{"name": "Bare"}, &bare)
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/v1/companies/" + bare.ID + "/invoices/x/void", ""},
		{"DELETE", "/v1/companies/" + bare.ID + "/invoices/x", ""},
		{"POST", "/v1/companies/" + bare.ID + "/customers", `{"name":"x"}`},
	} {
		_, r := c.write(t, 409, w.method, w.path, w.body)
		if !strings.Contains(errorOfBody(r.Body)["message"], "no connection") {
			t.Errorf("%s %s: %s", w.method, w.path, r.Body)
		}
	}
	for _, w := range []struct {
		method, path, body string
		status             int
	}{
		{"PATCH", invPath, `{"editSequence":"1","memo":"` + strings.Repeat("x", 1<<20) + `"}`, 413},
		{"PATCH", "/v1/companies/cmp_0000000000000000/invoices/x", upd, 404},
		{"POST", "/v1/companies/cmp_0000000000000000/invoices/x/void", "", 404},
		{"DELETE", "/v1/companies/cmp_0000000000000000/invoices/x", "", 404},
		{"POST", "/v1/companies/" + c.id + "/invoices/x/void?wait=x", "", 400},
		{"DELETE", "/v1/companies/" + c.id + "/invoices/x?wait=x", "", 400},
	} {
		c.write(t, w.status, w.method, w.path, w.body)
	}
}

// TestGatewayErrorAnswers covers gateway answers the connector scenario
// tests do not reach through this package's validating server.
func TestGatewayErrorAnswers(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, qbconnectNone())
	cred := c.gw.Credential()
	syncPath := strings.Replace(gateway.PathSync, "{connectionId}", c.connID, 1)
	e.mustDo(200, "POST", syncPath, cred, map[string]any{}, nil)
	states, err := e.engine.SyncStates(context.Background(), c.org.ID, c.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if !st.Status.Active() {
			t.Errorf("after Perform Sync, %s is %s, want a pass under way", st.DataType, st.Status)
		}
	}
	if len(states) == 0 {
		t.Error("Perform Sync started no pass")
	}
	if r := e.do("POST", syncPath, cred, `{"x":1}`); r.Status != 400 {
		t.Errorf("sync with a body: %d", r.Status)
	}
	if r := e.do("POST", strings.Replace(gateway.PathSync, "{connectionId}", "con_0000000000000000", 1), cred, map[string]any{}); r.Status != 404 {
		t.Errorf("sync of an unknown connection: %d", r.Status)
	}
	plain := newEnv(t, sqliteDSN(t), func(c *api.Config) { c.Sync = nil })
	pc := newCompany(t, plain, qbconnectNone())
	if r := plain.do("POST", strings.Replace(gateway.PathSync, "{connectionId}", pc.connID, 1), pc.gw.Credential(), map[string]any{}); r.Status != 503 {
		t.Errorf("sync without a sync engine: %d", r.Status)
	}
	if r := e.do("POST", gateway.PathLink, "", `{"code":"`+strings.Repeat("A", 1<<20)+`"}`); r.Status != 413 {
		t.Errorf("oversized link: %d", r.Status)
	}
	if r := e.do("POST", strings.Replace(gateway.PathLease, "{itemId}", "op_x", 1), cred, `{}`); r.Status != 400 {
		t.Errorf("lease without leaseId: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/v1/companies/"+c.id+"/connections?x=1", c.key, nil); r.Status != 400 {
		t.Errorf("connections with a query: %d", r.Status)
	}
	e.mustDo(204, "DELETE", strings.Replace(gateway.PathConnection, "{connectionId}", c.connID, 1), cred, nil, nil)
	var ok map[string]any
	e.mustDo(201, "POST", "/v1/webhooks", c.key, map[string]any{"url": "https://hooks.example.com/x"}, &ok)
	e.mustDo(200, "GET", "/v1/webhooks/"+ok["id"].(string), c.key, nil, nil)
}

// qbconnectNone is an empty company file.
func qbconnectNone() companyfile.GenerateOptions { return companyfile.GenerateOptions{} }
