package qbwc_test

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbwc"
)

var update = flag.Bool("update", false, "rewrite the golden response files")

// goldenRequest is the one request the golden conversation enqueues.
const goldenRequest = `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="7"/></QBXMLMsgsRq></QBXML>`

// goldenEnv is an env with one Web Connector connection and its
// credential, without QuickBooks: the golden test plays the Web
// Connector's side from files.
type goldenEnv struct {
	*env
	t       *testing.T
	org     *qbconnect.Org
	conn    *qbconnect.Connection
	file    *qbconnect.WebConnectorFile
	owner   string
	tickets map[string]string // ticket → placeholder
}

func newGoldenEnv(t *testing.T, seed uint64, name string) *goldenEnv {
	t.Helper()
	e := newEnv(t, envOptions{Seed: seed, QBWC: qbwc.Config{MinClientVersion: "2.1.0.30", MaxBody: 64 << 10}})
	return e.goldenTenant(t, name)
}

func (e *env) goldenTenant(t *testing.T, name string) *goldenEnv {
	g := &goldenEnv{env: e, t: t, tickets: map[string]string{}}
	var err error
	if g.org, err = e.st.Orgs.CreateOrg(e.ctx, name); err != nil {
		t.Fatal(err)
	}
	cmp := e.st.Company(t, g.org.ID, name+" Books")
	g.conn = &qbconnect.Connection{OrgID: g.org.ID, CompanyID: cmp.ID, Kind: qbconnect.KindWebConnector}
	if err := e.st.Connections.CreateConnection(e.ctx, g.conn); err != nil {
		t.Fatal(err)
	}
	if g.file, err = e.wc.QWCFile(e.ctx, g.conn, cmp.Name, e.srv.URL, false); err != nil {
		t.Fatal(err)
	}
	if g.owner, err = e.wc.OwnerID(e.ctx); err != nil {
		t.Fatal(err)
	}
	return g
}

// hcp is a Host/Company/Preferences answer of a file stamped with fileID.
func hcp(owner, fileID string) string {
	return `<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<HostRet><ProductName>QuickBooks Pro 2014</ProductName><MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion><IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>
</HostQueryRs>
<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>Harbor Trading</CompanyName><LegalCompanyName>Harbor Trading</LegalCompanyName>
<DataExtRet><OwnerID>` + owner + `</OwnerID><DataExtName>AppLock</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>UNLOCKED:BOOKKEEPER-PC:2026-03-02T08:00:00Z</DataExtValue></DataExtRet>
<DataExtRet><OwnerID>` + owner + `</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>` + fileID + `</DataExtValue></DataExtRet>
</CompanyRet>
</CompanyQueryRs>
<PreferencesQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<PreferencesRet><MultiCurrencyPreferences><IsMultiCurrencyOn>false</IsMultiCurrencyOn></MultiCurrencyPreferences></PreferencesRet>
</PreferencesQueryRs>
</QBXMLMsgsRs>
</QBXML>
`
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// textEscape escapes text as the endpoint does (quotes stay as they are).
func textEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var authTicketRE = regexp.MustCompile(`<authenticateResult><string>([0-9a-f]*)</string>`)

// call posts testdata/golden/name.request.xml with ticket filled in,
// compares the answer with name.response.xml and returns it with the
// HTTP status. A name may carry a step label after "#" (the same request
// answered differently later in a conversation): "closeConnection#none"
// sends closeConnection.request.xml and compares with
// closeConnection#none.response.xml.
func (g *goldenEnv) call(label, ticket string) (int, string) {
	g.t.Helper()
	name, _, _ := strings.Cut(label, "#")
	req, err := os.ReadFile(filepath.Join("testdata", "golden", name+".request.xml"))
	if err != nil {
		g.t.Fatal(err)
	}
	body := string(req)
	if strings.Contains(body, "{{hcp}}") {
		cred, err := g.wcs.FindCredential(g.ctx, g.conn.ID)
		if err != nil {
			g.t.Fatal(err)
		}
		body = strings.ReplaceAll(body, "{{hcp}}", xmlEscape(hcp(g.owner, cred.FileID)))
	}
	body = strings.NewReplacer("{{ticket}}", ticket, "{{user}}", g.file.UserName, "{{password}}", g.file.Password).Replace(body)
	header := map[string]string{}
	if op := strings.SplitN(name, "_", 2)[0]; op != "fault" {
		header["SOAPAction"] = `"http://developer.intuit.com/` + op + `"`
	}
	status, resp := g.post(body, header)
	if m := authTicketRE.FindStringSubmatch(resp); m != nil && m[1] != "" {
		if _, ok := g.tickets[m[1]]; !ok {
			g.tickets[m[1]] = "{{ticket" + string(rune('0'+len(g.tickets)+1)) + "}}"
		}
	}
	normal := resp
	for tk, ph := range g.tickets {
		normal = strings.ReplaceAll(normal, tk, ph)
	}
	path := filepath.Join("testdata", "golden", label+".response.xml")
	if *update {
		if err := os.WriteFile(path, []byte(normal), 0o644); err != nil {
			g.t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		g.t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), normal); diff != "" {
		g.t.Errorf("%s: answer differs from %s (-want +got):\n%s", name, path, diff)
	}
	return status, resp
}

func ticketOf(tb testing.TB, resp string) string {
	tb.Helper()
	m := authTicketRE.FindStringSubmatch(resp)
	if m == nil || m[1] == "" {
		tb.Fatalf("no ticket in %s", resp)
	}
	return m[1]
}

// snapshot is everything a refused call must leave unchanged.
func (g *goldenEnv) snapshot(tickets ...string) string {
	g.t.Helper()
	conn, err := g.st.Connections.FindConnection(g.ctx, g.org.ID, g.conn.ID)
	if err != nil {
		g.t.Fatal(err)
	}
	ops, _, err := g.st.Queue.ListOperations(g.ctx, qbconnect.OperationFilter{OrgID: g.org.ID})
	if err != nil {
		g.t.Fatal(err)
	}
	var sessions []*qbconnect.WebConnectorSession
	for _, tk := range tickets {
		s, err := g.wcs.FindSession(g.ctx, ticketHashOf(tk))
		if err == nil {
			sessions = append(sessions, s)
		}
	}
	b, _ := json.Marshal(struct {
		Conn     *qbconnect.Connection
		Ops      []*qbconnect.Operation
		Sessions []*qbconnect.WebConnectorSession
	}{conn, ops, sessions})
	return string(b)
}

func TestGoldenConversation(t *testing.T) {
	g := newGoldenEnv(t, 10, "Harbor")
	ok := func(name, ticket string) string {
		t.Helper()
		status, resp := g.call(name, ticket)
		if status != 200 {
			t.Fatalf("%s: HTTP %d: %s", name, status, resp)
		}
		return resp
	}
	ok("serverVersion", "")
	ok("clientVersion", "")
	if resp := ok("clientVersion_old", ""); !strings.Contains(resp, "<clientVersionResult>O:2.1.0.30</clientVersionResult>") {
		t.Errorf("an old Web Connector is not told the version it needs: %s", resp)
	}
	ok("authenticate_nvu", "")
	ok("closeConnection_nvu", "")
	none := ticketOf(t, ok("authenticate_none", ""))
	ok("closeConnection#none", none)

	// Work arrives: one request, answered, and the update ends at 100.
	g.st.Enqueue(t, g.conn, qbconnect.PriorityInteractive, goldenRequest)
	tk := ticketOf(t, ok("authenticate", ""))
	ok("authenticate_busy", "")
	if resp := ok("sendRequestXML_hcp", tk); !strings.Contains(resp, textEscape(`<HostQueryRq requestID="7"/>`)) {
		t.Fatalf("the queued request was not sent: %s", resp)
	}
	conn := g.connection()
	if conn.Status != qbconnect.StatusLinked || conn.File.CompanyName != "Harbor Trading" || !strings.HasSuffix(conn.File.Path, `harbor.QBW`) {
		t.Errorf("connection after HCP: %+v", conn)
	}
	if resp := ok("receiveResponseXML", tk); !strings.Contains(resp, "<receiveResponseXMLResult>100</receiveResponseXMLResult>") {
		t.Errorf("progress after the last answer: %s", resp)
	}
	ok("getInteractiveURL", tk)
	ok("interactiveDone", tk)
	ok("interactiveRejected", tk)
	ok("closeConnection#done", tk)

	// QuickBooks cannot be started: the health says so, in the
	// connector's terms.
	g.st.Enqueue(t, g.conn, qbconnect.PriorityInteractive, goldenRequest)
	tk2 := ticketOf(t, ok("authenticate#2", ""))
	ok("connectionError", tk2)
	ok("getLastError#connectionError", tk2)
	if h := g.connection().Health; h.Code != qbd.CondCannotStart || h.QBCode != "0x80040408" || !h.NeedsUser ||
		!strings.Contains(h.Resolution, "Web Connector") {
		t.Errorf("health after connectionError: %+v", h)
	}
	// The user fixes it; a modal dialog then blocks the request.
	if err := g.st.Connections.SetHealth(g.ctx, g.conn.ID, qbconnect.Health{Code: qbconnect.HealthOK, Message: "ok"}); err != nil {
		t.Fatal(err)
	}
	tk3 := ticketOf(t, ok("authenticate#3", ""))
	ok("sendRequestXML_hcp#3", tk3)
	if resp := ok("receiveResponseXML_hresult", tk3); !strings.Contains(resp, "<receiveResponseXMLResult>-1</receiveResponseXMLResult>") {
		t.Errorf("a failed request must stop the update: %s", resp)
	}
	ok("getLastError#hresult", tk3)
	if h := g.connection().Health; h.Code != qbd.CondModalDialog {
		t.Errorf("health after the modal dialog: %+v", h)
	}
	ok("closeConnection#hresult", tk3)
}

func (g *goldenEnv) connection() *qbconnect.Connection {
	g.t.Helper()
	c, err := g.st.Connections.FindConnection(g.ctx, g.org.ID, g.conn.ID)
	if err != nil {
		g.t.Fatal(err)
	}
	return c
}

func TestNoOpPausesWhileWorkIsNotReady(t *testing.T) {
	g := newGoldenEnv(t, 11, "Harbor")
	op, err := g.st.Queue.Enqueue(g.ctx, &qbconnect.Operation{OrgID: g.org.ID, ConnectionID: g.conn.ID, Kind: qbconnect.OpSync,
		Priority: qbconnect.PriorityInteractive, Request: goldenRequest, NotBefore: g.st.Clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	_, resp := g.call("authenticate#noop", "")
	tk := ticketOf(t, resp)
	if _, resp := g.call("sendRequestXML_hcp#noop", tk); !strings.Contains(resp, "<sendRequestXMLResult>NoOp</sendRequestXMLResult>") {
		t.Fatalf("work not ready: %s, want NoOp", resp)
	}
	if _, resp := g.call("getLastError#noop", tk); !strings.Contains(resp, "<getLastErrorResult>NoOp</getLastErrorResult>") {
		t.Fatalf("getLastError after NoOp: %s", resp)
	}
	g.st.Clock.Advance(time.Minute) // the pause ends; the work is ready
	if _, resp := g.call("sendRequestXML", tk); !strings.Contains(resp, textEscape(`<HostQueryRq requestID="7"/>`)) {
		t.Fatalf("after the pause: %s", resp)
	}
	if _, resp := g.call("receiveResponseXML#noop", tk); !strings.Contains(resp, ">100<") {
		t.Fatalf("progress: %s", resp)
	}
	got, _ := g.st.Queue.FindOperation(g.ctx, g.org.ID, op.ID)
	if got.Status != qbconnect.OpSucceeded {
		t.Errorf("operation %s", got.Status)
	}
}

func TestBadInputGetsFaultsAndChangesNothing(t *testing.T) {
	g := newGoldenEnv(t, 12, "Harbor")
	other := g.env.goldenTenant(t, "Other")
	g.st.Enqueue(t, g.conn, qbconnect.PriorityInteractive, goldenRequest)
	_, resp := g.call("authenticate#faults", "")
	tk := ticketOf(t, resp)
	g.call("sendRequestXML_hcp#faults", tk) // the request is in flight, awaiting its answer
	// The other tenant authenticates too (its session has nothing in flight).
	g.st.Enqueue(t, other.conn, qbconnect.PriorityInteractive, goldenRequest)
	other.tickets = g.tickets
	_, oresp := other.call("authenticate#other", "")
	otk := ticketOf(t, oresp)
	before := g.snapshot(tk, otk) + other.snapshot(tk, otk)

	cases := []struct {
		name, ticket string
		status       int
	}{
		{"fault_unknown_ticket", "", 500},
		{"fault_other_tenant", otk, 500}, // an answer posted with the other tenant's ticket
		{"fault_unknown_operation", tk, 500},
		{"fault_wrong_namespace", tk, 500},
		{"fault_unknown_parameter", tk, 500},
		{"fault_not_an_integer", tk, 500},
		{"fault_element_in_parameter", tk, 500},
		{"fault_truncated", tk, 500},
		{"fault_soap12", tk, 500},
		{"fault_dtd", tk, 500},
	}
	for _, c := range cases {
		status, resp := g.call(c.name, c.ticket)
		if status != c.status || !strings.Contains(resp, "<soap:Fault>") {
			t.Errorf("%s: HTTP %d %s, want %d with a SOAP fault", c.name, status, resp, c.status)
		}
	}
	// Oversized, and with the wrong content type or encoding.
	big := `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>` +
		tk + `</ticket><response>` + strings.Repeat("x", 70<<10) + `</response></receiveResponseXML></soap:Body></soap:Envelope>`
	if status, resp := g.post(big, nil); status != 413 || !strings.Contains(resp, "larger than") {
		t.Errorf("oversized body: %d %s", status, resp)
	}
	if status, resp := g.post("{}", map[string]string{"Content-Type": "application/json"}); status != 500 || !strings.Contains(resp, "Content-Type must be text/xml") {
		t.Errorf("JSON body: %d %s", status, resp)
	}
	if status, resp := g.post("x", map[string]string{"Content-Encoding": "gzip"}); status != 500 || !strings.Contains(resp, "Content-Encoding") {
		t.Errorf("gzip body: %d %s", status, resp)
	}
	req, _ := os.ReadFile(filepath.Join("testdata", "golden", "getLastError.request.xml"))
	if status, resp := g.post(strings.ReplaceAll(string(req), "{{ticket}}", tk), map[string]string{"SOAPAction": `"http://developer.intuit.com/closeConnection"`}); status != 500 || !strings.Contains(resp, "SOAPAction") {
		t.Errorf("mismatched SOAPAction: %d %s", status, resp)
	}
	if after := g.snapshot(tk, otk) + other.snapshot(tk, otk); after != before {
		t.Errorf("refused calls changed the state:\nbefore %s\nafter  %s", before, after)
	}
	// The real answer still completes the update.
	if _, resp := g.call("receiveResponseXML#faults", tk); !strings.Contains(resp, ">100<") {
		t.Errorf("after the refused calls: %s", resp)
	}
}

func TestGetAndHeadAnswerTheCertificateProbeAndWSDL(t *testing.T) {
	g := newGoldenEnv(t, 13, "Harbor")
	for _, m := range []string{"GET", "HEAD"} {
		req, _ := newRequest(g.env, m, "/qbwc")
		resp, err := g.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s /qbwc: %d", m, resp.StatusCode)
		}
	}
	req, _ := newRequest(g.env, "GET", "/qbwc?wsdl")
	resp, err := g.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Ops []struct {
			Name string `xml:"name,attr"`
		} `xml:"portType>operation"`
		Address struct {
			Location string `xml:"location,attr"`
		} `xml:"service>port>address"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("WSDL: %v", err)
	}
	var names []string
	for _, o := range doc.Ops {
		names = append(names, o.Name)
	}
	want := []string{"serverVersion", "clientVersion", "authenticate", "sendRequestXML", "receiveResponseXML", "connectionError",
		"getLastError", "closeConnection", "getInteractiveURL", "interactiveDone", "interactiveRejected"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("WSDL operations (-want +got):\n%s", diff)
	}
	if doc.Address.Location != g.srv.URL+"/qbwc" {
		t.Errorf("WSDL address %q", doc.Address.Location)
	}
	req, _ = newRequest(g.env, "GET", "/qbwc/support")
	resp2, err := g.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 200 {
		t.Errorf("AppSupport: %d", resp2.StatusCode)
	}
}

func ticketHashOf(ticket string) []byte {
	h := sha256.Sum256([]byte(ticket))
	return h[:]
}

func newRequest(e *env, method, path string) (*http.Request, error) {
	return http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, nil)
}
