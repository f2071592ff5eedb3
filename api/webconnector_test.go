package api_test

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbwc"
)

// soapCall sends one Web Connector callback to /qbwc and returns the
// answer's status, its Result (or faultstring) and, for array answers,
// its strings.
func (e *env) soapCall(tb testing.TB, op string, params ...string) (int, string, []string) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`)
	fmt.Fprintf(&b, `<%s xmlns="%s">`, op, qbwc.Namespace)
	for i := 0; i+1 < len(params); i += 2 {
		fmt.Fprintf(&b, "<%s>%s</%s>", params[i], html.EscapeString(params[i+1]), params[i])
	}
	fmt.Fprintf(&b, "</%s></soap:Body></soap:Envelope>", op)
	r := e.do("POST", "/qbwc", "", b.String(), "Content-Type", "text/xml; charset=utf-8", "SOAPAction", `"`+qbwc.Namespace+op+`"`)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		tb.Fatalf("%s answered Content-Type %q", op, ct)
	}
	body := string(r.Body)
	if m := regexp.MustCompile(`(?s)<faultstring>(.*?)</faultstring>`).FindStringSubmatch(body); m != nil {
		return r.Status, html.UnescapeString(m[1]), nil
	}
	m := regexp.MustCompile(`(?s)<` + op + `Result>(.*?)</` + op + `Result>`).FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("%s: no %sResult in %d %s", op, op, r.Status, body)
	}
	var strs []string
	for _, s := range regexp.MustCompile(`<string>(.*?)</string>`).FindAllStringSubmatch(m[1], -1) {
		strs = append(strs, html.UnescapeString(s[1]))
	}
	return r.Status, html.UnescapeString(m[1]), strs
}

// webConnectorCompany creates a company with a webconnector connection
// through the REST API.
func (e *env) webConnectorCompany(tb testing.TB, key, name string) (companyID, connectionID string) {
	tb.Helper()
	var c qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": name}, &c)
	var conn qbconnect.Connection
	e.mustDo(201, "POST", "/v1/companies/"+c.ID+"/connections", key, map[string]any{"kind": "webconnector"}, &conn)
	return c.ID, conn.ID
}

// The .qwc download: the file and its one-time password the first time,
// no password afterwards, a new one on request (the old one then stops
// working), and the documented errors. Every answer is checked against the
// OpenAPI document by the env.
func TestQWCDownloadGivesTheFileAndAOneTimePassword(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	companyID, connID := e.webConnectorCompany(t, key, "Acme Bakery")
	path := "/v1/companies/" + companyID + "/connections/" + connID + "/qwc"

	var first qbconnect.WebConnectorFile
	e.mustDo(200, "GET", path, key, nil, &first)
	if first.Password == "" || first.PasswordSet || first.UserName == "" || !strings.HasSuffix(first.FileName, ".qwc") ||
		!strings.Contains(first.QWC, "<QBWCXML>") || !strings.Contains(first.QWC, "<UserName>"+first.UserName+"</UserName>") {
		t.Fatalf("first download: %+v", first)
	}
	if !strings.HasPrefix(first.AppURL, "http://localhost:") || !strings.HasSuffix(first.AppURL, "/qbwc") {
		t.Errorf("AppURL %q: want the loopback address as localhost (the Web Connector refuses IP addresses)", first.AppURL)
	}
	var again qbconnect.WebConnectorFile
	e.mustDo(200, "GET", path+"?newPassword=false", key, nil, &again)
	if again.Password != "" || !again.PasswordSet || again.QWC != first.QWC {
		t.Errorf("second download must repeat the file without a password: %+v", again)
	}

	// The password logs the Web Connector in (nothing to do yet: "none").
	if st, _, got := e.soapCall(t, "authenticate", "strUserName", first.UserName, "strPassword", first.Password); st != 200 || len(got) < 2 || got[1] != "none" {
		t.Fatalf("authenticate with the .qwc's password: %d %q", st, got)
	}
	var renewed qbconnect.WebConnectorFile
	e.mustDo(200, "GET", path+"?newPassword=true", key, nil, &renewed)
	if renewed.Password == "" || renewed.Password == first.Password || renewed.QWC != first.QWC {
		t.Fatalf("new password: %+v", renewed)
	}
	if _, _, got := e.soapCall(t, "authenticate", "strUserName", first.UserName, "strPassword", first.Password); len(got) < 2 || got[1] != "nvu" {
		t.Errorf("the replaced password still logs in: %q", got)
	}
	if _, _, got := e.soapCall(t, "authenticate", "strUserName", first.UserName, "strPassword", renewed.Password); len(got) < 2 || got[1] != "none" {
		t.Errorf("the new password does not log in: %q", got)
	}

	for _, tc := range []struct {
		name, path string
		status     int
		code, msg  string
	}{
		{"bad newPassword", path + "?newPassword=maybe", 400, "invalid", "newPassword must be true or false"},
		{"unknown parameter", path + "?format=xml", 400, "invalid", "unknown query parameter"},
		{"unknown connection", "/v1/companies/" + companyID + "/connections/conn_0000000000000000/qwc", 404, "not_found", ""},
		{"unknown company", "/v1/companies/cmp_0000000000000000/connections/" + connID + "/qwc", 404, "not_found", ""},
	} {
		r := e.do("GET", tc.path, key, nil)
		if r.Status != tc.status || r.ErrorCode() != tc.code || !strings.Contains(string(r.Body), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := e.do("GET", path, "", nil); r.Status != 401 {
		t.Errorf("without an API key: %d", r.Status)
	}

	// A connector connection has no .qwc file: 409, and nothing is
	// created for it.
	otherCompany, otherConn, _ := e.linkedCompany(key, "Connector Co")
	r := e.do("GET", "/v1/companies/"+otherCompany+"/connections/"+otherConn+"/qwc", key, nil)
	if r.Status != 409 || r.ErrorCode() != "conflict" || !strings.Contains(string(r.Body), "webconnector connections") {
		t.Errorf("connector connection: %d %s", r.Status, r.Body)
	}
	// So has an unlinked Web Connector connection.
	e.mustDo(200, "DELETE", "/v1/companies/"+companyID+"/connections/"+connID, key, nil, nil)
	if r := e.do("GET", path, key, nil); r.Status != 409 || !strings.Contains(string(r.Body), "Unlinked") {
		t.Errorf("unlinked connection: %d %s", r.Status, r.Body)
	}
}

// The SOAP endpoint and its probes answer as documented: SOAP answers and
// faults as text/xml (500 for a fault, 413 for a body over the limit), the
// certificate probe, the WSDL and the support page.
func TestWebConnectorEndpointAnswersAsDocumented(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	if st, v, _ := e.soapCall(t, "serverVersion"); st != 200 || v != "qbconnect" {
		t.Errorf("serverVersion: %d %q", st, v)
	}
	if st, msg, _ := e.soapCall(t, "connectionError", "ticket", "0123456789abcdef0123456789abcdef", "hresult", "0x80040408", "message", "x"); st != 500 || !strings.Contains(msg, "unknown ticket") {
		t.Errorf("unknown ticket: %d %q", st, msg)
	}
	r := e.do("POST", "/qbwc", "", "<soap:Envelope", "Content-Type", "text/xml")
	if r.Status != 500 || !strings.Contains(string(r.Body), "<faultstring>") {
		t.Errorf("malformed envelope: %d %s", r.Status, r.Body)
	}
	big := `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/"><response>` +
		strings.Repeat("x", maxSOAPBody) + `</response></receiveResponseXML></soap:Body></soap:Envelope>`
	r = e.do("POST", "/qbwc", "", big, "Content-Type", "text/xml")
	if r.Status != 413 || !strings.Contains(string(r.Body), "larger than") {
		t.Errorf("oversized body: %d %.300s", r.Status, r.Body)
	}

	r = e.do("GET", "/qbwc", "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("certificate probe: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	r = e.do("GET", "/qbwc?wsdl", "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") || !strings.Contains(string(r.Body), "wsdl:definitions") {
		t.Errorf("WSDL: %d %.200s", r.Status, r.Body)
	}
	r = e.do("GET", "/qbwc/support", "", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "Web Connector") {
		t.Errorf("support page: %d %s", r.Status, r.Body)
	}
}

// A Web Connector that cannot start QuickBooks reports connectionError;
// the connection's health changes, and the client application gets
// exactly one connection.status_changed webhook for it, however often the
// Web Connector reports the same failure.
func TestWebConnectorConnectionErrorRaisesOneStatusChangedWebhook(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			_, key := e.newOrg("Lender")
			rc := newReceiver(t, 0, e.clock.Now)
			var hook struct{ ID, Secret string }
			e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/conn", "events": []string{"connection.status_changed"}}, &hook)
			rc.setSecret("/conn", hook.Secret)
			e.startJobs(t)

			companyID, connID := e.webConnectorCompany(t, key, "Acme Bakery")
			var f qbconnect.WebConnectorFile
			e.mustDo(200, "GET", "/v1/companies/"+companyID+"/connections/"+connID+"/qwc", key, nil, &f)
			// Work waits, so that the Web Connector's update begins.
			if r := e.do("POST", "/v1/companies/"+companyID+"/qbxml", key, hostQuery, "Content-Type", "application/xml"); r.Status != 202 {
				t.Fatalf("passthrough: %d %s", r.Status, r.Body)
			}

			update := func() {
				t.Helper()
				_, _, auth := e.soapCall(t, "authenticate", "strUserName", f.UserName, "strPassword", f.Password)
				if len(auth) < 2 || auth[0] == "" || auth[1] == "nvu" || auth[1] == "none" || auth[1] == "busy" {
					t.Fatalf("authenticate: %q", auth)
				}
				if st, v, _ := e.soapCall(t, "connectionError", "ticket", auth[0], "hresult", "0x80040408", "message", "Could not start QuickBooks."); st != 200 || v != "done" {
					t.Fatalf("connectionError: %d %q", st, v)
				}
				if st, _, _ := e.soapCall(t, "closeConnection", "ticket", auth[0]); st != 200 {
					t.Fatalf("closeConnection: %d", st)
				}
			}
			update()
			ev := rc.next(t)
			var data struct {
				Connection struct {
					ID     string
					Status string
					Health struct{ Code, QBCode string }
				}
				PreviousStatus, PreviousHealthCode string
			}
			raw, _ := json.Marshal(ev.Data)
			json.Unmarshal(raw, &data)
			if ev.Type != "connection.status_changed" || data.Connection.ID != connID || data.Connection.Health.Code != "cannot_start" ||
				data.Connection.Health.QBCode != "0x80040408" || data.PreviousHealthCode != string(qbconnect.HealthNeverConnected) {
				t.Errorf("event: %s %s", ev.Type, raw)
			}

			// The same failure at the next update changes nothing: no
			// second event. Events are recorded with the change, so the
			// delivery log is complete once the callback has answered.
			update()
			var log struct{ Data []map[string]any }
			e.mustDo(200, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", key, nil, &log)
			if len(log.Data) != 1 || log.Data[0]["eventType"] != "connection.status_changed" {
				t.Errorf("deliveries after two failed updates: %v", log.Data)
			}
		})
	}
}
