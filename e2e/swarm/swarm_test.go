// Package swarm measures how many connectors one `qbconnect serve` process
// holds: N simulated connectors (real gateway clients long-polling over
// HTTP on loopback, each answering for an in-process QuickBooks in a set
// time) and a client load of writes and passthroughs across random
// companies, against a real server process on SQLite or PostgreSQL.
//
//	go test ./e2e/swarm -run '^$' -bench ConnectorSwarm -benchtime 1x
//	QBCONNECT_TEST_POSTGRES=postgres://... QBCONNECT_SWARM_N=1000,10000 go test ./e2e/swarm -run '^$' -bench ConnectorSwarm -benchtime 1x -timeout 60m
//
// TestSwarm... runs a small swarm in the default test run, so that the
// harness itself stays correct.
package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/testenv"
)

var bins *testenv.Binaries

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &bins)) }

// options shape one swarm run.
type options struct {
	// N is the number of connectors, one company file each.
	N int
	// Writes and Passthroughs are the client's requests, spread over random
	// companies and sent by Clients concurrent clients.
	Writes, Passthroughs, Clients int
	// QBLatency is how long the simulated QuickBooks takes per request.
	QBLatency time.Duration
	// DB is the server's database ("" is a new SQLite file).
	DB string
	// Limit bounds the load phase; requests not finished by then count as
	// errors.
	Limit time.Duration
}

// result is what a run measured.
type result struct {
	RSSMB, PeakRSSMB   float64
	Goroutines         int
	DBConns            int
	PollsPerSec        float64
	DispatchP50, P99   time.Duration // write accepted -> connector holds it
	VisibleP50, VisP99 time.Duration // write accepted -> Success visible through the API
	Errors             int
	Repeated           int // items a connector was handed more than once
	Applied            int
	FirstError         string
}

func (r result) report(b *testing.B) {
	b.ReportMetric(r.RSSMB, "server-rss-MB")
	b.ReportMetric(r.PeakRSSMB, "server-peak-rss-MB")
	b.ReportMetric(float64(r.Goroutines), "server-goroutines")
	b.ReportMetric(float64(r.DBConns), "db-conns")
	b.ReportMetric(r.PollsPerSec, "polls/s")
	b.ReportMetric(ms(r.DispatchP50), "dispatch-p50-ms")
	b.ReportMetric(ms(r.P99), "dispatch-p99-ms")
	b.ReportMetric(ms(r.VisibleP50), "visible-p50-ms")
	b.ReportMetric(ms(r.VisP99), "visible-p99-ms")
	// The baseline of the same run: QuickBooks' own time per request. A
	// dispatch p99 of a few times this is the platform keeping up.
	b.ReportMetric(ms(r.VisibleP50)/max(ms(testQBLatency(b)), 0.001), "visible-p50-per-qb")
	b.ReportMetric(float64(r.Errors), "errors")
	b.ReportMetric(float64(r.Repeated), "repeated")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func testQBLatency(tb testing.TB) time.Duration { return qbLatencyFromEnv(tb) }

func qbLatencyFromEnv(tb testing.TB) time.Duration {
	if v := os.Getenv("QBCONNECT_SWARM_QB_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			tb.Fatalf("QBCONNECT_SWARM_QB_LATENCY: %v", err)
		}
		return d
	}
	return 20 * time.Millisecond
}

// TestSwarmOfConnectorsAppliesEveryWriteOnce runs 50 connectors and 300
// writes and passthroughs on SQLite: every request succeeds, every item is
// handed out once, nothing fails.
func TestSwarmOfConnectorsAppliesEveryWriteOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process and 50 connectors")
	}
	r := run(t, options{N: 50, Writes: 200, Passthroughs: 100, Clients: 16, QBLatency: 5 * time.Millisecond, Limit: 2 * time.Minute})
	if r.Errors != 0 || r.Repeated != 0 || r.Applied != 300 {
		t.Fatalf("errors %d (first: %s), repeated %d, applied %d of 300", r.Errors, r.FirstError, r.Repeated, r.Applied)
	}
	t.Logf("50 connectors: dispatch p50 %v p99 %v, visible p50 %v p99 %v, server RSS %.0f MB, %d goroutines, %.0f polls/s",
		r.DispatchP50, r.P99, r.VisibleP50, r.VisP99, r.RSSMB, r.Goroutines, r.PollsPerSec)
}

// BenchmarkConnectorSwarm reports the server's RSS, goroutines, database
// connections, polls/s, dispatch and result-visible latency and errors for
// N connectors (QBCONNECT_SWARM_N, a comma-separated list; 1000 by
// default) on SQLite, and on PostgreSQL when QBCONNECT_TEST_POSTGRES is set.
func BenchmarkConnectorSwarm(b *testing.B) {
	sizes := []int{1000}
	if v := os.Getenv("QBCONNECT_SWARM_N"); v != "" {
		sizes = nil
		for f := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("QBCONNECT_SWARM_N=%q: want a list of positive numbers", v)
			}
			sizes = append(sizes, n)
		}
	}
	dbs := map[string]func(testing.TB) string{"sqlite": func(testing.TB) string { return "" }}
	if base := os.Getenv("QBCONNECT_TEST_POSTGRES"); base != "" {
		dbs["postgres"] = func(tb testing.TB) string { return newPostgresDB(tb, base) }
	}
	for _, db := range []string{"sqlite", "postgres"} {
		newDB, ok := dbs[db]
		if !ok {
			continue
		}
		for _, n := range sizes {
			b.Run(fmt.Sprintf("db=%s/N=%d", db, n), func(b *testing.B) {
				for range b.N {
					r := run(b, options{N: n, Writes: max(n, 2000), Passthroughs: max(n/2, 1000), Clients: 64,
						QBLatency: qbLatencyFromEnv(b), DB: newDB(b), Limit: 5 * time.Minute})
					r.report(b)
					if r.Errors > 0 {
						b.Logf("%d errors; the first: %s", r.Errors, r.FirstError)
					}
				}
			})
		}
	}
}

// newPostgresDB creates a database of its own for one run beside base's and
// drops it afterwards.
func newPostgresDB(tb testing.TB, base string) string {
	tb.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("qbconnect_swarm_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// raiseOpenFiles lifts this process's open-files limit to its hard limit;
// the server process started afterwards inherits it. Each connector holds
// a socket at both ends.
func raiseOpenFiles(tb testing.TB, need int) {
	tb.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			tb.Fatal(err)
		}
	}
	if lim.Cur < uint64(need) {
		tb.Skipf("open-files limit %d is below the %d this swarm needs", lim.Cur, need)
	}
}

// run starts a server, links opt.N connectors, sends the client load and
// measures. It fails tb only for set-up errors; the load's errors are
// counted in the result.
func run(tb testing.TB, opt options) result {
	tb.Helper()
	raiseOpenFiles(tb, 2*opt.N+1000)
	p := testenv.StartPlatform(tb, bins, testenv.PlatformOptions{DB: opt.DB, Args: []string{"--log-level", "warn", "--sweep-interval", "5s"}})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 4 * opt.Clients, MaxIdleConnsPerHost: 4 * opt.Clients, IdleConnTimeout: time.Minute}}
	rest := &restClient{base: p.URL, key: p.APIKey, hc: hc}

	// Companies, connections and link codes through the REST API, then a
	// link per connector through the gateway, 32 at a time.
	conns := make([]*conn, opt.N)
	setup := parallel(opt.N, 32, func(i int) error {
		c, err := rest.newLinkedCompany(fmt.Sprintf("Swarm %05d", i))
		if err != nil {
			return err
		}
		conns[i] = c
		return nil
	})
	if setup != nil {
		tb.Fatalf("set-up: %v", setup)
	}
	sw := &swarm{qbLatency: opt.QBLatency, held: map[string]time.Time{}, handed: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	linkErr := parallel(opt.N, 32, func(i int) error {
		return sw.link(ctx, p.URL, conns[i])
	})
	if linkErr != nil {
		tb.Fatalf("link: %v", linkErr)
	}
	for _, c := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); sw.serve(ctx, c) }()
	}

	// The client load: writes with idempotency keys and passthroughs, to
	// random companies, each followed by waiting for its result.
	type job struct {
		write bool
		c     *conn
	}
	jobs := make(chan job)
	var (
		mu       sync.Mutex
		dispatch []time.Duration
		visible  []time.Duration
		errs     int
		firstErr string
		applied  int
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if errs == 0 {
			firstErr = err.Error()
		}
		errs++
	}
	loadCtx, stopLoad := context.WithTimeout(ctx, opt.Limit)
	defer stopLoad()
	pollsBefore := sw.polls.Load()
	start := time.Now()
	var clients sync.WaitGroup
	for range opt.Clients {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for j := range jobs {
				if loadCtx.Err() != nil {
					fail(fmt.Errorf("not sent within %v", opt.Limit))
					continue
				}
				var op *operation
				var err error
				if j.write {
					op, err = rest.createCustomer(loadCtx, j.c.companyID, fmt.Sprintf("Customer %d", rand.Int64()))
				} else {
					op, err = rest.passthrough(loadCtx, j.c.companyID)
				}
				if err != nil {
					fail(err)
					continue
				}
				accepted := time.Now()
				done, err := rest.waitOperation(loadCtx, op.ID)
				if err != nil {
					fail(err)
					continue
				}
				if done.Status != "Success" {
					fail(fmt.Errorf("operation %s ended %s: %s", op.ID, done.Status, done.Error))
					continue
				}
				seen := time.Now()
				held, ok := sw.heldAt(op.ID)
				mu.Lock()
				applied++
				visible = append(visible, seen.Sub(accepted))
				if ok {
					dispatch = append(dispatch, max(held.Sub(accepted), 0))
				}
				mu.Unlock()
			}
		}()
	}
	order := make([]bool, 0, opt.Writes+opt.Passthroughs)
	for i := range opt.Writes + opt.Passthroughs {
		order = append(order, i < opt.Writes)
	}
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, w := range order {
		jobs <- job{write: w, c: conns[rand.IntN(len(conns))]}
	}
	close(jobs)
	clients.Wait()
	elapsed := time.Since(start)

	r := result{Errors: errs + int(sw.errors.Load()), FirstError: firstErr, Applied: applied}
	if r.FirstError == "" {
		r.FirstError = sw.firstError()
	}
	r.PollsPerSec = float64(sw.polls.Load()-pollsBefore) / elapsed.Seconds()
	r.DispatchP50, r.P99 = percentile(dispatch, 50), percentile(dispatch, 99)
	r.VisibleP50, r.VisP99 = percentile(visible, 50), percentile(visible, 99)
	r.Repeated = sw.repeated()
	r.RSSMB, r.PeakRSSMB = rss(tb, p.Proc.PID())
	r.Goroutines = scrapeGauge(hc, p.URL, "go_goroutines")
	r.DBConns = dbConnections(tb, p.DB)
	return r
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, f func(i int) error) error {
	var (
		next  atomic.Int64
		first atomic.Pointer[error]
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || first.Load() != nil {
					return
				}
				if err := f(i); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return *e
	}
	return nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// rss returns the resident and peak resident memory of a process, in MB.
func rss(tb testing.TB, pid int) (now, peak float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Logf("RSS: %v", err)
		return 0, 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			now = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return now, peak
}

// scrapeGauge reads one unlabelled gauge from the server's /metrics.
func scrapeGauge(hc *http.Client, base, name string) int {
	resp, err := hc.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return int(v)
}

// dbConnections counts the server's connections to its PostgreSQL
// database; a SQLite database is one file the process holds: 1.
func dbConnections(tb testing.TB, dsn string) int {
	if !strings.HasPrefix(dsn, "postgres") {
		return 1
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Logf("db connections: %v", err)
		return -1
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()").Scan(&n); err != nil {
		tb.Logf("db connections: %v", err)
		return -1
	}
	return n
}

// conn is one company with its connection and link code.
type conn struct {
	companyID, connectionID, code string
	gw                            *gateway.Client
	file                          gateway.FileIdentity
}

// restClient is the client application: REST calls with the API key.
type restClient struct {
	base, key string
	hc        *http.Client
}

func (c *restClient) do(ctx context.Context, method, path string, body any, out any, header ...string) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *restClient) newLinkedCompany(name string) (*conn, error) {
	ctx := context.Background()
	var co struct{ ID string }
	if err := c.do(ctx, "POST", "/v1/companies", map[string]any{"name": name, "syncSchedule": testenv.NoAutoSync}, &co); err != nil {
		return nil, err
	}
	var cn struct{ ID string }
	if err := c.do(ctx, "POST", "/v1/companies/"+co.ID+"/connections", map[string]string{"kind": "connector"}, &cn); err != nil {
		return nil, err
	}
	var lc struct{ Code string }
	if err := c.do(ctx, "POST", "/v1/companies/"+co.ID+"/connections/"+cn.ID+"/link-codes", map[string]any{}, &lc); err != nil {
		return nil, err
	}
	return &conn{companyID: co.ID, connectionID: cn.ID, code: lc.Code,
		file: gateway.FileIdentity{Path: `C:\Books\` + co.ID + `.qbw`, CompanyName: name}}, nil
}

// operation is an operation as GET /v1/operations/{id} shows it.
type operation struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  any    `json:"error"`
}

func (c *restClient) createCustomer(ctx context.Context, companyID, name string) (*operation, error) {
	var op operation
	err := c.do(ctx, "POST", "/v1/companies/"+companyID+"/customers", map[string]any{"name": name}, &op, "Idempotency-Key", strings.ReplaceAll(name, " ", "-"))
	return &op, err
}

const hostQuery = `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>`

func (c *restClient) passthrough(ctx context.Context, companyID string) (*operation, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/companies/"+companyID+"/qbxml", strings.NewReader(hostQuery))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/xml")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("passthrough: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("passthrough: %d %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	var op operation
	return &op, json.Unmarshal(data, &op)
}

// waitOperation waits for an operation to finish with ?wait=, asking again
// while it is pending.
func (c *restClient) waitOperation(ctx context.Context, id string) (*operation, error) {
	for {
		var op operation
		if err := c.do(ctx, "GET", "/v1/operations/"+id+"?wait=25s", nil, &op); err != nil {
			return nil, err
		}
		switch op.Status {
		case "Queued", "InFlight", "Pending":
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		return &op, nil
	}
}

// swarm is the connectors' side: each polls, "runs" its item in a
// simulated QuickBooks that takes qbLatency, and posts the result.
type swarm struct {
	qbLatency time.Duration
	polls     atomic.Int64
	errors    atomic.Int64

	mu     sync.Mutex
	held   map[string]time.Time // item ID -> when a connector first held it
	handed map[string]int       // item ID -> times handed out
	first  string
}

func (s *swarm) fail(err error) {
	s.errors.Add(1)
	s.mu.Lock()
	if s.first == "" {
		s.first = err.Error()
	}
	s.mu.Unlock()
}

func (s *swarm) firstError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

func (s *swarm) heldAt(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.held[id]
	return t, ok
}

func (s *swarm) repeated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.handed {
		if k > 1 {
			n++
		}
	}
	return n
}

var connectorTransport = &http.Transport{MaxIdleConnsPerHost: 1 << 16, MaxIdleConns: 1 << 16, IdleConnTimeout: 5 * time.Minute}

func (s *swarm) link(ctx context.Context, base string, c *conn) error {
	gw, err := gateway.NewClient(base, gateway.ClientOptions{HTTPClient: &http.Client{Transport: connectorTransport}})
	if err != nil {
		return err
	}
	info := gateway.ConnectorInfo{Version: "1.0.0", Signer: "unsigned", Hostname: "swarm"}
	if _, err := gw.Link(ctx, gateway.LinkRequest{Code: c.code, File: c.file, Connector: info}); err != nil {
		return fmt.Errorf("link %s: %w", c.companyID, err)
	}
	if _, err := gw.ReportState(ctx, gateway.State{Connector: info, Files: []gateway.FileState{{ConnectionID: c.connectionID, File: c.file, Condition: "ok"}}}); err != nil {
		return fmt.Errorf("report state %s: %w", c.companyID, err)
	}
	c.gw = gw
	return nil
}

// serve is one connector's loop until ctx ends.
func (s *swarm) serve(ctx context.Context, c *conn) {
	for ctx.Err() == nil {
		resp, err := c.gw.Poll(ctx, gateway.PollRequest{Wait: gateway.MaxPollWait})
		s.polls.Add(1)
		if err != nil {
			if ctx.Err() == nil {
				s.fail(fmt.Errorf("poll: %w", err))
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		if resp.Item == nil {
			continue
		}
		it := resp.Item
		s.mu.Lock()
		if _, ok := s.held[it.ID]; !ok {
			s.held[it.ID] = time.Now()
		}
		s.handed[it.ID]++
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.qbLatency):
		}
		if _, err := c.gw.PostResult(ctx, gateway.Result{ItemID: it.ID, LeaseID: it.LeaseID, Response: answer(it.Request), DurationMillis: s.qbLatency.Milliseconds()}); err != nil && ctx.Err() == nil {
			s.fail(fmt.Errorf("post result: %w", err))
		}
	}
}

var (
	requestRE = regexp.MustCompile(`<(\w+)Rq(?:\s+requestID="([^"]*)")?`)
	nameRE    = regexp.MustCompile(`<Name>([^<]*)</Name>`)
	listIDs   atomic.Int64
)

// answer is what the simulated QuickBooks returns: a CustomerRet for a
// CustomerAdd, a HostRet for a HostQuery, an empty success for anything
// else.
func answer(request string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>`)
	for _, m := range requestRE.FindAllStringSubmatch(request, -1) {
		typ, rid := m[1], m[2]
		if typ == "QBXMLMsgs" {
			continue
		}
		fmt.Fprintf(&b, `<%sRs requestID="%s" statusCode="0" statusSeverity="Info" statusMessage="Status OK">`, typ, rid)
		now := time.Now().UTC().Format("2006-01-02T15:04:05-07:00")
		switch typ {
		case "CustomerAdd":
			name := "Customer"
			if n := nameRE.FindStringSubmatch(request); n != nil {
				name = n[1]
			}
			id := listIDs.Add(1)
			fmt.Fprintf(&b, `<CustomerRet><ListID>%X-%d</ListID><TimeCreated>%s</TimeCreated><TimeModified>%s</TimeModified><EditSequence>%d</EditSequence><Name>%s</Name><FullName>%s</FullName><IsActive>true</IsActive><Sublevel>0</Sublevel></CustomerRet>`,
				0x80000000+id, time.Now().Unix(), now, now, time.Now().Unix(), name, name)
		case "HostQuery":
			b.WriteString(`<HostRet><ProductName>QuickBooks Enterprise Solutions 24.0</ProductName><MajorVersion>34</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion><IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet>`)
		}
		fmt.Fprintf(&b, `</%sRs>`, typ)
	}
	b.WriteString(`</QBXMLMsgsRs></QBXML>`)
	return b.String()
}
