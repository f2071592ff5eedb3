package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// The result of a work item posted with ?next=1 answers the connector's
// next item (gateway/PROTOCOL.md, "The next item in the answer"): one
// round trip per item instead of a result and a poll.

// twoFileConnector links two company files of one organisation to one
// connector and returns the organisation, its key, the companies and
// connections (in link order), the connector's ID and its gateway.
func twoFileConnector(t *testing.T, e *env, svc func(string) gateway.Service) (org *qbconnect.Org, key string, companies, conns [2]string, connectorID string, gw gateway.Service) {
	t.Helper()
	ctx := context.Background()
	org, key = e.newOrg("Lender")
	var codes [2]string
	companies[0], conns[0], codes[0] = e.linkedCompany(key, "Acme")
	companies[1], conns[1], codes[1] = e.linkedCompany(key, "Bakery")
	linked, err := svc("").Link(ctx, linkRequest(codes[0], `C:\acme.qbw`))
	if err != nil {
		t.Fatal(err)
	}
	gw = svc(linked.Credential)
	if _, err := gw.Link(ctx, linkRequest(codes[1], `C:\bakery.qbw`)); err != nil {
		t.Fatal(err)
	}
	return org, key, companies, conns, linked.ConnectorID, gw
}

const customerQueryAnswer = `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"/></QBXMLMsgsRs></QBXML>`

func TestResultAnswerCarriesTheConnectorsNextItemLeased(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, _, companies, conns, connectorID, gw := twoFileConnector(t, e, svc)
		first := e.enqueue(org.ID, companies[0], conns[0], "<QBXML><CustomerQueryRq/></QBXML>")
		other := e.enqueue(org.ID, companies[1], conns[1], "<QBXML><VendorQueryRq/></QBXML>")
		last := e.enqueue(org.ID, companies[0], conns[0], "<QBXML><ItemQueryRq/></QBXML>")

		p, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item == nil || p.Item.ID != first.ID {
			t.Fatalf("poll = %+v, %v; want %s", p, err, first.ID)
		}
		// The answer to the first item's result carries the other company
		// file's item, leased as a poll would lease it.
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: first.ID, LeaseID: p.Item.LeaseID, Response: customerQueryAnswer, Next: true})
		if err != nil {
			t.Fatal(err)
		}
		if !ack.Applied || ack.Status != "Success" || ack.Next == nil {
			t.Fatalf("ack = %+v; want applied with the next item", ack)
		}
		conn := e.connection(org.ID, conns[1])
		want := gateway.WorkItem{ID: other.ID, ConnectionID: conns[1], CompanyID: companies[1], File: gateway.FileIdentity(conn.File),
			Kind: "qbxml", Request: "<QBXML><VendorQueryRq/></QBXML>", Attempt: 1, LeaseExpiresAt: e.clock.Now().Add(10 * time.Minute)}
		got := *ack.Next
		if got.LeaseID == "" || got.LeaseID == p.Item.LeaseID {
			t.Errorf("next item's lease = %q, want a lease of its own", got.LeaseID)
		}
		got.LeaseID = ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("next item (-want +got):\n%s", diff)
		}
		// It is in flight: one item per connector, so a lease attempt for
		// the connector finds nothing, and the item is leased once.
		if l, err := e.queue.Lease(ctx, connectorID, time.Minute); err != nil || l != nil {
			t.Errorf("a second lease while the next item is in flight = %+v, %v; want none", l, err)
		}
		if op := e.operation(org.ID, other.ID); op.Status != qbconnect.OpInFlight || op.Attempts != 1 {
			t.Errorf("next item's operation = %s attempt %d, want InFlight attempt 1", op.Status, op.Attempts)
		}

		// Its result brings the first file's queued item; the last result
		// brings none: the queue is empty.
		ack, err = gw.PostResult(ctx, gateway.Result{ItemID: other.ID, LeaseID: ack.Next.LeaseID, Response: customerQueryAnswer, Next: true})
		if err != nil || !ack.Applied || ack.Next == nil || ack.Next.ID != last.ID {
			t.Fatalf("second ack = %+v, %v; want applied with %s", ack, err, last.ID)
		}
		ack, err = gw.PostResult(ctx, gateway.Result{ItemID: last.ID, LeaseID: ack.Next.LeaseID, Response: customerQueryAnswer, Next: true})
		if err != nil || !ack.Applied || ack.Next != nil {
			t.Fatalf("last ack = %+v, %v; want applied with no next item", ack, err)
		}
		for _, op := range []*qbconnect.Operation{first, other, last} {
			if got := e.operation(org.ID, op.ID); got.Status != qbconnect.OpSucceeded || got.Attempts != 1 {
				t.Errorf("%s: %s after %d attempts, want Success after 1", op.Request, got.Status, got.Attempts)
			}
		}
	})
}

func TestResultAnswerBringsNoItemOfAPausedConnection(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key, companies, conns, _, gw := twoFileConnector(t, e, svc)
		first := e.enqueue(org.ID, companies[0], conns[0], "<QBXML><CustomerQueryRq/></QBXML>")
		held := e.enqueue(org.ID, companies[1], conns[1], "<QBXML><VendorQueryRq/></QBXML>")
		p, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item == nil || p.Item.ID != first.ID {
			t.Fatalf("poll = %+v, %v; want %s", p, err, first.ID)
		}
		// While the first item runs, the client pauses the other file.
		e.mustDo(200, "POST", "/v1/companies/"+companies[1]+"/connections/"+conns[1]+"/pause", key, nil, nil)
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: first.ID, LeaseID: p.Item.LeaseID, Response: customerQueryAnswer, Next: true})
		if err != nil || !ack.Applied || ack.Next != nil {
			t.Fatalf("ack = %+v, %v; want applied with no next item (its file is paused)", ack, err)
		}
		if op := e.operation(org.ID, held.ID); op.Status != qbconnect.OpQueued || op.Attempts != 0 {
			t.Errorf("paused file's item = %s attempt %d, want Queued, never leased", op.Status, op.Attempts)
		}
		// Resumed, its item comes with the next poll.
		e.mustDo(200, "POST", "/v1/companies/"+companies[1]+"/connections/"+conns[1]+"/resume", key, nil, nil)
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item == nil || p.Item.ID != held.ID {
			t.Errorf("poll after resume = %+v, %v; want %s", p, err, held.ID)
		}
	})
}

// A connector whose connections changed since its last state report gets
// no next item, though work is queued, so that it polls and hears of the
// change first; the result's answer does not use the news up.
func TestResultAnswerLeavesAConnectionChangeToThePoll(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key, companies, conns, _, gw := twoFileConnector(t, e, svc)
		report(t, gw, conns[0], nil) // what the connector was told: nothing paused
		first := e.enqueue(org.ID, companies[0], conns[0], "<QBXML><CustomerQueryRq/></QBXML>")
		second := e.enqueue(org.ID, companies[0], conns[0], "<QBXML><ItemQueryRq/></QBXML>")
		p, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || p.Item == nil || p.Item.ID != first.ID {
			t.Fatalf("poll = %+v, %v; want %s", p, err, first.ID)
		}
		e.mustDo(200, "POST", "/v1/companies/"+companies[1]+"/connections/"+conns[1]+"/pause", key, nil, nil)
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: first.ID, LeaseID: p.Item.LeaseID, Response: customerQueryAnswer, Next: true})
		if err != nil || !ack.Applied || ack.Next != nil {
			t.Fatalf("ack = %+v, %v; want applied with no next item (a connection changed)", ack, err)
		}
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item != nil || !p.ReportState {
			t.Fatalf("poll after the result = %+v, %v; want reportState", p, err)
		}
		report(t, gw, conns[0], nil)
		if p, err := gw.Poll(ctx, gateway.PollRequest{}); err != nil || p.Item == nil || p.Item.ID != second.ID {
			t.Errorf("poll after the report = %+v, %v; want %s", p, err, second.ID)
		}
	})
}

// Without ?next=1 the answer is the one connectors before it knew, key for
// key; with it, "next" is always present, null when there is no item; a
// malformed value is refused before the body is read.
func TestResultAnswerHasNextOnlyWhenAskedFor(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	org, _, companies, conns, _, gw := twoFileConnector(t, e, func(cred string) gateway.Service { return e.client(cred) })
	cred := gw.(*gatewayclient.Client).Credential()
	keys := func(r response) []string {
		var ks []string
		for k := range r.JSON(t) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	post := func(query string) response {
		op := e.enqueue(org.ID, companies[0], conns[0], "<QBXML><CustomerQueryRq/></QBXML>")
		p, err := gw.Poll(context.Background(), gateway.PollRequest{})
		if err != nil || p.Item == nil || p.Item.ID != op.ID {
			t.Fatalf("poll = %+v, %v; want %s", p, err, op.ID)
		}
		return e.mustDo(200, "POST", "/gateway/v1/work/"+op.ID+"/result"+query, cred,
			map[string]any{"leaseId": p.Item.LeaseID, "response": customerQueryAnswer}, nil)
	}
	if r := post(""); !cmp.Equal(keys(r), []string{"applied", "status"}) {
		t.Errorf("answer without next=1: %s; want applied and status only", r.Body)
	}
	if r := post("?next=0"); !cmp.Equal(keys(r), []string{"applied", "status"}) {
		t.Errorf("answer with next=0: %s; want applied and status only", r.Body)
	}
	if r := post("?next=1"); !bytes.Contains(r.Body, []byte(`"next":null`)) || !cmp.Equal(keys(r), []string{"applied", "next", "status"}) {
		t.Errorf("answer with next=1 and nothing queued: %s; want \"next\":null", r.Body)
	}
	if r := e.do("POST", "/gateway/v1/work/op_x/result?next=yes", cred, map[string]any{"leaseId": "lse_x", "response": "<QBXML/>"}); r.Status != 400 || r.ErrorCode() != "invalid" {
		t.Errorf("next=yes: %d %s; want 400 invalid", r.Status, r.Body)
	}
}

// losingTransport loses the answer of the first result post that asks for
// the next item, after the platform handled it, as a dropped connection
// would; it keeps that answer for the test.
type losingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	lost []byte
}

func (l *losingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err != nil || req.Method != "POST" || !strings.HasSuffix(req.URL.Path, "/result") || req.URL.Query().Get("next") != "1" {
		return resp, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return resp, nil
	}
	l.lost, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return nil, errors.New("connection reset by peer (the test lost the answer)")
}

// The answer that carried a client's write as the next item is lost; the
// connector's client posts the result again, which is a repeat: not
// applied, and no second lease. The connector then polls, is offered the
// write again at once, and the write reaches QuickBooks exactly once.
func TestLostResultAnswerItsNextItemIsOfferedAgainAtThePollAndWrittenOnce(t *testing.T) {
	for dbName, dsn := range databases(t) {
		t.Run(dbName, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, companyfile.GenerateOptions{})
			c.drain(t) // what linking queued (the file's stamp)
			lose := &losingTransport{base: e.http.Client().Transport}
			now := func(time.Duration) <-chan time.Time { ch := make(chan time.Time, 1); ch <- time.Time{}; return ch }
			gw, err := gatewayclient.New(e.http.URL, gatewayclient.Options{Credential: c.gw.Credential(),
				HTTPClient: &http.Client{Transport: lose}, After: now})
			if err != nil {
				t.Fatal(err)
			}
			connectorID := e.connection(c.org.ID, c.connID).ConnectorID

			query := e.enqueue(c.org.ID, c.id, c.connID, `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq/></QBXMLMsgsRq></QBXML>`)
			p, err := gw.Poll(ctx, gateway.PollRequest{})
			if err != nil || p.Item == nil || p.Item.ID != query.ID {
				t.Fatalf("poll = %+v, %v; want the query %s", p, err, query.ID)
			}
			// While the query runs, the client writes.
			write, _ := c.write(t, 202, "POST", "/v1/companies/"+c.id+"/customers", `{"name":"Lost Answer Ltd"}`, "Idempotency-Key", "lost-answer-1")
			resp, err := c.proc.ProcessRequest(ctx, c.ticket, []byte(p.Item.Request))
			if err != nil {
				t.Fatal(err)
			}
			ack, err := gw.PostResult(ctx, gateway.Result{ItemID: query.ID, LeaseID: p.Item.LeaseID, Response: string(resp), Next: true})
			if err != nil {
				t.Fatal(err)
			}
			// The lost answer had applied the result and carried the write.
			if !bytes.Contains(lose.lost, []byte(`"applied":true`)) || !bytes.Contains(lose.lost, []byte(`"id":"`+write.ID+`"`)) {
				t.Fatalf("the lost answer = %s; want applied with the write %s", lose.lost, write.ID)
			}
			if diff := cmp.Diff(&gateway.ResultAck{Applied: false, Status: "Success"}, ack); diff != "" {
				t.Errorf("answer to the repeated post (-want +got):\n%s", diff)
			}
			if op := e.operation(c.org.ID, write.ID); op.Status != qbconnect.OpInFlight || op.Attempts != 1 {
				t.Errorf("write after the repeat = %s attempt %d, want InFlight attempt 1 (no second lease)", op.Status, op.Attempts)
			}
			if l, err := e.queue.Lease(ctx, connectorID, time.Minute); err != nil || l != nil {
				t.Errorf("a lease attempt while the lost write is leased = %+v, %v; want none", l, err)
			}

			// The connector polls: the write is offered again at once.
			p, err = gw.Poll(ctx, gateway.PollRequest{})
			if err != nil || p.Item == nil || p.Item.ID != write.ID || p.Item.Attempt != 2 || p.Item.MessageSetID == "" {
				t.Fatalf("poll after the repeat = %+v, %v; want the write again, attempt 2, with its message set", p, err)
			}
			c.run(t, p.Item)
			if op := e.operation(c.org.ID, write.ID); op.Status != qbconnect.OpSucceeded {
				t.Errorf("write = %s, want Success", op.Status)
			}
			if n := c.customersNamed(t, "Lost Answer Ltd"); n != 1 {
				t.Errorf("Lost Answer Ltd exists %d times in QuickBooks, want once", n)
			}
		})
	}
}

// customersNamed counts the company file's customers named name.
func (c *company) customersNamed(tb testing.TB, name string) int {
	tb.Helper()
	resp, err := c.sim.Exec(c.ctx, c.file, []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>`+name+`</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>`))
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Count(string(resp), "<CustomerRet>")
}
