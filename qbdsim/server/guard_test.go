package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbdsim/server"
)

// send makes one raw request to the fixture's server and returns the
// status.
func (fx *fixture) send(t *testing.T, method, path, body string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(method, fx.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestControlAPIRefusesCrossSiteRequestsAndChangesNothing: a page on
// another site that makes the user's browser call the control API (the
// JSON sent as text/plain to dodge a preflight, a foreign Origin, a
// cross-site Sec-Fetch-Site, or its own name rebound to 127.0.0.1) is
// refused; QuickBooks keeps running and no customer is created. The
// request-processor API is guarded the same way.
func TestControlAPIRefusesCrossSiteRequestsAndChangesNothing(t *testing.T) {
	fx := newFixture(t)
	json := map[string]string{"Content-Type": "application/json"}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	exec := `{"file":"Acme.QBW","request":"<?xml version=\"1.0\"?><?qbxml version=\"13.0\"?><QBXML><QBXMLMsgsRq onError=\"stopOnError\"><CustomerAddRq><CustomerAdd><Name>Mallory</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"}`
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		want                     int
	}{
		{"text/plain JSON", "POST", "/api/v1/exec", exec, map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, http.StatusUnsupportedMediaType},
		{"form post", "POST", "/api/v1/qb/stop", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"no content type", "POST", "/api/v1/qb/stop", "", nil, http.StatusUnsupportedMediaType},
		{"foreign Origin", "POST", "/api/v1/exec", exec, with(map[string]string{"Origin": "http://evil.example"}), http.StatusForbidden},
		{"foreign Origin, text/plain", "POST", "/api/v1/qb/stop", "{}", map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"cross-site fetch", "POST", "/api/v1/qb/stop", "", with(map[string]string{"Sec-Fetch-Site": "cross-site"}), http.StatusForbidden},
		{"same-site fetch from another port", "POST", "/api/v1/qb/stop", "", with(map[string]string{"Sec-Fetch-Site": "same-site"}), http.StatusForbidden},
		{"rebound host name", "POST", "/api/v1/qb/stop", "", with(map[string]string{"Host": "attacker.example:8765"}), http.StatusMisdirectedRequest},
		{"rebound host name, read", "GET", "/api/v1/state", "", map[string]string{"Host": "attacker.example"}, http.StatusMisdirectedRequest},
		{"rebound host name, web UI", "GET", "/", "", map[string]string{"Host": "attacker.example"}, http.StatusMisdirectedRequest},
		{"request processor, text/plain", "POST", "/rp/v1/connections", `{"appName":"x"}`, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"request processor, foreign Origin", "POST", "/rp/v1/connections", `{"appName":"x"}`, with(map[string]string{"Origin": "http://evil.example"}), http.StatusForbidden},
	}
	for _, c := range cases {
		if got := fx.send(t, c.method, c.path, c.body, c.header); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	st := fx.sim.State()
	if !st.Running {
		t.Fatal("a refused request stopped QuickBooks")
	}
	resp, err := fx.ctl.Exec(context.Background(), "Acme.QBW", []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>Mallory</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>`))
	if err != nil || strings.Contains(string(resp), "<CustomerRet>") {
		t.Fatalf("a refused request created a customer: %v\n%s", err, resp)
	}
	// What the simulator's own callers send still works.
	for _, h := range []map[string]string{json, with(map[string]string{"Origin": fx.srv.URL}), with(map[string]string{"Host": "localhost"}), with(map[string]string{"Sec-Fetch-Site": "same-origin"})} {
		if got := fx.send(t, "POST", "/api/v1/qb/start", "", h); got != http.StatusOK {
			t.Errorf("%v: %d, want 200", h, got)
		}
	}
	if got := fx.send(t, "GET", "/", "", nil); got != http.StatusOK {
		t.Errorf("web UI: %d", got)
	}
}

// TestTokenProtectsTheControlAPI: with a token, control calls without it
// (or with another) are 401 and change nothing; the client with the token
// works; extra host names are accepted once allowed.
func TestTokenProtectsTheControlAPI(t *testing.T) {
	fx := newFixture(t)
	srv := httptest.NewServer(server.NewWithOptions(fx.sim, server.Options{Token: "s3cret", AllowedHosts: []string{"qb-vm.lan"}}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	anon, _ := server.NewClient(srv.URL, nil)
	if _, err := anon.StopQuickBooks(ctx); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("stop without the token: %v, want a refusal naming the token", err)
	}
	wrong, _ := server.NewClient(srv.URL, nil)
	if _, err := wrong.WithToken("guess").State(ctx); err == nil {
		t.Error("read the state with a wrong token")
	}
	if !fx.sim.State().Running {
		t.Fatal("a call without the token stopped QuickBooks")
	}
	ok, _ := server.NewClient(srv.URL, nil)
	if st, err := ok.WithToken("s3cret").StopQuickBooks(ctx); err != nil || st.Running {
		t.Fatalf("stop with the token: %+v, %v", st, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/state", nil)
	req.Host = "qb-vm.lan:8765"
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("an allowed host name: %s", resp.Status)
	}
}
