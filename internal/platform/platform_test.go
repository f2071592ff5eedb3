package platform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/internal/platform"
)

func startMain(t *testing.T, cfg platform.Config) *platform.Main {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	}
	cfg.Addr = "127.0.0.1:0"
	m := platform.New(cfg)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func get(t *testing.T, url, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// linkIdleConnector links a connector to a new company of the
// organisation and returns its gateway client. The company syncs only on
// request: an automatic first pass would give the connector work.
func linkIdleConnector(t *testing.T, m *platform.Main, orgID string) *gatewayclient.Client {
	t.Helper()
	ctx := context.Background()
	c := &qbconnect.Company{OrgID: orgID, Name: "Acme", Schedule: qbconnect.SyncSchedule{Every: qbconnect.Duration(-1)}}
	if err := m.Companies.CreateCompany(ctx, c); err != nil {
		t.Fatal(err)
	}
	conn := &qbconnect.Connection{OrgID: orgID, CompanyID: c.ID, Kind: qbconnect.KindConnector}
	if err := m.Connections.CreateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	lc, err := m.Connections.CreateLinkCode(ctx, orgID, conn.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := gatewayclient.New(m.URL(), gatewayclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Link(ctx, gateway.LinkRequest{Code: lc.Code, File: gateway.FileIdentity{Path: `C:\a.qbw`}, Connector: gateway.ConnectorInfo{Version: "1"}}); err != nil {
		t.Fatal(err)
	}
	return client
}

func TestMainServesAndShutsDownGracefully(t *testing.T) {
	m := startMain(t, platform.Config{})
	if st, _ := get(t, m.URL()+"/readyz", ""); st != 200 {
		t.Fatalf("readyz = %d", st)
	}
	ctx := context.Background()
	org, err := m.Orgs.CreateOrg(ctx, "Lender")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := m.Orgs.CreateAPIKey(ctx, org.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	if st, body := get(t, m.URL()+"/v1/companies", key); st != 200 || body["data"] == nil {
		t.Fatalf("list companies = %d %v", st, body)
	}

	// A long-poll in progress does not hold the shutdown up: it answers
	// "no work" and Close returns.
	client := linkIdleConnector(t, m, org.ID)
	polled := make(chan error, 1)
	go func() {
		p, err := client.Poll(ctx, gateway.PollRequest{Wait: 30 * time.Second})
		if err == nil && p.Item != nil {
			err = errNotEmpty
		}
		polled <- err
	}()
	waitFor(t, func() bool {
		select {
		case err := <-polled:
			t.Fatalf("the long-poll ended before the shutdown: %v", err)
		default:
		}
		_, body := getText(t, m.URL()+"/metrics")
		return strings.Contains(body, "qbconnect_gateway_polls_open 1")
	})
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-polled; err != nil {
		t.Errorf("poll at shutdown: %v", err)
	}
	if _, err := http.Get(m.URL() + "/healthz"); err == nil {
		t.Errorf("server still answers after Close")
	}
}

var errNotEmpty = &gateway.Error{Code: "unexpected", Message: "poll returned an item"}

func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// waitFor polls cond until it holds, failing after ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not synchronising
	}
}

// newConnection creates an organisation, a company and a connection of
// kind in m.
func newConnection(t *testing.T, m *platform.Main, kind qbconnect.ConnectionKind) *qbconnect.Connection {
	t.Helper()
	ctx := context.Background()
	org, err := m.Orgs.CreateOrg(ctx, "Lender")
	if err != nil {
		t.Fatal(err)
	}
	c := &qbconnect.Company{OrgID: org.ID, Name: "Acme"}
	if err := m.Companies.CreateCompany(ctx, c); err != nil {
		t.Fatal(err)
	}
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: c.ID, Kind: kind}
	if err := m.Connections.CreateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestSweeperExpiresLeasesAndReportsThroughOnSweep(t *testing.T) {
	sweeps := make(chan [2]int, 100)
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	now := clock.Now()
	m := startMain(t, platform.Config{
		SweepInterval: 20 * time.Millisecond,
		Now:           clock.Now,
		OnSweep: func(expired, offline int, err error) {
			if err != nil {
				t.Errorf("sweep: %v", err)
			}
			sweeps <- [2]int{expired, offline}
		},
	})
	ctx := context.Background()
	conn := newConnection(t, m, qbconnect.KindConnector)
	deadline := now.Add(time.Minute)
	op, err := m.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: conn.OrgID, CompanyID: conn.CompanyID, ConnectionID: conn.ID,
		Kind: qbconnect.OpWrite, Request: "<QBXML/>", Deadline: &deadline})
	if err != nil {
		t.Fatal(err)
	}
	<-sweeps // the sweeper runs
	clock.Advance(2 * time.Minute)
	for { // until a sweep that expired something
		s := <-sweeps
		if s[0] > 0 {
			break
		}
	}
	got, err := m.Queue.FindOperation(ctx, conn.OrgID, op.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != qbconnect.OpTimedOut {
		t.Errorf("operation past its deadline: %s, want TimedOut", got.Status)
	}
}

func TestRetentionDropsSyncResultsThenDeletesOldOperations(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	m := startMain(t, platform.Config{Now: clock.Now, SweepInterval: time.Hour})
	ctx := context.Background()
	// The scheduler would queue syncs for the connection once linked.
	m.Sync.Stop()
	conn := newConnection(t, m, qbconnect.KindWebConnector)
	org, c := conn.OrgID, conn.CompanyID
	// As the Web Connector's first session would.
	if _, err := m.DB.SQLDB().ExecContext(ctx, "UPDATE connections SET status = 'Linked', needs_user = FALSE WHERE id = ?", conn.ID); err != nil {
		t.Fatal(err)
	}
	run := func(kind qbconnect.OperationKind) *qbconnect.Operation {
		t.Helper()
		op, err := m.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org, CompanyID: c, ConnectionID: conn.ID,
			Kind: kind, Priority: qbconnect.PriorityScheduled, Request: "<QBXML/>"})
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.Queue.LeaseConnection(ctx, conn.ID, time.Minute)
		if err != nil || l == nil || l.Operation.ID != op.ID {
			t.Fatalf("lease: %+v, %v", l, err)
		}
		if _, _, err := m.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<QBXML>page</QBXML>")}); err != nil {
			t.Fatal(err)
		}
		return op
	}
	page, write := run(qbconnect.OpSync), run(qbconnect.OpWrite)

	clock.Advance(25 * time.Hour)
	if results, ops, more, err := m.Prune(ctx); err != nil || results != 1 || ops != 0 || more {
		t.Fatalf("after a day: %d results dropped, %d operations deleted, %v; want 1, 0", results, ops, err)
	}
	if got, _ := m.Queue.FindOperation(ctx, org, page.ID); got == nil || got.Status != qbconnect.OpSucceeded || len(got.Result) != 0 {
		t.Errorf("the sync page after a day: %+v", got)
	}
	if got, _ := m.Queue.FindOperation(ctx, org, write.ID); got == nil || string(got.Result) != "<QBXML>page</QBXML>" {
		t.Errorf("a write's result must stay as long as the write: %+v", got)
	}

	clock.Advance(30 * 24 * time.Hour)
	if results, ops, more, err := m.Prune(ctx); err != nil || results != 0 || ops != 2 || more {
		t.Fatalf("after a month: %d results dropped, %d operations deleted, %v; want 0, 2", results, ops, err)
	}
	if _, err := m.Queue.FindOperation(ctx, org, write.ID); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		t.Errorf("the write after a month: %v, want not found", err)
	}
}
