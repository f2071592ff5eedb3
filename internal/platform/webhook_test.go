package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/qbwc"
)

// client is a client application of a running platform: an organisation's
// API key and the REST calls it makes.
type client struct {
	t    *testing.T
	base string
	key  string
}

func newClient(t *testing.T, m *platform.Main) *client {
	t.Helper()
	ctx := context.Background()
	org, err := m.Orgs.CreateOrg(ctx, "Lender")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := m.Orgs.CreateAPIKey(ctx, org.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	// localhost, not 127.0.0.1: the Web Connector refuses IP addresses.
	return &client{t: t, base: strings.Replace(m.URL(), "127.0.0.1", "localhost", 1), key: key}
}

// do sends a request (a JSON body unless body is a string, sent as XML)
// and decodes a JSON answer into out.
func (c *client) do(method, path string, body, out any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/xml"
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.key)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
	return resp.StatusCode, string(data)
}

// soap sends one Web Connector callback and returns its Result's strings
// (one for a string answer).
func (c *client) soap(op string, params ...string) []string {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><%s xmlns="%s">`, op, qbwc.Namespace)
	for i := 0; i+1 < len(params); i += 2 {
		fmt.Fprintf(&b, "<%s>%s</%s>", params[i], html.EscapeString(params[i+1]), params[i])
	}
	fmt.Fprintf(&b, "</%s></soap:Body></soap:Envelope>", op)
	resp, err := http.Post(c.base+"/qbwc", "text/xml; charset=utf-8", strings.NewReader(b.String()))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?s)<` + op + `Result>(.*?)</` + op + `Result>`).FindStringSubmatch(string(data))
	if resp.StatusCode != 200 || m == nil {
		c.t.Fatalf("%s: %d %s", op, resp.StatusCode, data)
	}
	var out []string
	for _, s := range regexp.MustCompile(`<string>(.*?)</string>`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, html.UnescapeString(s[1]))
	}
	if out == nil {
		out = []string{html.UnescapeString(m[1])}
	}
	return out
}

// hookReceiver is a client's webhook endpoint on loopback that checks
// signatures and keeps the events in order.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	events []map[string]any
	bad    []string
}

func startHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := notify.Verify(r.secret, req.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			r.bad = append(r.bad, err.Error())
			http.Error(w, "bad signature", 400)
			return
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		r.events = append(r.events, ev)
		w.WriteHeader(204)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) received() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events), append([]string(nil), r.bad...)
}

// waitUntil polls cond until it holds, failing after 30 seconds with what.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not synchronising
	}
}

// Through the server `qbconnect serve` wires, a Web Connector that
// reports connectionError (QuickBooks cannot start) changes the
// connection's health, and the client gets exactly one signed
// connection.status_changed webhook for it.
func TestWebConnectorConnectionErrorIsWebhookedOnce(t *testing.T) {
	m := startMain(t, platform.Config{Sync: platform.SyncConfig{AllowPrivateWebhooks: true}})
	c := newClient(t, m)
	hooks := startHookReceiver(t)
	var hook struct{ ID, Secret string }
	if st, body := c.do("POST", "/v1/webhooks", map[string]any{"url": hooks.srv.URL + "/hooks", "events": []string{"connection.status_changed"}}, &hook); st != 201 {
		t.Fatalf("create webhook: %d %s", st, body)
	}
	hooks.mu.Lock()
	hooks.secret = hook.Secret
	hooks.mu.Unlock()

	var company qbconnect.Company
	c.do("POST", "/v1/companies", map[string]any{"name": "Acme Bakery"}, &company)
	var conn qbconnect.Connection
	c.do("POST", "/v1/companies/"+company.ID+"/connections", map[string]any{"kind": "webconnector"}, &conn)
	var qwc qbconnect.WebConnectorFile
	if st, body := c.do("GET", "/v1/companies/"+company.ID+"/connections/"+conn.ID+"/qwc", nil, &qwc); st != 200 {
		t.Fatalf(".qwc: %d %s", st, body)
	}
	query := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`
	if st, body := c.do("POST", "/v1/companies/"+company.ID+"/qbxml", query, nil); st != 202 {
		t.Fatalf("passthrough: %d %s", st, body)
	}

	for range 2 { // the same failure twice: one change, one event
		auth := c.soap("authenticate", "strUserName", qwc.UserName, "strPassword", qwc.Password)
		if len(auth) < 2 || auth[1] == "nvu" || auth[1] == "none" {
			t.Fatalf("authenticate: %q", auth)
		}
		if got := c.soap("connectionError", "ticket", auth[0], "hresult", "0x80040408", "message", "Could not start QuickBooks."); got[0] != "done" {
			t.Fatalf("connectionError: %q", got)
		}
		c.soap("closeConnection", "ticket", auth[0])
	}
	waitUntil(t, "the webhook", func() bool { n, _ := hooks.received(); return n > 0 })
	var deliveries struct{ Data []map[string]any }
	c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries", nil, &deliveries)
	if len(deliveries.Data) != 1 {
		t.Errorf("deliveries: %v, want exactly one", deliveries.Data)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	ev := hooks.events[0]
	data, _ := json.Marshal(ev["data"])
	if ev["type"] != "connection.status_changed" || !strings.Contains(string(data), `"code":"cannot_start"`) ||
		!strings.Contains(string(data), `"previousHealthCode":"never_connected"`) || len(hooks.bad) > 0 {
		t.Errorf("event %v %s (bad signatures: %v)", ev["type"], data, hooks.bad)
	}
}

// `qbconnect serve` refuses private webhook targets unless told otherwise:
// at creation, and at delivery for an endpoint already stored (created
// while private targets were allowed): the attempt is refused before any
// request leaves, and says why.
func TestServeRefusesPrivateWebhookTargetsByDefault(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/qbconnect.db"
	hooks := startHookReceiver(t)

	allowing := startMain(t, platform.Config{DB: dsn, Sync: platform.SyncConfig{AllowPrivateWebhooks: true}})
	c := newClient(t, allowing)
	var hook struct{ ID, Secret string }
	if st, body := c.do("POST", "/v1/webhooks", map[string]any{"url": hooks.srv.URL + "/hooks"}, &hook); st != 201 {
		t.Fatalf("with private targets allowed: %d %s", st, body)
	}
	if err := allowing.Close(); err != nil {
		t.Fatal(err)
	}

	m := startMain(t, platform.Config{DB: dsn})
	c.base = strings.Replace(m.URL(), "127.0.0.1", "localhost", 1)
	for _, url := range []string{hooks.srv.URL + "/other", "http://localhost:9/hooks", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/"} {
		if st, body := c.do("POST", "/v1/webhooks", map[string]any{"url": url}, nil); st != 400 || !strings.Contains(body, "not a public internet address") {
			t.Errorf("%s: %d %s", url, st, body)
		}
	}
	// An event for the stored endpoint: its delivery is refused at the
	// dialer.
	var company qbconnect.Company
	c.do("POST", "/v1/companies", map[string]any{"name": "Acme"}, &company)
	var conn qbconnect.Connection
	c.do("POST", "/v1/companies/"+company.ID+"/connections", map[string]any{}, &conn)
	if st, body := c.do("DELETE", "/v1/companies/"+company.ID+"/connections/"+conn.ID, nil, nil); st != 200 {
		t.Fatalf("unlink: %d %s", st, body)
	}
	var attemptErr string
	waitUntil(t, "a delivery attempt", func() bool {
		var deliveries struct {
			Data []struct {
				Attempts []struct{ Error string }
			}
		}
		c.do("GET", "/v1/webhooks/"+hook.ID+"/deliveries", nil, &deliveries)
		if len(deliveries.Data) == 1 && len(deliveries.Data[0].Attempts) > 0 {
			attemptErr = deliveries.Data[0].Attempts[0].Error
			return true
		}
		return false
	})
	if !strings.Contains(attemptErr, "127.0.0.1 is not a public internet address") {
		t.Errorf("attempt error %q, want the refusal of 127.0.0.1", attemptErr)
	}
	if n, _ := hooks.received(); n != 0 {
		t.Errorf("the loopback receiver got %d deliveries", n)
	}
}
