// Package swarm measures how many connectors one `qbconnect serve` process
// holds: N simulated connectors (real gateway clients long-polling over
// HTTP on loopback, each answering for an in-process QuickBooks in a set
// time) and a client load of writes and passthroughs across random
// companies, against a real server process on SQLite or PostgreSQL.
//
//	go test ./e2e/swarm -run '^$' -bench ConnectorSwarm -benchtime 1x
//	QBCONNECT_TEST_POSTGRES=postgres://... QBCONNECT_SWARM_N=1000,10000 go test ./e2e/swarm -run '^$' -bench ConnectorSwarm -benchtime 1x -timeout 60m
//	QBCONNECT_TEST_POSTGRES=postgres://... go test ./e2e/swarm -run '^$' -bench ConnectorSwarmFailover -benchtime 1x -timeout 30m -v
//
// TestSwarm... runs a small swarm in the default test run, so that the
// harness itself stays correct.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
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
	// IdleWindow, when set, measures the server's CPU for that long with
	// the connectors linked and no client load, before the load phase, so
	// that the load's CPU can be reported net of what idle connectors cost
	// meanwhile; it also lets PostgreSQL's transaction counts settle
	// before they are read.
	IdleWindow time.Duration
	// Servers is the number of `qbconnect serve` processes sharing DB
	// (PostgreSQL when more than one) behind an in-test load balancer; 0
	// means 1.
	Servers int
	// Disrupt SIGKILLs one server when a third of the load is done and
	// restarts another at two thirds; clients and connectors retry
	// through the load balancer as they would in production.
	Disrupt bool
	// Rate, when above 0, is how many requests a second the clients send
	// at most (an open load, as many independent users make): a run then
	// lasts (Writes+Passthroughs)/Rate whatever the latency, so that a
	// Disrupt run has time to recover between the kill and the restart.
	// 0 sends each request as soon as a client is free.
	Rate float64
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
	// NotOnce is the number of client writes that QuickBooks did not
	// apply exactly once (never, or twice), and Created the customers
	// QuickBooks created in all.
	NotOnce, Created int
	// Transient counts requests that failed while a server was down and
	// succeeded when retried.
	Transient int
	// RecoveredP99 is the dispatch p99 of writes accepted after the last
	// disruption ended.
	RecoveredP99 time.Duration
	// ServerCPU is the CPU time (user and system) the measured server
	// used during the load phase, and DBTransactions the transactions its
	// database committed or rolled back meanwhile (PostgreSQL; -1 on
	// SQLite): measures of work that a busy shared machine does not
	// inflate as it does latencies.
	ServerCPU      time.Duration
	DBTransactions int
	Requests       int
	// PostgresCPU is the CPU time of the PostgreSQL server's processes
	// during the load phase, when the server runs on this machine (0
	// otherwise): all their work, so an upper bound where other work
	// shares the server.
	PostgresCPU time.Duration
	// Disruptions are the kill and the restart of a Disrupt run, each
	// with the dispatch p99 over time after it.
	Disruptions []disruption
	// Dropped counts the connectors whose poll failed at least once (their
	// server died or stopped under them), Reconnected those of them whose
	// poll succeeded again by the end of the run, and SlowestReconnect the
	// longest time from a connector's first failed poll to sending the
	// poll that succeeded.
	Dropped, Reconnected int
	SlowestReconnect     time.Duration
	// Load is how long the load phase took, and Unsent the requests
	// never sent because it hit its limit (also counted in Errors).
	Load   time.Duration
	Unsent int
	// DispatchMax and VisibleMax are the slowest request's: a request
	// held for minutes shows here even when it finished within Limit.
	DispatchMax, VisibleMax time.Duration
	// ServerWaitP50 and P99 are dispatch as the server's database saw
	// it (serverDispatch: operation created -> the claim that leased it
	// began); the rest of DispatchP50 and P99 is the claim itself and the
	// response's way to the connector's goroutine, on a machine the
	// server shares with every connector and the client.
	ServerWaitP50, ServerWaitP99 time.Duration
	// ServerWaitFreeP99 is ServerWaitP99 over the operations whose
	// connector was free when they came, and QueuedBehind the share of
	// those that waited for the one before (see serverDispatch).
	ServerWaitFreeP99 time.Duration
	QueuedBehind      float64
	// IdleCPURate is the idle window's server CPU per second (zero
	// without a window).
	IdleCPURate time.Duration
}

// dispatchGoal is the dispatch p99 the platform must keep, and regain
// within recoveryGoal of a server dying (issue 19).
const (
	dispatchGoal = 250 * time.Millisecond
	recoveryGoal = 30 * time.Second
	windowWidth  = 5 * time.Second
)

// disruption is one server killed or restarted, and the dispatch latency
// of the writes accepted around it.
type disruption struct {
	What string
	At   time.Time
	// Windows are the dispatch p99 of the writes accepted in each
	// windowWidth after At (the first window starts one width before At,
	// so that writes caught in flight count), up to the next disruption
	// or the end of the load.
	Windows []window
	// Recovery is how long after At the last window over dispatchGoal
	// ended: from then on every window was under the goal. Zero if none
	// was over it, -1 if the last window was.
	Recovery time.Duration
	// Before is the dispatch p99 of the writes accepted in the
	// recoveryGoal before At (less the window before At), the steady
	// state the disruption interrupted; on a loaded machine it may
	// already be over the goal. RecoveryToBefore is Recovery measured
	// against the larger of the goal and Before.
	Before, RecoveryToBefore time.Duration
	// Held counts the connectors whose last poll before At the balancer
	// sent to the disrupted server, Moved those of them that sent a poll
	// to a server that was up afterwards (the balancer moves a poll cut
	// off by a dying server by itself, so most connectors never see an
	// error), and SlowestMove the longest that took after At.
	Held, Moved int
	SlowestMove time.Duration
}

// window is the dispatch latency of the writes accepted in one period.
type window struct {
	From     time.Duration // since the disruption
	N        int
	P99, Max time.Duration
}

// windowsAfter cuts the samples accepted from one width before at until
// end into windows of windowWidth and finds when the p99 was back under
// the goal for good.
func windowsAfter(what string, at, end time.Time, accepted []time.Time, dispatch []time.Duration) disruption {
	d := disruption{What: what, At: at}
	var before []time.Duration
	for i, t := range accepted {
		if !t.Before(at.Add(-recoveryGoal)) && t.Before(at.Add(-windowWidth)) {
			before = append(before, dispatch[i])
		}
	}
	d.Before = percentile(before, 99)
	level := max(dispatchGoal, d.Before)
	for from := -windowWidth; at.Add(from).Before(end); from += windowWidth {
		lo, hi := at.Add(from), at.Add(from+windowWidth)
		var in []time.Duration
		for i, t := range accepted {
			if !t.Before(lo) && t.Before(hi) && t.Before(end) {
				in = append(in, dispatch[i])
			}
		}
		if len(in) == 0 {
			continue
		}
		w := window{From: from, N: len(in), P99: percentile(in, 99), Max: slices.Max(in)}
		d.Windows = append(d.Windows, w)
		if w.P99 > dispatchGoal {
			d.Recovery = max(from+windowWidth, 0)
		}
		if w.P99 > level {
			d.RecoveryToBefore = max(from+windowWidth, 0)
		}
	}
	if n := len(d.Windows); n > 0 && d.Windows[n-1].P99 > dispatchGoal {
		d.Recovery = -1
	}
	if n := len(d.Windows); n > 0 && d.Windows[n-1].P99 > level {
		d.RecoveryToBefore = -1
	}
	return d
}

// logDisruptions writes the dispatch p99 per window after each
// disruption.
func (r result) logDisruptions(tb testing.TB) {
	for _, d := range r.Disruptions {
		var b strings.Builder
		for _, w := range d.Windows {
			fmt.Fprintf(&b, "\n  %+4.0fs..%+4.0fs  n=%5d  p99 %8v  max %8v", w.From.Seconds(), (w.From + windowWidth).Seconds(), w.N, w.P99.Round(time.Millisecond), w.Max.Round(time.Millisecond))
		}
		back := func(level, took time.Duration) string {
			if took < 0 {
				return fmt.Sprintf("still over %v in its last window", level.Round(time.Millisecond))
			}
			return fmt.Sprintf("back under %v for good %v after it", level.Round(time.Millisecond), took)
		}
		tb.Logf("%s: %d connectors had their poll there, %d of them polled a live server afterwards, the last %v after it", d.What, d.Held, d.Moved, d.SlowestMove.Round(time.Millisecond))
		tb.Logf("dispatch after %s: %s (goal %v); p99 in the %v before it %v, %s:%s", d.What, back(dispatchGoal, d.Recovery), recoveryGoal,
			recoveryGoal, d.Before.Round(time.Millisecond), back(max(dispatchGoal, d.Before), d.RecoveryToBefore), b.String())
	}
	if len(r.Disruptions) > 0 {
		tb.Logf("connectors: %d lost their poll, %d of them polled again; the slowest took %v", r.Dropped, r.Reconnected, r.SlowestReconnect.Round(time.Millisecond))
	}
}

// slowRequest is how long a request may take before the run logs its
// timeline.
const slowRequest = 30 * time.Second

func (r result) report(b *testing.B) {
	b.ReportMetric(r.RSSMB, "server-rss-MB")
	b.ReportMetric(r.PeakRSSMB, "server-peak-rss-MB")
	b.ReportMetric(float64(r.Goroutines), "server-goroutines")
	b.ReportMetric(float64(r.DBConns), "db-conns")
	b.ReportMetric(r.PollsPerSec, "polls/s")
	b.ReportMetric(ms(r.DispatchP50), "dispatch-p50-ms")
	b.ReportMetric(ms(r.P99), "dispatch-p99-ms")
	b.ReportMetric(ms(r.DispatchMax), "dispatch-max-ms")
	b.ReportMetric(ms(r.ServerWaitP50), "server-dispatch-p50-ms")
	b.ReportMetric(ms(r.ServerWaitP99), "server-dispatch-p99-ms")
	b.ReportMetric(ms(r.ServerWaitFreeP99), "server-dispatch-free-p99-ms")
	b.ReportMetric(100*r.QueuedBehind, "queued-behind-%")
	b.ReportMetric(ms(r.VisibleP50), "visible-p50-ms")
	b.ReportMetric(ms(r.VisP99), "visible-p99-ms")
	b.ReportMetric(ms(r.VisibleMax), "visible-max-ms")
	// The baseline of the same run: QuickBooks' own time per request. A
	// dispatch p99 of a few times this is the platform keeping up.
	b.ReportMetric(ms(r.VisibleP50)/max(ms(testQBLatency(b)), 0.001), "visible-p50-per-qb")
	b.ReportMetric(r.ServerCPU.Seconds(), "server-cpu-s")
	b.ReportMetric(float64(r.ServerCPU.Milliseconds())/float64(max(r.Requests, 1)), "server-cpu-ms/request")
	b.ReportMetric(float64(r.DBTransactions)/float64(max(r.Requests, 1)), "db-tx/request")
	if r.PostgresCPU > 0 {
		b.ReportMetric(float64(r.PostgresCPU.Milliseconds())/float64(max(r.Requests, 1)), "postgres-cpu-ms/request")
	}
	if r.IdleCPURate > 0 {
		// What the load itself cost: the load phase's figures less what
		// the idle connectors cost over as long a time.
		idleCPU := time.Duration(float64(r.IdleCPURate) * r.Load.Seconds())
		b.ReportMetric(float64(r.IdleCPURate)/float64(time.Millisecond), "server-idle-cpu-ms/s")
		b.ReportMetric(float64((r.ServerCPU-idleCPU).Milliseconds())/float64(max(r.Requests, 1)), "server-cpu-ms/request-net")
	}
	b.ReportMetric(r.Load.Seconds(), "load-s")
	b.ReportMetric(float64(r.Requests)/max(r.Load.Seconds(), 0.001), "requests/s")
	b.ReportMetric(float64(r.Unsent), "unsent")
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

// TestSwarmSurvivesAServerKilledAndAnotherRestarted runs three servers on
// one PostgreSQL database behind a load balancer, 200 connectors and 2,000
// client requests; one server is SIGKILLed a third of the way through and
// another restarted at two thirds. Every write is applied exactly once,
// every request ends in Success, every connector polls again.
func TestSwarmSurvivesAServerKilledAndAnotherRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes and 200 connectors")
	}
	base := os.Getenv("QBCONNECT_TEST_POSTGRES")
	if base == "" {
		t.Skip("several server processes share a PostgreSQL database: set QBCONNECT_TEST_POSTGRES")
	}
	r := run(t, options{N: 200, Writes: 1500, Passthroughs: 500, Clients: 32, QBLatency: 5 * time.Millisecond,
		DB: newPostgresDB(t, base), Servers: 3, Disrupt: true, Limit: 4 * time.Minute})
	if r.Errors != 0 || r.NotOnce != 0 || r.Created != 1500 || r.Applied != 2000 {
		t.Fatalf("errors %d (first: %s), writes not applied exactly once %d, customers created %d for 1500 writes, succeeded %d of 2000",
			r.Errors, r.FirstError, r.NotOnce, r.Created, r.Applied)
	}
	if r.Reconnected != r.Dropped {
		t.Fatalf("%d connectors lost their poll, only %d polled again", r.Dropped, r.Reconnected)
	}
	for _, d := range r.Disruptions {
		if d.Moved != d.Held {
			t.Fatalf("%s: %d connectors had their poll there, only %d polled a live server afterwards", d.What, d.Held, d.Moved)
		}
	}
	r.logDisruptions(t)
	t.Logf("3 servers, 200 connectors: %d requests retried while a server was down; dispatch p50 %v p99 %v, p99 after the restart %v; visible p50 %v p99 %v",
		r.Transient, r.DispatchP50, r.P99, r.RecoveredP99, r.VisibleP50, r.VisP99)
}

// BenchmarkConnectorSwarmFailover is the failover test at scale (issue
// 19): three servers on PostgreSQL behind a load balancer, N connectors
// (QBCONNECT_SWARM_N, 1000 by default) and 10,000 writes sent at
// QBCONNECT_SWARM_RATE a second (60 by default, under what this 2-core
// machine sustains, so that the latencies are the platform's and not a
// queue of clients), one server SIGKILLed after a third and another
// restarted after two thirds. It fails unless QuickBooks created every
// write's customer exactly once and every connector that lost its poll
// polled again; it reports the dispatch p99 per 5 s window after each
// disruption (in the log), how long until it was back under the goal for
// good, and the p99 of the writes accepted after the restart.
func BenchmarkConnectorSwarmFailover(b *testing.B) {
	base := os.Getenv("QBCONNECT_TEST_POSTGRES")
	if base == "" {
		b.Skip("set QBCONNECT_TEST_POSTGRES")
	}
	n := 1000
	if v := os.Getenv("QBCONNECT_SWARM_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(strings.Split(v, ",")[0]); err != nil {
			b.Fatal(err)
		}
	}
	rate := 60.0
	if v := os.Getenv("QBCONNECT_SWARM_RATE"); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil || rate <= 0 {
			b.Fatalf("QBCONNECT_SWARM_RATE=%q: want a positive number", v)
		}
	}
	for range b.N {
		r := run(b, options{N: n, Writes: 10000, Clients: 256, QBLatency: qbLatencyFromEnv(b),
			Rate: rate, DB: newPostgresDB(b, base), Servers: 3, Disrupt: true, Limit: 10 * time.Minute})
		r.report(b)
		r.logDisruptions(b)
		b.ReportMetric(ms(r.RecoveredP99), "dispatch-p99-after-restart-ms")
		b.ReportMetric(float64(r.NotOnce), "writes-not-once")
		b.ReportMetric(float64(r.Created), "customers-created")
		b.ReportMetric(float64(r.Applied), "succeeded")
		b.ReportMetric(float64(r.Transient), "retried")
		b.ReportMetric(float64(r.Dropped), "connectors-dropped")
		b.ReportMetric(float64(r.Reconnected), "connectors-reconnected")
		b.ReportMetric(r.SlowestReconnect.Seconds(), "slowest-reconnect-s")
		// -1: not back by the end of the period.
		seconds := func(d time.Duration) float64 {
			if d < 0 {
				return -1
			}
			return d.Seconds()
		}
		for i, name := range []string{"kill", "restart"} {
			d := r.Disruptions[i]
			b.ReportMetric(seconds(d.Recovery), "p99-recovery-after-"+name+"-s")
			b.ReportMetric(seconds(d.RecoveryToBefore), "p99-recovery-to-before-"+name+"-s")
			b.ReportMetric(ms(d.Before), "p99-before-"+name+"-ms")
			b.ReportMetric(float64(d.Held), "polls-held-by-"+name+"ed-server")
			b.ReportMetric(float64(d.Moved), "polls-moved-after-"+name)
			b.ReportMetric(d.SlowestMove.Seconds(), "slowest-move-after-"+name+"-s")
			worst := time.Duration(0)
			for _, w := range d.Windows {
				worst = max(worst, w.P99)
			}
			b.ReportMetric(ms(worst), "worst-window-p99-after-"+name+"-ms")
		}
		lost := 0
		for _, d := range r.Disruptions {
			lost += d.Held - d.Moved
		}
		if r.Errors > 0 || r.NotOnce > 0 || r.Created != 10000 || r.Reconnected != r.Dropped || lost > 0 {
			b.Errorf("errors %d (first: %s), writes not applied exactly once %d, customers created %d for 10000 writes, connectors %d dropped %d reconnected, %d polls not moved off a disrupted server",
				r.Errors, r.FirstError, r.NotOnce, r.Created, r.Dropped, r.Reconnected, lost)
		}
	}
}

// BenchmarkConnectorSwarm reports the server's RSS, goroutines, database
// connections, polls/s, dispatch and result-visible latency and errors for
// N connectors (QBCONNECT_SWARM_N, a comma-separated list; 1000 by
// default) on SQLite, and on PostgreSQL when QBCONNECT_TEST_POSTGRES is set.
//
// Errors count requests that failed, that the client did not see finish
// within the 5-minute limit, and those never sent because the limit
// passed (unsent); load-s and requests/s tell a load that outlasted the
// limit from requests held up. Any request slower than 30 s, or unfinished,
// is logged with its timeline. Beside the connectors' dispatch the
// server's own (server-dispatch: created -> leased, from its database)
// shows how much of the tail is the server's; CPU per request is also
// given net of a 20 s idle window measured first.
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
						QBLatency: qbLatencyFromEnv(b), DB: newDB(b), Limit: 5 * time.Minute, IdleWindow: 20 * time.Second})
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

// run starts the servers, links opt.N connectors, sends the client load
// and measures. It fails tb only for set-up errors; the load's errors are
// counted in the result.
func run(tb testing.TB, opt options) result {
	tb.Helper()
	raiseOpenFiles(tb, opt.N+2000)
	servers := newCluster(tb, opt)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 4 * opt.Clients, MaxIdleConnsPerHost: 4 * opt.Clients, IdleConnTimeout: time.Minute}}
	rest := &restClient{api: &client.Client{BaseURL: servers.url, APIKey: servers.platform.APIKey, HTTPClient: hc}, retry: opt.Disrupt}

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
	sw := &swarm{qbLatency: opt.QBLatency, tolerant: opt.Disrupt, held: map[string]time.Time{}, handed: map[string]int{},
		answers: map[string]string{}, applied: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	linkErr := parallel(opt.N, 32, func(i int) error {
		return sw.link(ctx, servers.url, conns[i])
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
		name  string
	}
	jobs := make(chan job)
	type sample struct {
		accepted time.Time
		dispatch time.Duration
	}
	var (
		mu       sync.Mutex
		stuck    []stuckOp
		samples  []sample
		visible  []time.Duration
		errs     int
		firstErr string
		applied  int
		finished atomic.Int64
		unsent   atomic.Int64
		names    []string
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if errs == 0 {
			firstErr = err.Error()
		}
		errs++
	}
	last := len(servers.procs) - 1
	var idleCPU, idleSpan time.Duration
	if opt.IdleWindow > 0 {
		// The window opens once every connector's first poll has queried
		// the database (the one claim a connector costs when it comes
		// online), so that it measures connectors idling, not arriving.
		base := "http://" + servers.addrs[last]
		wait.For(tb, "every connector's first claim", 2*time.Minute, func() (bool, string) {
			n := scrapeCounter(hc, base, `qbconnect_dispatch_claims_total{source="database"}`)
			return n >= opt.N, fmt.Sprintf("%d claims went to the database", n)
		})
		cpu0, t0 := testenv.ProcessCPU(servers.procs[last].PID()), time.Now()
		time.Sleep(opt.IdleWindow) // a measuring window, not a wait for anything
		idleCPU, idleSpan = testenv.ProcessCPU(servers.procs[last].PID())-cpu0, time.Since(t0)
	}
	loadCtx, stopLoad := context.WithTimeout(ctx, opt.Limit)
	defer stopLoad()
	pollsBefore := sw.polls.Load()
	cpuBefore, txBefore := testenv.ProcessCPU(servers.procs[last].PID()), dbTransactions(tb, servers.platform.DB)
	pgBefore := testenv.PostgresCPU()
	start := time.Now()
	var clients sync.WaitGroup
	for range opt.Clients {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for j := range jobs {
				func() {
					defer finished.Add(1)
					if loadCtx.Err() != nil {
						fail(fmt.Errorf("not sent within %v", opt.Limit))
						return
					}
					var op *client.Operation
					var err error
					if j.write {
						op, err = rest.createCustomer(loadCtx, j.c.companyID, j.name)
					} else {
						op, err = rest.passthrough(loadCtx, j.c.companyID)
					}
					if err != nil {
						fail(err)
						return
					}
					accepted := time.Now()
					done, err := rest.waitOperation(loadCtx, op.Id)
					if err != nil {
						fail(err)
						mu.Lock()
						stuck = append(stuck, stuckOp{id: op.Id, c: j.c, accepted: accepted})
						mu.Unlock()
						return
					}
					if done.Status != "Success" {
						fail(fmt.Errorf("operation %s ended %s: %s", op.Id, done.Status, errorText(done.Error)))
						return
					}
					seen := time.Now()
					held, ok := sw.heldAt(op.Id)
					mu.Lock()
					defer mu.Unlock()
					applied++
					visible = append(visible, seen.Sub(accepted))
					if seen.Sub(accepted) > slowRequest {
						stuck = append(stuck, stuckOp{id: op.Id, c: j.c, accepted: accepted, seen: seen})
					}
					if ok {
						samples = append(samples, sample{accepted, max(held.Sub(accepted), 0)})
					}
				}()
			}
		}()
	}
	total := opt.Writes + opt.Passthroughs
	order := make([]bool, 0, total)
	for i := range total {
		order = append(order, i < opt.Writes)
	}
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	feed := make(chan struct{})
	go func() {
		defer close(feed)
		var pace <-chan time.Time
		if opt.Rate > 0 {
			t := time.NewTicker(time.Duration(float64(time.Second) / opt.Rate))
			defer t.Stop()
			pace = t.C
		}
		for i, w := range order {
			if pace != nil {
				select {
				case <-pace:
				case <-loadCtx.Done():
				}
			}
			j := job{write: w, c: conns[rand.IntN(len(conns))]}
			if w {
				j.name = fmt.Sprintf("Customer %d-%d", i, rand.Int64())
				mu.Lock()
				names = append(names, j.name)
				mu.Unlock()
			}
			select {
			case jobs <- j:
			case <-loadCtx.Done():
				unsent.Add(1)
			}
		}
		close(jobs)
	}()
	var recovered, killed, restarted time.Time
	if opt.Disrupt {
		servers.waitProgress(tb, &finished, total/3, loadCtx)
		tb.Logf("SIGKILL server 1 of %d after %d requests", len(servers.procs), finished.Load())
		killed = time.Now()
		servers.kill(0)
		servers.waitProgress(tb, &finished, 2*total/3, loadCtx)
		tb.Logf("restarting server 2 of %d after %d requests", len(servers.procs), finished.Load())
		restarted = time.Now()
		servers.restart(tb, 1)
		recovered = time.Now()
	}
	<-feed
	clients.Wait()
	elapsed := time.Since(start)
	cpuAfter, pgAfter := testenv.ProcessCPU(servers.procs[last].PID()), testenv.PostgresCPU()
	if opt.IdleWindow > 0 {
		// PostgreSQL counts a backend's last second of transactions only
		// after it has been idle for 10 s (PGSTAT_IDLE_INTERVAL); idle
		// connectors add next to nothing meanwhile.
		time.Sleep(11 * time.Second) // a measuring delay, not a wait for anything
	}
	txAfter := dbTransactions(tb, servers.platform.DB)

	r := result{Errors: errs + int(sw.errors.Load()) + int(unsent.Load()), Unsent: int(unsent.Load()), Load: elapsed, FirstError: firstErr, Applied: applied, Transient: int(rest.transient.Load() + sw.transient.Load())}
	if r.FirstError == "" {
		r.FirstError = sw.firstError()
	}
	r.PollsPerSec = float64(sw.polls.Load()-pollsBefore) / elapsed.Seconds()
	r.Requests, r.ServerCPU, r.DBTransactions = total, cpuAfter-cpuBefore, -1
	if strings.HasPrefix(servers.platform.DB, "postgres") {
		r.PostgresCPU = pgAfter - pgBefore
	}
	if txBefore >= 0 && txAfter >= 0 {
		r.DBTransactions = txAfter - txBefore
	}
	if idleSpan > 0 {
		r.IdleCPURate = time.Duration(float64(idleCPU) / idleSpan.Seconds())
	}
	var dispatch, after []time.Duration
	for _, s := range samples {
		dispatch = append(dispatch, s.dispatch)
		if !recovered.IsZero() && s.accepted.After(recovered) {
			after = append(after, s.dispatch)
		}
	}
	r.DispatchP50, r.P99 = percentile(dispatch, 50), percentile(dispatch, 99)
	r.RecoveredP99 = percentile(after, 99)
	r.VisibleP50, r.VisP99 = percentile(visible, 50), percentile(visible, 99)
	r.DispatchMax, r.VisibleMax = percentile(dispatch, 100), percentile(visible, 100)
	r.ServerWaitP50, r.ServerWaitP99, r.ServerWaitFreeP99, r.QueuedBehind = serverDispatch(tb, servers.platform.DB, start)
	r.Repeated = sw.repeated()
	r.NotOnce, r.Created = sw.notOnce(names), sw.created()
	sw.explain(tb, servers.platform.DB, start, stuck)
	if !killed.IsZero() {
		var accepted []time.Time
		for _, s := range samples {
			accepted = append(accepted, s.accepted)
		}
		end := start.Add(elapsed)
		r.Disruptions = []disruption{
			windowsAfter("the SIGKILL of server 1", killed, restarted, accepted, dispatch),
			windowsAfter("the restart of server 2", restarted, end, accepted, dispatch),
		}
	}
	if !recovered.IsZero() {
		// Every connector polls again after the disruption: those on the
		// killed server at once, the others when their long-poll ends.
		wait.For(tb, "every connector polling again", gateway.MaxPollWait+30*time.Second, func() (bool, string) {
			late := 0
			for _, c := range conns {
				if c.lastOK.Load() < recovered.UnixNano() {
					late++
				}
			}
			return late == 0, fmt.Sprintf("%d of %d connectors have not polled since the restart", late, len(conns))
		})
		for _, c := range conns {
			if c.dropped.Load() {
				r.Dropped++
				if c.downSince.Load() == 0 {
					r.Reconnected++
				}
			}
		}
		r.SlowestReconnect = time.Duration(sw.slowestReconnect.Load())
		d := &r.Disruptions[0]
		d.Held, d.Moved, d.SlowestMove = servers.moved(0, killed, time.Time{})
		d = &r.Disruptions[1]
		d.Held, d.Moved, d.SlowestMove = servers.moved(1, restarted, recovered)
	}
	// The last server is neither killed nor restarted: it has carried its
	// share of the whole run.
	r.RSSMB, r.PeakRSSMB = rss(tb, servers.procs[last].PID())
	r.Goroutines = scrapeGauge(hc, "http://"+servers.addrs[last], "go_goroutines")
	r.DBConns = dbConnections(tb, servers.platform.DB)
	return r
}

// cluster is the servers of a run and the load balancer in front of them.
type cluster struct {
	platform *testenv.Platform // the first server, with the organisation and API key
	procs    []*testenv.Proc
	addrs    []string
	args     []string
	url      string // the load balancer's, or the only server's

	mu   sync.Mutex
	down map[int]time.Time // upstream -> when it last refused a connection
	next atomic.Int64
	// polls records, per connector credential, which server each of its
	// polls was sent to and when.
	polls map[string][]route
}

// route is one poll sent to a server.
type route struct {
	server int
	at     time.Time
}

// moved counts the connectors whose last poll before at went to server,
// and those of them that sent a later poll to another server, or to the
// same one once it was up again (upAgain; zero if it stays down), and the
// longest that took.
func (c *cluster) moved(server int, at, upAgain time.Time) (held, moved int, slowest time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range c.polls {
		last := -1
		for i, r := range rs {
			if r.at.Before(at) {
				last = i
			}
		}
		if last < 0 || rs[last].server != server {
			continue
		}
		held++
		for _, r := range rs[last+1:] {
			if r.server != server || (!upAgain.IsZero() && r.at.After(upAgain)) {
				moved++
				slowest = max(slowest, r.at.Sub(at))
				break
			}
		}
	}
	return held, moved, slowest
}

func newCluster(tb testing.TB, opt options) *cluster {
	tb.Helper()
	args := []string{"--log-level", "warn", "--sweep-interval", "5s"}
	p := testenv.StartPlatform(tb, bins, testenv.PlatformOptions{DB: opt.DB, Args: args})
	c := &cluster{platform: p, procs: []*testenv.Proc{p.Proc}, addrs: []string{strings.TrimPrefix(p.URL, "http://")},
		args: append([]string{"serve", "--db", p.DB}, args...), url: p.URL, down: map[int]time.Time{}, polls: map[string][]route{}}
	if opt.Servers <= 1 {
		return c
	}
	for range opt.Servers - 1 {
		proc, u := testenv.Start(tb, bins.QBConnect, append(slices.Clone(c.args), "--addr", "127.0.0.1:0"), testenv.URLAfter("qbconnect serving on"))
		c.procs = append(c.procs, proc)
		c.addrs = append(c.addrs, strings.TrimPrefix(u, "http://"))
	}
	lb := &http.Server{Handler: c.balancer()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go lb.Serve(ln)
	tb.Cleanup(func() { lb.Close() })
	c.url = "http://" + ln.Addr().String()
	return c
}

// balancer is a round-robin reverse proxy that, like a load balancer with
// health checks, sends nothing for a second to a server that refused a
// connection, and retries a refused request on the next server (nothing of
// it reached the refusing one).
func (c *cluster) balancer() http.Handler {
	base := &http.Transport{MaxIdleConnsPerHost: 1 << 16, MaxIdleConns: 1 << 16, IdleConnTimeout: time.Minute}
	rp := &httputil.ReverseProxy{
		// Long-polls cancelled at the end of a run are no news.
		ErrorLog:      log.New(io.Discard, "", 0),
		Rewrite:       func(r *httputil.ProxyRequest) { r.Out.URL.Scheme = "http"; r.SetXForwarded() },
		FlushInterval: -1,
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			var last error
			for range len(c.addrs) {
				i := c.pick()
				req.URL.Host = c.addrs[i]
				if req.Method == http.MethodGet && req.URL.Path == gateway.PathWork {
					c.mu.Lock()
					key := req.Header.Get("Authorization")
					c.polls[key] = append(c.polls[key], route{i, time.Now()})
					c.mu.Unlock()
				}
				resp, err := base.RoundTrip(req)
				var op *net.OpError
				if err != nil && errors.As(err, &op) && op.Op == "dial" {
					c.mu.Lock()
					c.down[i] = time.Now()
					c.mu.Unlock()
					last = err
					continue
				}
				return resp, err
			}
			return nil, last
		}),
	}
	return rp
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (c *cluster) pick() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range len(c.addrs) {
		i := int(c.next.Add(1) % int64(len(c.addrs)))
		if t, ok := c.down[i]; !ok || time.Since(t) > time.Second {
			return i
		}
	}
	return int(c.next.Load() % int64(len(c.addrs)))
}

func (c *cluster) kill(i int) { c.procs[i].Kill() }

// restart stops server i gracefully and starts it again on its address.
func (c *cluster) restart(tb testing.TB, i int) {
	tb.Helper()
	c.procs[i].Stop()
	proc, _ := testenv.Start(tb, bins.QBConnect, append(slices.Clone(c.args), "--addr", c.addrs[i]), testenv.URLAfter("qbconnect serving on"))
	c.procs[i] = proc
}

// waitProgress waits until n requests of the load have finished.
func (c *cluster) waitProgress(tb testing.TB, finished *atomic.Int64, n int, ctx context.Context) {
	tb.Helper()
	wait.For(tb, fmt.Sprintf("%d requests finished", n), time.Until(deadlineOf(ctx)), func() (bool, string) {
		return finished.Load() >= int64(n), fmt.Sprintf("%d finished", finished.Load())
	})
}

func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Hour)
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

// serverDispatch is dispatch as the server's database recorded it, over
// the operations created since start: the time from an operation's
// creation to the start of the claim that first leased it (without the
// response's way to the connector). p50 and p99 are over every
// operation; freeP99 over those whose connector was free when they came
// (the previous operation of their connection had finished), and behind
// is the share of those that were not: a connector runs one item at a
// time, so they wait for the one before by design. Zeros on SQLite.
func serverDispatch(tb testing.TB, dsn string, start time.Time) (p50, p99, freeP99 time.Duration, behind float64) {
	if !strings.HasPrefix(dsn, "postgres") {
		return 0, 0, 0, 0
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Logf("server dispatch: %v", err)
		return 0, 0, 0, 0
	}
	defer c.Close(ctx)
	var a, b, f, share *float64
	err = c.QueryRow(ctx, `WITH x AS (
			SELECT l.leased_at - o.created_at AS wait, o.created_at,
				lag(o.completed_at) OVER (PARTITION BY o.connection_id ORDER BY o.seq) AS prev_done
			FROM operations o JOIN operation_leases l ON l.op_id = o.id AND l.attempt = 1 WHERE o.created_at >= $1)
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait), percentile_cont(0.99) WITHIN GROUP (ORDER BY wait),
			percentile_cont(0.99) WITHIN GROUP (ORDER BY wait) FILTER (WHERE prev_done IS NULL OR prev_done <= created_at),
			avg(CASE WHEN prev_done > created_at THEN 1.0 ELSE 0.0 END)
		FROM x`, start.UnixMicro()).Scan(&a, &b, &f, &share)
	if err != nil || a == nil || b == nil || f == nil || share == nil {
		tb.Logf("server dispatch: %v", err)
		return 0, 0, 0, 0
	}
	us := func(v float64) time.Duration { return time.Duration(v) * time.Microsecond }
	return us(*a), us(*b), us(*f), *share
}

// scrapeCounter reads one sample of the server's /metrics, named with
// its labels; -1 when it cannot.
func scrapeCounter(hc *http.Client, base, sample string) int {
	resp, err := hc.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return int(v)
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

// dbTransactions returns how many transactions the database has committed
// and rolled back, or -1 for SQLite.
func dbTransactions(tb testing.TB, dsn string) int {
	if !strings.HasPrefix(dsn, "postgres") {
		return -1
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Logf("db transactions: %v", err)
		return -1
	}
	defer c.Close(ctx)
	// The statistics of this session's own transaction are not yet
	// counted; they are too few to matter.
	var n int
	if err := c.QueryRow(ctx, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
		tb.Logf("db transactions: %v", err)
		return -1
	}
	return n
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
	gw                            *gatewayclient.Client
	file                          gateway.FileIdentity
	// lastOK is when a poll of this connector last succeeded, and
	// pollStarted when its last poll began (UnixNano).
	lastOK, pollStarted atomic.Int64
	// dropped tells that a poll of this connector failed at least once;
	// downSince is when its first failed poll since its last successful
	// one was (UnixNano), 0 while it polls.
	dropped   atomic.Bool
	downSince atomic.Int64
}

// restClient is the client application: the REST client with the API key,
// and retries.
type restClient struct {
	api *client.Client
	// retry sends a request again, up to 30 times a second apart, when
	// the load balancer or a dying server failed it (502, 503, a reset
	// connection), as a client application would; transient counts those.
	retry     bool
	transient atomic.Int64
}

// isTransient tells a failure that a retry may cure: no answer at all, or
// a 502 or 503 from the balancer or a server going down.
func isTransient(err error) bool {
	var e *qbconnect.Error
	if !errors.As(err, &e) {
		return true
	}
	return e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable
}

// do calls f, again while it fails transiently and retry is on.
func (c *restClient) do(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !c.retry || !isTransient(err) || attempt == 30 || ctx.Err() != nil {
			return err
		}
		c.transient.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

func (c *restClient) newLinkedCompany(name string) (*conn, error) {
	ctx := context.Background()
	var co *qbconnect.Company
	err := c.do(ctx, func() (err error) {
		co, err = c.api.CreateCompany(ctx, client.CreateCompanyRequest{Name: name, SyncSchedule: client.Schedule("-1s")})
		return err
	})
	if err != nil {
		return nil, err
	}
	var cn *qbconnect.Connection
	if err := c.do(ctx, func() (err error) {
		cn, err = c.api.CreateConnection(ctx, co.ID, qbconnect.KindConnector)
		return err
	}); err != nil {
		return nil, err
	}
	var lc *client.LinkCode
	if err := c.do(ctx, func() (err error) {
		lc, err = c.api.CreateLinkCode(ctx, co.ID, cn.ID)
		return err
	}); err != nil {
		return nil, err
	}
	if lc.Code == nil {
		return nil, fmt.Errorf("the link code of %s is empty", co.ID)
	}
	return &conn{companyID: co.ID, connectionID: cn.ID, code: *lc.Code,
		file: gateway.FileIdentity{Path: `C:\Books\` + co.ID + `.qbw`, CompanyName: name}}, nil
}

func (c *restClient) createCustomer(ctx context.Context, companyID, name string) (op *client.Operation, err error) {
	err = c.do(ctx, func() (err error) {
		op, err = c.api.CreateCustomer(ctx, companyID, sdk.CustomerCreate{Name: name}, client.WithIdempotencyKey(strings.ReplaceAll(name, " ", "-")))
		return err
	})
	return op, err
}

const hostQuery = `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>`

func (c *restClient) passthrough(ctx context.Context, companyID string) (op *client.Operation, err error) {
	err = c.do(ctx, func() (err error) {
		op, err = c.api.Passthrough(ctx, companyID, hostQuery)
		return err
	})
	return op, err
}

// waitOperation waits for an operation to finish with ?wait=, asking again
// while it is pending.
func (c *restClient) waitOperation(ctx context.Context, id string) (*client.Operation, error) {
	for {
		var op *client.Operation
		if err := c.do(ctx, func() (err error) {
			op, err = c.api.GetOperation(ctx, id, client.GetOperationParams{Wait: 25 * time.Second})
			return err
		}); err != nil {
			return nil, err
		}
		if op.Status == client.OperationPending {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		return op, nil
	}
}

// errorText describes an operation's error, or says there is none.
func errorText(e *client.OperationError) string {
	if e == nil {
		return "no error"
	}
	return string(e.Code) + ": " + e.Message
}

// swarm is the connectors' side: each polls, "runs" its item in a
// simulated QuickBooks that takes qbLatency, and posts the result.
type swarm struct {
	qbLatency time.Duration
	// tolerant counts a failed poll or post as transient (a server is
	// being killed on purpose) and retries it, as the connector does.
	tolerant  bool
	polls     atomic.Int64
	errors    atomic.Int64
	transient atomic.Int64
	// slowestReconnect is the longest a connector went from a failed poll
	// to sending one that succeeded.
	slowestReconnect atomic.Int64

	mu     sync.Mutex
	held   map[string]time.Time // item ID -> when a connector first held it
	handed map[string]int       // item ID -> times handed out
	first  string
	// answers is QuickBooks' store of message sets: a request sent again
	// under the same newMessageSetID gets the first answer and is not run.
	answers map[string]string
	// applied counts the customers QuickBooks created, by name.
	applied map[string]int
}

// notOnce counts the names QuickBooks did not create exactly once.
func (s *swarm) notOnce(names []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, name := range names {
		if s.applied[name] != 1 {
			n++
		}
	}
	return n
}

// created counts the customers QuickBooks created.
func (s *swarm) created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.applied {
		n += k
	}
	return n
}

// process is the simulated QuickBooks: it runs a request once per message
// set.
func (s *swarm) process(it *gateway.WorkItem) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.MessageSetID != "" {
		if a, ok := s.answers[it.MessageSetID]; ok {
			return a
		}
	}
	a := answer(it.Request)
	if n := nameRE.FindStringSubmatch(it.Request); n != nil && strings.Contains(it.Request, "<CustomerAddRq") {
		s.applied[n[1]]++
	}
	if it.MessageSetID != "" {
		s.answers[it.MessageSetID] = a
	}
	return a
}

func (s *swarm) fail(err error) {
	s.errors.Add(1)
	s.mu.Lock()
	if s.first == "" {
		s.first = err.Error()
	}
	s.mu.Unlock()
}

// problem records a failed poll or post: an error, or with tolerant a
// transient failure that the loop retries.
func (s *swarm) problem(err error) {
	if s.tolerant {
		s.transient.Add(1)
		return
	}
	s.fail(err)
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
	gw, err := gatewayclient.New(base, gatewayclient.Options{HTTPClient: &http.Client{Transport: connectorTransport}})
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
		sent := time.Now().UnixNano()
		c.pollStarted.Store(sent)
		resp, err := c.gw.Poll(ctx, gateway.PollRequest{Wait: gateway.MaxPollWait})
		s.polls.Add(1)
		if err != nil {
			if ctx.Err() == nil {
				if c.downSince.Load() == 0 {
					c.downSince.Store(time.Now().UnixNano())
					c.dropped.Store(true)
				}
				s.problem(fmt.Errorf("poll: %w", err))
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		now := time.Now().UnixNano()
		c.lastOK.Store(now)
		if down := c.downSince.Swap(0); down != 0 {
			// Connected again when it sent the poll that succeeded: a
			// long-poll may return much later.
			for took := sent - down; ; {
				old := s.slowestReconnect.Load()
				if took <= old || s.slowestReconnect.CompareAndSwap(old, took) {
					break
				}
			}
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
		res := gateway.Result{ItemID: it.ID, LeaseID: it.LeaseID, Response: s.process(it), DurationMillis: s.qbLatency.Milliseconds()}
		for attempt := 0; ; attempt++ {
			_, err := c.gw.PostResult(ctx, res)
			if err == nil || ctx.Err() != nil {
				break
			}
			s.problem(fmt.Errorf("post result: %w", err))
			if !s.tolerant || attempt == 30 {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
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

// stuckOp is a request whose result the client did not see in time.
type stuckOp struct {
	id             string
	c              *conn
	accepted, seen time.Time // seen is zero when it never was
}

// explain logs the timeline of up to 10 requests whose result the client
// saw late (after slowRequest) or not within the limit (created, leased, completed in the
// database; held by the connector; the connector's last polls), so that a
// failed run says where each one stopped.
func (s *swarm) explain(tb testing.TB, dsn string, start time.Time, stuck []stuckOp) {
	if len(stuck) == 0 {
		return
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return fmt.Sprintf("%.3fs", t.Sub(start).Seconds())
	}
	atMicros := func(v *int64) string {
		if v == nil {
			return "-"
		}
		return at(time.UnixMicro(*v))
	}
	var db *pgx.Conn
	if strings.HasPrefix(dsn, "postgres") {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Logf("explain: %v", err)
		} else {
			db = c
			defer c.Close(context.Background())
		}
	}
	statuses := map[string]int{}
	for i, st := range stuck {
		held, _ := s.heldAt(st.id)
		line := fmt.Sprintf("slow %s (company %s): accepted %s, held %s, seen finished %s; connector polls: last started %s, last answered %s",
			st.id, st.c.companyID, at(st.accepted), at(held), at(st.seen), at(time.Unix(0, st.c.pollStarted.Load())), at(time.Unix(0, st.c.lastOK.Load())))
		if db != nil {
			ctx := context.Background()
			var status string
			var attempts int
			var created, updated int64
			var completed, notBefore *int64
			err := db.QueryRow(ctx, "SELECT status, attempts, created_at, updated_at, completed_at, not_before FROM operations WHERE id = $1", st.id).
				Scan(&status, &attempts, &created, &updated, &completed, &notBefore)
			if err != nil {
				line += fmt.Sprintf("; db: %v", err)
			} else {
				statuses[status]++
				line += fmt.Sprintf("; db: %s after %d attempts, created %s, updated %s, completed %s, not before %s",
					status, attempts, atMicros(&created), atMicros(&updated), atMicros(completed), atMicros(notBefore))
				rows, err := db.Query(ctx, "SELECT leased_at, expires_at FROM operation_leases WHERE op_id = $1 ORDER BY leased_at", st.id)
				if err == nil {
					for rows.Next() {
						var l, e int64
						if rows.Scan(&l, &e) == nil {
							line += fmt.Sprintf("; leased %s until %s", atMicros(&l), atMicros(&e))
						}
					}
					rows.Close()
				}
				var queued int
				if db.QueryRow(ctx, "SELECT count(*) FROM operations WHERE connection_id = (SELECT connection_id FROM operations WHERE id = $1) AND status IN ('Queued', 'InFlight')", st.id).Scan(&queued) == nil {
					line += fmt.Sprintf("; %d of its connection's operations still queued or in flight", queued)
				}
			}
		}
		if i < 10 {
			tb.Log(line)
		}
	}
	tb.Logf("%d requests not seen finished within %v or at all; their status in the database: %v", len(stuck), slowRequest, statuses)
}
