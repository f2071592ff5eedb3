package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbd"
)

// fakePlatform is a hand-written gateway.Service that keeps one
// connection's pause level the way the platform does: it applies pause
// changes and answers every report with the level.
type fakePlatform struct {
	mu      sync.Mutex
	conn    gateway.Connection
	reports []gateway.State
	polls   chan *gateway.PollResponse // answers handed to waiting polls
	got     chan gateway.State         // every report, as it arrives
	revoked *gateway.Revocation        // the answer's word on the running release
}

func (p *fakePlatform) Link(context.Context, gateway.LinkRequest) (*gateway.LinkResponse, error) {
	return nil, errors.New("not in this test")
}

func (p *fakePlatform) Poll(ctx context.Context, _ gateway.PollRequest) (*gateway.PollResponse, error) {
	select {
	case r := <-p.polls:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *fakePlatform) PostResult(context.Context, gateway.Result) (*gateway.ResultAck, error) {
	return nil, errors.New("not in this test")
}

func (p *fakePlatform) ExtendLease(context.Context, gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	return nil, errors.New("not in this test")
}

func (p *fakePlatform) ReportState(_ context.Context, s gateway.State) (*gateway.StateResponse, error) {
	p.mu.Lock()
	for _, f := range s.Files {
		if c := f.PauseChange; c != nil && f.ConnectionID == p.conn.ID {
			p.conn.Paused, p.conn.PausedUntil = c.Paused, c.Until
		}
	}
	p.reports = append(p.reports, s)
	resp := &gateway.StateResponse{Connections: []gateway.Connection{p.conn}, Revoked: p.revoked}
	p.mu.Unlock()
	p.got <- s
	return resp, nil
}

// setPause is the client pausing or resuming through the REST API.
func (p *fakePlatform) setPause(paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conn.Paused, p.conn.PausedUntil = paused, nil
}

func (p *fakePlatform) allReports() []gateway.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gateway.State(nil), p.reports...)
}

// nextReport waits for the agent's next state report.
func (p *fakePlatform) nextReport(tb testing.TB) gateway.State {
	tb.Helper()
	select {
	case s := <-p.got:
		return s
	case <-time.After(10 * time.Second):
		tb.Fatal("no state report within 10 s")
		return gateway.State{}
	}
}

// waitStatus polls the agent's status until cond holds.
func waitStatus(tb testing.TB, a *Agent, what string, cond func(FileStatus) bool) FileStatus {
	tb.Helper()
	var f *FileStatus
	wait.For(tb, what, 10*time.Second, func() (bool, string) {
		f = a.Status().File("con_1")
		return f != nil && cond(*f), fmt.Sprintf("%+v", f)
	})
	return *f
}

func TestPauseHasOneOwnerPerChange(t *testing.T) {
	st := &Store{Dir: t.TempDir()}
	cfg := &Config{PlatformURL: "http://127.0.0.1:1", Credential: "qbc_x", Files: []LinkedFile{{
		ConnectionID: "con_1", CompanyID: "cmp_1",
		File: gateway.FileIdentity{Path: `C:\QB\bakery.qbw`, CompanyName: "Acme Bakery Ltd", FileID: "fid_1"},
	}}}
	if err := st.Save(cfg); err != nil {
		t.Fatal(err)
	}
	plat := &fakePlatform{
		conn: gateway.Connection{ID: "con_1", CompanyID: "cmp_1", CompanyName: "Acme Bakery", OrgName: "Lender Inc.",
			Status: "Linked", File: cfg.Files[0].File},
		polls: make(chan *gateway.PollResponse),
		got:   make(chan gateway.State, 100),
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

	plat.nextReport(t)
	waitStatus(t, a, "the names from the platform", func(f FileStatus) bool { return f.OrgName == "Lender Inc." })

	// The client pauses through the REST API; the platform's poll answer
	// asks for a report, whose answer the card then shows.
	plat.setPause(true)
	plat.polls <- &gateway.PollResponse{ReportState: true}
	plat.nextReport(t)
	f := waitStatus(t, a, "the platform's pause", func(f FileStatus) bool { return f.Shown.Code == CondPaused })
	if f.PausedBy != PausedByPlatform || !strings.Contains(f.Shown.Message, "Lender Inc.") {
		t.Errorf("paused by the platform shows %q (by %q)", f.Shown.Message, f.PausedBy)
	}

	// Heartbeats report no level: the API's pause stays.
	a.state.notify() // as a heartbeat does

	plat.nextReport(t)
	plat.mu.Lock()
	stillPaused := plat.conn.Paused
	plat.mu.Unlock()
	if !stillPaused {
		t.Fatal("a heartbeat resumed the connection paused through the API")
	}

	// The end user resumes on the card: one change, at the time it was made.
	at := a.now()
	if err := a.SetPaused("con_1", false, 0); err != nil {
		t.Fatal(err)
	}
	var sent *gateway.PauseChange
	for sent == nil {
		s := plat.nextReport(t)
		sent = s.Files[0].PauseChange
	}
	if sent.Paused || sent.At.Before(at) {
		t.Errorf("the resume was sent as %+v", sent)
	}
	waitStatus(t, a, "the resume confirmed", func(f FileStatus) bool { return f.PendingPause == nil && !f.Paused })
	saved, err := st.Load()
	if err != nil || saved.Files[0].PendingPause != nil || saved.Files[0].Paused {
		t.Errorf("saved after the confirmed resume: %+v, %v", saved.Files[0], err)
	}

	for _, r := range plat.allReports() {
		for _, fs := range r.Files {
			if fs.Paused != nil {
				t.Errorf("a report carried the legacy pause level %v", *fs.Paused)
			}
		}
	}
	changes := 0
	for _, r := range plat.allReports() {
		if r.Files[0].PauseChange != nil {
			changes++
		}
	}
	if changes != 1 {
		t.Errorf("%d reports carried a pause change, want the one resume", changes)
	}
}

func TestCardShowsTheClientCompanyAndOrganisation(t *testing.T) {
	a := uiAgent(t)
	if err := a.updateConfig(func(c *Config) error {
		c.Files[0].CompanyName, c.Files[0].OrgName = "Acme Bakery", "Lender Inc."
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/fragments", nil)
	r.Host = "127.0.0.1:5555"
	r.Header.Set("Authorization", "Bearer "+a.config().UIToken)
	w := httptest.NewRecorder()
	a.UIHandler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("fragments: %d %s", w.Code, w.Body)
	}
	body := w.Body.String()
	if !strings.Contains(body, "Acme Bakery — for Lender Inc.") {
		t.Errorf("the card lacks \"Acme Bakery — for Lender Inc.\":\n%s", body)
	}
	if diff := cmp.Diff([]string{"Acme Bakery", "Lender Inc."}, []string{a.Status().Files[0].CompanyName, a.Status().Files[0].OrgName}); diff != "" {
		t.Errorf("status names (-want +got):\n%s", diff)
	}
}

func TestPauseChangesStayInOrderWhenTheClockGoesBack(t *testing.T) {
	var f LinkedFile
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.SetPause(true, nil, t0)
	first := f.PendingPause.At
	f.SetPause(false, nil, t0.Add(-time.Hour)) // the clock was set back
	if !f.PendingPause.At.After(first) || f.Paused || f.PausedBy != "" {
		t.Errorf("resume after the clock went back: %+v; want it stamped after %s", f.PendingPause, first)
	}
	until := t0.Add(2 * time.Hour)
	f.SetPause(true, &until, t0.Add(time.Minute))
	if diff := cmp.Diff(&gateway.PauseChange{Paused: true, Until: &until, At: t0.Add(time.Minute)}, f.PendingPause); diff != "" {
		t.Errorf("pause (-want +got):\n%s", diff)
	}
	if f.PausedBy != PausedHere || !f.PausedAt(t0.Add(time.Hour)) || f.PausedAt(until) {
		t.Errorf("pause until %s: %+v", until, f)
	}
}
