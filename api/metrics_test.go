package api_test

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/gateway"
)

// queueDepth scrapes /metrics and returns qbconnect_queue_depth by status.
func (e *env) queueDepth(tb testing.TB) map[string]int {
	tb.Helper()
	r := e.mustDo(200, "GET", "/metrics", "", nil, nil)
	depth := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^qbconnect_queue_depth\{status="(\w+)"\} (\d+)$`).FindAllSubmatch(r.Body, -1) {
		n, _ := strconv.Atoi(string(m[2]))
		depth[string(m[1])] = n
	}
	return depth
}

// The queue depth by status moves as work is enqueued through the REST
// API, handed to the connector, and completed, on both databases.
func TestMetricsReportQueueDepthByStatus(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			_, key := e.newOrg("Lender")
			companyID, _, code := e.linkedCompany(key, "Acme")
			linked, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
			if err != nil {
				t.Fatal(err)
			}
			gw := e.client(linked.Credential)
			depth := func(queued, inFlight, success int) map[string]int {
				return map[string]int{"Queued": queued, "InFlight": inFlight, "Success": success, "Failed": 0, "TimedOut": 0, "Canceled": 0}
			}
			check := func(step string, want map[string]int) {
				t.Helper()
				if diff := cmp.Diff(want, e.queueDepth(t)); diff != "" {
					t.Errorf("%s: qbconnect_queue_depth (-want +got):\n%s", step, diff)
				}
			}
			check("empty queue", depth(0, 0, 0))

			for i := range 2 {
				r := e.do("POST", "/v1/companies/"+companyID+"/qbxml", key, hostQuery, "Content-Type", "application/xml")
				if r.Status != 202 {
					t.Fatalf("passthrough %d: %d %s", i, r.Status, r.Body)
				}
			}
			check("two passthroughs enqueued", depth(2, 0, 0))

			p, err := gw.Poll(context.Background(), gateway.PollRequest{})
			if err != nil || p.Item == nil {
				t.Fatalf("poll: %+v %v", p, err)
			}
			check("one handed out", depth(1, 1, 0))

			if _, err := gw.PostResult(context.Background(), gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: "<QBXML/>"}); err != nil {
				t.Fatal(err)
			}
			check("one completed", depth(1, 0, 1))
		})
	}
}

// connectionsByHealth scrapes /metrics and returns qbconnect_connections by
// health code.
func (e *env) connectionsByHealth(tb testing.TB) map[string]int {
	tb.Helper()
	r := e.mustDo(200, "GET", "/metrics", "", nil, nil)
	counts := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^qbconnect_connections\{health_code="(\w+)"\} (\d+)$`).FindAllSubmatch(r.Body, -1) {
		n, _ := strconv.Atoi(string(m[2]))
		counts[string(m[1])] = n
	}
	return counts
}

// An operator's dashboard counts connections by health code: a linked
// company whose connector has not been seen yet, then one that polls.
func TestMetricsReportConnectionsByHealthCode(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			_, key := e.newOrg("Lender")
			check := func(step string, want map[string]int) {
				t.Helper()
				if diff := cmp.Diff(want, e.connectionsByHealth(t)); diff != "" {
					t.Errorf("%s: qbconnect_connections (-want +got):\n%s", step, diff)
				}
			}
			check("no connection", map[string]int{"ok": 0, "connector_offline": 0})
			_, _, code := e.linkedCompany(key, "Acme")
			check("link code issued", map[string]int{"ok": 0, "connector_offline": 0, "never_connected": 1})
			linked, err := e.client("").Link(context.Background(), linkRequest(code, `C:\a.qbw`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.client(linked.Credential).Poll(context.Background(), gateway.PollRequest{}); err != nil {
				t.Fatal(err)
			}
			check("connector linked and polling", map[string]int{"ok": 1, "connector_offline": 0})
		})
	}
}
