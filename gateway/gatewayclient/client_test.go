package gatewayclient

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/gateway"
)

// The platform's real server is tested with this client in package api.
// These tests cover the client's edges that a healthy platform does not
// produce on demand: 503s with Retry-After, proxies answering HTML, broken
// connections.

// recordingServer answers with the scripted handlers in turn and records
// each request's decoded body.
type recordingServer struct {
	tb      testing.TB
	mu      sync.Mutex
	answers []http.HandlerFunc
	got     []recorded
}

type recorded struct {
	Method, Path, Query, Auth, Encoding string
	Body                                string
}

func newRecordingServer(tb testing.TB, answers ...http.HandlerFunc) (*recordingServer, *httptest.Server) {
	tb.Helper()
	rs := &recordingServer{tb: tb, answers: answers}
	srv := httptest.NewServer(rs)
	tb.Cleanup(srv.Close)
	return rs, srv
}

func (rs *recordingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			rs.tb.Errorf("bad gzip body: %v", err)
			return
		}
		body = zr
	}
	data, _ := io.ReadAll(body)
	rs.mu.Lock()
	n := len(rs.got)
	rs.got = append(rs.got, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Encoding"), string(data)})
	rs.mu.Unlock()
	if n >= len(rs.answers) {
		rs.tb.Errorf("unexpected request %d: %s %s", n+1, r.Method, r.URL.Path)
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	rs.answers[n](w, r)
}

func (rs *recordingServer) requests() []recorded {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]recorded(nil), rs.got...)
}

func jsonAnswer(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// fakeAfter records requested waits and fires at once.
type fakeAfter struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeAfter) after(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func newTestClient(tb testing.TB, url string, opts Options) *Client {
	tb.Helper()
	c, err := New(url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestPostResultHonoursRetryAfterThenSucceeds(t *testing.T) {
	busy := `{"error":{"code":"unavailable","message":"database busy","requestId":"req_1"}}`
	rs, srv := newRecordingServer(t,
		jsonAnswer(503, busy, "Retry-After", "7"),
		jsonAnswer(429, `{"error":{"code":"rate_limited","message":"slow down"}}`, "Retry-After", "600"),
		jsonAnswer(200, `{"applied":true,"status":"Success"}`),
	)
	fa := &fakeAfter{}
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x", After: fa.after, MaxRetryAfter: 30 * time.Second})
	ack, err := c.PostResult(context.Background(), gateway.Result{ItemID: "op_1", LeaseID: "lse_1", Response: "<QBXML/>"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&gateway.ResultAck{Applied: true, Status: "Success"}, ack); diff != "" {
		t.Errorf("ack (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 30 * time.Second}, fa.waits); diff != "" {
		t.Errorf("waits: Retry-After honoured and capped (-want +got):\n%s", diff)
	}
	reqs := rs.requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		if r.Path != "/gateway/v1/work/op_1/result" || r.Auth != "Bearer qbc_x" || r.Body != reqs[0].Body {
			t.Errorf("retried request differs: %+v", r)
		}
	}
}

func TestPostResultDoesNotRetryPermanentErrors(t *testing.T) {
	rs, srv := newRecordingServer(t,
		jsonAnswer(400, `{"error":{"code":"invalid","message":"failure.condition must be a code","requestId":"req_9"}}`))
	fa := &fakeAfter{}
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x", After: fa.after})
	_, err := c.PostResult(context.Background(), gateway.Result{ItemID: "op_1", LeaseID: "l", Failure: &gateway.Failure{Condition: "x"}})
	var e *gateway.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *gateway.Error", err)
	}
	want := &gateway.Error{Status: 400, Code: gateway.CodeInvalid, Message: "failure.condition must be a code", RequestID: "req_9"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if len(rs.requests()) != 1 || len(fa.waits) != 0 {
		t.Errorf("got %d requests and waits %v; want 1 request, no retry", len(rs.requests()), fa.waits)
	}
}

func TestLargeResultIsSentGzipped(t *testing.T) {
	rs, srv := newRecordingServer(t, jsonAnswer(200, `{"applied":true,"status":"Success"}`))
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x"})
	resp := "<QBXML><QBXMLMsgsRs>" + strings.Repeat(`<CustomerRet><Name>A &amp; B</Name></CustomerRet>`, 500) + "</QBXMLMsgsRs></QBXML>"
	if _, err := c.PostResult(context.Background(), gateway.Result{ItemID: "op_1", LeaseID: "l", Response: resp}); err != nil {
		t.Fatal(err)
	}
	got := rs.requests()[0]
	if got.Encoding != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got.Encoding)
	}
	var back gateway.Result
	if err := json.Unmarshal([]byte(got.Body), &back); err != nil {
		t.Fatal(err)
	}
	if back.Response != resp {
		t.Errorf("response did not survive the round trip")
	}
	if strings.Contains(got.Body, `\u003c`) {
		t.Errorf("qbXML was HTML-escaped in JSON; it should be sent as is")
	}
}

func TestSmallBodiesAreNotCompressed(t *testing.T) {
	rs, srv := newRecordingServer(t, jsonAnswer(200, `{"applied":false,"status":"Success"}`))
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x"})
	ack, err := c.PostResult(context.Background(), gateway.Result{ItemID: "op 1/2", LeaseID: "l", Response: "<QBXML/>"})
	if err != nil {
		t.Fatal(err)
	}
	if ack.Applied {
		t.Errorf("applied = true, want false as answered")
	}
	got := rs.requests()[0]
	if got.Encoding != "" || got.Path != "/gateway/v1/work/op 1/2/result" {
		t.Errorf("got encoding %q path %q", got.Encoding, got.Path)
	}
}

func TestLinkStoresNewCredentialAndSendsExistingOne(t *testing.T) {
	rs, srv := newRecordingServer(t,
		jsonAnswer(200, `{"connectorId":"ctr_1","credential":"qbc_new","connection":{"id":"con_1","companyId":"cmp_1","status":"Linked","file":{"path":"C:\\a.qbw","companyName":"A"},"paused":false}}`),
		jsonAnswer(200, `{"connectorId":"ctr_1","connection":{"id":"con_2","companyId":"cmp_2","status":"Linked","file":{"path":"C:\\b.qbw","companyName":"B"},"paused":false}}`),
	)
	c := newTestClient(t, srv.URL+"/", Options{})
	req := gateway.LinkRequest{Code: "7KQ2-M9XD", File: gateway.FileIdentity{Path: `C:\a.qbw`}, Connector: gateway.ConnectorInfo{Version: "1.0"}}
	resp, err := c.Link(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Connection.ID != "con_1" || c.Credential() != "qbc_new" {
		t.Errorf("got %+v, credential %q", resp, c.Credential())
	}
	if _, err := c.Link(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	reqs := rs.requests()
	if reqs[0].Auth != "" || reqs[1].Auth != "Bearer qbc_new" {
		t.Errorf("Authorization: first %q (want none), second %q (want the new credential)", reqs[0].Auth, reqs[1].Auth)
	}
	if c.Credential() != "qbc_new" {
		t.Errorf("a link without credential in the answer replaced the credential: %q", c.Credential())
	}
}

func TestPollNoWorkAndWaitCap(t *testing.T) {
	rs, srv := newRecordingServer(t,
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		jsonAnswer(200, `{"item":{"id":"op_1","leaseId":"lse_1","connectionId":"con_1","companyId":"cmp_1","file":{"path":"p","companyName":"n"},"kind":"sync","request":"<QBXML/>","attempt":1,"leaseExpiresAt":"2026-01-02T03:04:05Z"}}`),
	)
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x"})
	resp, err := c.Poll(context.Background(), gateway.PollRequest{Wait: 5 * time.Minute})
	if err != nil || resp == nil || resp.Item != nil {
		t.Fatalf("Poll = %+v, %v; want a response without item", resp, err)
	}
	resp, err = c.Poll(context.Background(), gateway.PollRequest{Wait: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := &gateway.WorkItem{ID: "op_1", LeaseID: "lse_1", ConnectionID: "con_1", CompanyID: "cmp_1",
		File: gateway.FileIdentity{Path: "p", CompanyName: "n"}, Kind: gateway.KindSync, Request: "<QBXML/>", Attempt: 1,
		LeaseExpiresAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if diff := cmp.Diff(want, resp.Item); diff != "" {
		t.Errorf("item (-want +got):\n%s", diff)
	}
	reqs := rs.requests()
	if reqs[0].Query != "wait=30s" || reqs[1].Query != "wait=1.5s" {
		t.Errorf("queries %q, %q; want the wait capped at 30s", reqs[0].Query, reqs[1].Query)
	}
}

func TestUnlinkedClientRefusesAuthenticatedCalls(t *testing.T) {
	_, srv := newRecordingServer(t) // any request is an error
	c := newTestClient(t, srv.URL, Options{})
	_, err := c.Poll(context.Background(), gateway.PollRequest{})
	if gateway.CodeOf(err) != gateway.CodeUnauthorized {
		t.Errorf("Poll without credential: %v, want unauthorized", err)
	}
	_, err = c.ReportState(context.Background(), gateway.State{})
	if gateway.CodeOf(err) != gateway.CodeUnauthorized {
		t.Errorf("ReportState without credential: %v, want unauthorized", err)
	}
}

func TestNonJSONErrorFromAProxy(t *testing.T) {
	_, srv := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Retry-After", "12")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>Bad gateway</html>\nmore")
	})
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x", MaxRetries: -1})
	_, err := c.ReportState(context.Background(), gateway.State{})
	var e *gateway.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *gateway.Error", err)
	}
	if e.Code != gateway.CodeUnavailable || e.Status != 502 || e.RetryAfter != 12*time.Second || !strings.Contains(e.Message, "Bad gateway") || !e.Temporary() {
		t.Errorf("got %+v", e)
	}
}

func TestTransportErrorsAreRetried(t *testing.T) {
	_, srv := newRecordingServer(t,
		func(w http.ResponseWriter, r *http.Request) {
			// Drop the connection without an answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		},
		jsonAnswer(200, `{"connections":[]}`),
	)
	fa := &fakeAfter{}
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x", After: fa.after, RetryBackoff: 250 * time.Millisecond})
	resp, err := c.ReportState(context.Background(), gateway.State{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Connections) != 0 || len(fa.waits) != 1 || fa.waits[0] != 250*time.Millisecond {
		t.Errorf("got %+v after waits %v", resp, fa.waits)
	}
}

func TestResultValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    gateway.Result
		ok   bool
	}{
		{"response", gateway.Result{ItemID: "a", LeaseID: "b", Response: "<x/>"}, true},
		{"failure", gateway.Result{ItemID: "a", LeaseID: "b", Failure: &gateway.Failure{Condition: "qb_closed"}}, true},
		{"neither", gateway.Result{ItemID: "a", LeaseID: "b"}, false},
		{"both", gateway.Result{ItemID: "a", LeaseID: "b", Response: "<x/>", Failure: &gateway.Failure{Condition: "c"}}, false},
		{"no lease", gateway.Result{ItemID: "a", Response: "<x/>"}, false},
		{"no item", gateway.Result{LeaseID: "b", Response: "<x/>"}, false},
		{"failure without condition", gateway.Result{ItemID: "a", LeaseID: "b", Failure: &gateway.Failure{}}, false},
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for in, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:01:00 GMT": time.Minute,
		"Wed, 31 Dec 2025 00:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, clock); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "platform.example.com", "ftp://x", "http://"} {
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestPostResultAsksForTheNextItemInTheQueryAndDecodesIt(t *testing.T) {
	rs, srv := newRecordingServer(t,
		jsonAnswer(200, `{"applied":true,"status":"Success","next":{"id":"op_2","leaseId":"lse_2","connectionId":"con_1","companyId":"cmp_1","file":{"path":"C:\\a.qbw","companyName":"Acme"},"kind":"sync","request":"<QBXML/>","attempt":1,"leaseExpiresAt":"2026-11-29T10:15:00Z"}}`),
		jsonAnswer(200, `{"applied":true,"status":"Success","next":null}`),
		// A platform that predates next ignores the query parameter.
		jsonAnswer(200, `{"applied":true,"status":"Success"}`),
		jsonAnswer(200, `{"applied":true,"status":"Success"}`),
	)
	c := newTestClient(t, srv.URL, Options{Credential: "qbc_x"})
	post := func(next bool) *gateway.ResultAck {
		t.Helper()
		ack, err := c.PostResult(context.Background(), gateway.Result{ItemID: "op_1", LeaseID: "lse_1", Response: "<QBXML/>", Next: next})
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	want := &gateway.WorkItem{ID: "op_2", LeaseID: "lse_2", ConnectionID: "con_1", CompanyID: "cmp_1",
		File: gateway.FileIdentity{Path: `C:\a.qbw`, CompanyName: "Acme"}, Kind: "sync", Request: "<QBXML/>", Attempt: 1,
		LeaseExpiresAt: time.Date(2026, 11, 29, 10, 15, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, post(true).Next); diff != "" {
		t.Errorf("next item (-want +got):\n%s", diff)
	}
	for i, next := range []bool{true, true, false} {
		if ack := post(next); ack.Next != nil || !ack.Applied {
			t.Errorf("answer %d = %+v, want applied without a next item", i+2, ack)
		}
	}
	var queries []string
	for _, r := range rs.requests() {
		queries = append(queries, r.Query)
		if strings.Contains(r.Body, "next") {
			t.Errorf("the body carries next: %s", r.Body)
		}
	}
	if diff := cmp.Diff([]string{"next=1", "next=1", "next=1", ""}, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}
