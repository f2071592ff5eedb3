package connector

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// queuePlatform is a hand-written gateway.Service with a queue of work
// items for con_1: a poll hands the first one (or waits, signalling
// idle), and a result posted with Next answers the next one, as the
// platform does. It logs the calls that move items.
type queuePlatform struct {
	mu    sync.Mutex
	queue []*gateway.WorkItem
	calls []string
	conn  gateway.Connection
	idle  chan struct{} // a poll found nothing and waits
}

func (p *queuePlatform) pop() *gateway.WorkItem {
	if len(p.queue) == 0 {
		return nil
	}
	it := p.queue[0]
	p.queue = p.queue[1:]
	return it
}

func (p *queuePlatform) Link(context.Context, gateway.LinkRequest) (*gateway.LinkResponse, error) {
	return nil, errors.New("not in this test")
}

func (p *queuePlatform) Poll(ctx context.Context, _ gateway.PollRequest) (*gateway.PollResponse, error) {
	p.mu.Lock()
	p.calls = append(p.calls, "poll")
	it := p.pop()
	p.mu.Unlock()
	if it != nil {
		return &gateway.PollResponse{Item: it}, nil
	}
	select {
	case p.idle <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (p *queuePlatform) PostResult(_ context.Context, r gateway.Result) (*gateway.ResultAck, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	call := "result " + r.ItemID
	ack := &gateway.ResultAck{Applied: true, Status: "Failed"}
	if r.Next {
		call += " next"
		ack.Next = p.pop()
	}
	p.calls = append(p.calls, call)
	return ack, nil
}

func (p *queuePlatform) ExtendLease(context.Context, gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	return nil, errors.New("not in this test")
}

func (p *queuePlatform) ReportState(context.Context, gateway.State) (*gateway.StateResponse, error) {
	return &gateway.StateResponse{Connections: []gateway.Connection{p.conn}}, nil
}

// runUntilIdle runs an agent for con_1 against a queuePlatform holding
// items ids until it polls with an empty queue, and returns its calls to
// the platform. before, when set, prepares the data folder first.
func runUntilIdle(t *testing.T, ids []string, before func(st *Store)) []string {
	t.Helper()
	st := &Store{Dir: t.TempDir()}
	file := gateway.FileIdentity{Path: `C:\QB\bakery.qbw`, CompanyName: "Acme Bakery Ltd", FileID: "fid_1"}
	cfg := &Config{PlatformURL: "http://127.0.0.1:1", Credential: "qbc_x", Files: []LinkedFile{{ConnectionID: "con_1", CompanyID: "cmp_1", File: file}}}
	if err := st.Save(cfg); err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(st)
	}
	plat := &queuePlatform{conn: gateway.Connection{ID: "con_1", CompanyID: "cmp_1", Status: "Linked", File: file}, idle: make(chan struct{}, 1)}
	for _, id := range ids {
		plat.queue = append(plat.queue, &gateway.WorkItem{ID: id, LeaseID: "lse_" + id, ConnectionID: "con_1", CompanyID: "cmp_1",
			File: file, Kind: gateway.KindSync, Request: "<QBXML/>", Attempt: 1})
	}
	a, err := NewAgent(context.Background(), Options{Store: st, Config: cfg, Gateway: plat, UIAddr: "-",
		NewProcessor: func() (qbd.RequestProcessor, error) { return nil, errors.New("no QuickBooks in this test") },
		Heartbeat:    time.Hour, ProbeInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-plat.idle:
	case <-time.After(10 * time.Second):
		t.Fatal("the connector never polled with an empty queue")
	}
	plat.mu.Lock()
	defer plat.mu.Unlock()
	return append([]string(nil), plat.calls...)
}

// A sync's items come one per result's answer: the connector runs each
// without polling, asks for the next with every result, and polls only
// once an answer brings none.
func TestConnectorRunsTheItemAResultsAnswerCarriesWithoutPolling(t *testing.T) {
	calls := runUntilIdle(t, []string{"op_1", "op_2", "op_3"}, nil)
	want := []string{"poll", "result op_1 next", "result op_2 next", "result op_3 next", "poll"}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls to the platform (-want +got):\n%s", diff)
	}
}

// An answer left in the journal by a stop is delivered at start without
// asking for a next item: the connector takes new work only once every
// journalled answer is delivered, through its poll.
func TestJournalledAnswerAfterARestartAsksForNoNextItem(t *testing.T) {
	calls := runUntilIdle(t, []string{"op_1"}, func(st *Store) {
		ctx := context.Background()
		jr, err := OpenJournal(ctx, st.Path(journalFile), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer jr.Close()
		it := &gateway.WorkItem{ID: "op_0", LeaseID: "lse_op_0", ConnectionID: "con_1", Kind: gateway.KindSync, Request: "<QBXML/>", Attempt: 1}
		if _, err := jr.Receive(ctx, it, ""); err != nil {
			t.Fatal(err)
		}
		resp := "<QBXML/>"
		if err := jr.Answer(ctx, "op_0", &resp, nil, time.Second, false); err != nil {
			t.Fatal(err)
		}
	})
	want := []string{"result op_0", "poll", "result op_1 next", "poll"}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls to the platform (-want +got):\n%s", diff)
	}
}
