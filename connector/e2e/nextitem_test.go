package e2e

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/wait"
)

// gatewayCounts are the platform's counters of the connector's work, read
// from its /metrics.
type gatewayCounts struct {
	// polls answered with an item (200) or without (204, or 200 asking
	// for a state report).
	pollsWithItem, polls float64
	// results posted (every answer), and the outcomes they recorded.
	results, applied, ignored float64
}

func (c gatewayCounts) minus(o gatewayCounts) gatewayCounts {
	return gatewayCounts{c.pollsWithItem - o.pollsWithItem, c.polls - o.polls, c.results - o.results, c.applied - o.applied, c.ignored - o.ignored}
}

// gatewayCounts scrapes the platform's /metrics.
func (e *env) gatewayCounts() gatewayCounts {
	e.tb.Helper()
	resp, err := http.Get(e.plat.URL + "/metrics")
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	var c gatewayCounts
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(series, "#") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		has := func(labels ...string) bool {
			for _, l := range labels {
				if !strings.Contains(series, l) {
					return false
				}
			}
			return true
		}
		switch {
		case strings.HasPrefix(series, "qbconnect_http_requests_total{") && has(`method="GET"`, `route="/gateway/v1/work"`):
			c.polls += v
			if has(`status="200"`) {
				c.pollsWithItem += v
			}
		case strings.HasPrefix(series, "qbconnect_http_requests_total{") && has(`method="POST"`, `route="/gateway/v1/work/{itemId}/result"`):
			c.results += v
		case strings.HasPrefix(series, "qbconnect_gateway_results_total{") && has(`outcome="applied"`):
			c.applied += v
		case strings.HasPrefix(series, "qbconnect_gateway_results_total{") && has(`outcome="ignored"`):
			c.ignored += v
		}
	}
	if err := sc.Err(); err != nil {
		e.tb.Fatal(err)
	}
	return c
}

// syncCounting runs a sync of every data type and returns what it cost
// at the gateway, once every result's request was counted.
func (e *env) syncCounting() gatewayCounts {
	e.tb.Helper()
	before := e.gatewayCounts()
	e.plat.StartSync(e.company.ID)
	e.plat.WaitSynced(e.company.ID, 2*time.Minute)
	var d gatewayCounts
	// A result is counted as a request once its answer is written, just
	// after the sync it completed shows.
	wait.For(e.tb, "every result's request to be counted", 10*time.Second, func() (bool, string) {
		d = e.gatewayCounts().minus(before)
		return d.results >= d.applied+d.ignored, fmt.Sprintf("%+v", d)
	})
	return d
}

// A sync runs one work item per page of every data type. The connector
// asks for the next item with each result, so a sync costs it one request
// per item: every item's result is posted once, and it polls for an item
// only when an answer brought none (at the sync's start, and where the
// sync engine queued nothing between two items).
func TestASyncCostsTheConnectorOneRequestPerItem(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link()
	e.agent.Run()
	e.waitHealthy()

	for _, pass := range []string{"first sync", "incremental sync"} {
		d := e.syncCounting()
		items := d.applied
		t.Logf("%s: %v items, %v results posted, %v polls (%v with an item): %.2f gateway requests per item",
			pass, items, d.results, d.polls, d.pollsWithItem, (d.results+d.polls)/items)
		if items < 20 {
			t.Fatalf("%s ran %v items; want one per page of every data type", pass, items)
		}
		if d.results != items || d.ignored != 0 {
			t.Errorf("%s: %v results posted for %v items (%v ignored); want each posted once", pass, d.results, items, d.ignored)
		}
		// The items polled for are those no answer carried: the first,
		// and one after each moment the queue was empty. A connector
		// that polled for each would poll for every item.
		if d.pollsWithItem > 3 {
			t.Errorf("%s: %v of %v items came from polls; want the others in result answers", pass, d.pollsWithItem, items)
		}
	}
}

// rttProxy stands between the connector and the platform and delays every
// request by rtt before passing it on, as a link across the internet
// would. With stripNext it drops the next parameter of result posts: the
// platform then answers as one that predates it, and the connector polls
// for every item, as connectors did before.
type rttProxy struct {
	*httptest.Server
	rtt       time.Duration
	stripNext atomic.Bool
}

func newRTTProxy(tb testing.TB, target string, rtt time.Duration) *rttProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := &rttProxy{rtt: rtt}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0) // the connector's last poll, cut off when the test ends
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.stripNext.Load() {
			q := r.URL.Query()
			q.Del("next")
			r.URL.RawQuery = q.Encode()
		}
		<-time.After(p.rtt) // the link's round trip, not a synchronisation
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(p.Server.Close)
	return p
}

// BenchmarkIncrementalSyncOverASlowLink measures an incremental sync of
// every data type, over real processes, with a 50 ms round trip between
// the connector and the platform: the connector taking its next item from
// each result's answer, and (the baseline, alternating in the same run)
// the same connector facing a platform that does not answer one, so that
// it polls for every item. It reports each median wall time, requests per
// item and the ratio of the medians.
func BenchmarkIncrementalSyncOverASlowLink(b *testing.B) {
	e := newEnv(b, envOptions{})
	proxy := newRTTProxy(b, e.plat.URL, 50*time.Millisecond)
	e.agent.StartLink(proxy.URL, e.plat.LinkCode(e.conn), e.sim.URL).Wait(b)
	e.agent.Run()
	e.waitHealthy()
	e.syncCounting() // the first sync; incremental ones follow

	type mode struct {
		name   string
		strip  bool
		times  []time.Duration
		reqs   float64
		items  float64
		polled float64
	}
	modes := []*mode{{name: "next"}, {name: "poll", strip: true}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range modes {
			proxy.stripNext.Store(m.strip)
			start := time.Now()
			d := e.syncCounting()
			m.times = append(m.times, time.Since(start))
			m.reqs += d.results + d.polls
			m.items += d.applied
			m.polled += d.pollsWithItem
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, m := range modes {
		b.ReportMetric(ms(percentile(m.times, 50)), m.name+"-sync-ms")
		b.ReportMetric(m.reqs/m.items, m.name+"-requests/item")
		b.ReportMetric(m.items/float64(b.N), m.name+"-items/sync")
	}
	b.ReportMetric(float64(percentile(modes[0].times, 50))/float64(percentile(modes[1].times, 50)), "next-per-poll-time")
	b.ReportMetric(0, "ns/op")
}
