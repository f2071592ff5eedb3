package api

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
)

// QueueCounter is implemented by queues that can count every operation by
// status. When Config.Queue implements it, /metrics reports the queue depth.
type QueueCounter interface {
	CountOperations(ctx context.Context) (map[qbconnect.OperationStatus]int, error)
}

// HealthCounter is implemented by connection services that can count every
// organisation's connections by health code. When Config.Connections
// implements it, /metrics reports qbconnect_connections{health_code}.
type HealthCounter interface {
	CountConnectionsByHealth(ctx context.Context) (map[string]int, error)
}

// Metrics are a server's Prometheus metrics, in a registry of their own (no
// global state), served at /metrics.
type Metrics struct {
	// Registry holds every metric below plus the Go and process collectors.
	Registry *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	// WaitTime observes how long an operation waited from enqueue (or its
	// not-before time) to its lease.
	waitTime prometheus.Histogram
	// itemsCompleted counts applied outcomes by the operation's status.
	itemsCompleted *prometheus.CounterVec
	// results counts posted results: applied or ignored (duplicate/stale).
	results *prometheus.CounterVec
	// leasesReoffered counts leases ended because their connector polled
	// again (its answer was lost or it crashed).
	leasesReoffered prometheus.Counter
	// resultsRefused counts result bodies refused while being read, by
	// reason (inflate_ratio, memory_budget).
	resultsRefused *prometheus.CounterVec
}

// NewMetrics returns the metrics of one server, in a registry of their
// own. They are the control plane's Observer too: pass them as
// control.Config.Observer and api.Config.Metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qbconnect_http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qbconnect_http_request_duration_seconds",
			Help:    "HTTP request duration by method and route pattern (long-polls included).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		waitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "qbconnect_queue_wait_seconds",
			Help:    "Time from an operation being runnable to its lease.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600},
		}),
		itemsCompleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qbconnect_queue_items_completed_total",
			Help: "Operations whose outcome was applied, by resulting status.",
		}, []string{"status"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qbconnect_gateway_results_total",
			Help: "Results posted by connectors: applied, or ignored because the item already had an outcome.",
		}, []string{"outcome"}),
		leasesReoffered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qbconnect_gateway_leases_reoffered_total",
			Help: "Work items offered again at once because their connector polled while holding them (lost answer or crash).",
		}),
		resultsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qbconnect_gateway_results_refused_total",
			Help: "Result bodies refused while being read: inflate_ratio (a compression bomb) or memory_budget (too many large results at once).",
		}, []string{"reason"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.waitTime, m.itemsCompleted, m.results, m.leasesReoffered, m.resultsRefused,
	)
	return m
}

var _ control.Observer = (*Metrics)(nil)

// LeasesReoffered counts leases a poll ended (control.Observer).
func (m *Metrics) LeasesReoffered(n int) { m.leasesReoffered.Add(float64(n)) }

// ItemWaited observes a work item's time in the queue (control.Observer).
func (m *Metrics) ItemWaited(d time.Duration) { m.waitTime.Observe(d.Seconds()) }

// ResultRecorded counts a recorded result (control.Observer).
func (m *Metrics) ResultRecorded(applied bool, status qbconnect.OperationStatus) {
	if applied {
		m.results.WithLabelValues("applied").Inc()
		m.itemsCompleted.WithLabelValues(string(status)).Inc()
	} else {
		m.results.WithLabelValues("ignored").Inc()
	}
}

// attach registers the gauges read from s at scrape time.
func (m *Metrics) attach(s *Server) {
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "qbconnect_connectors_online",
			Help: "Connectors that made a request to this process within the online window.",
		}, func() float64 { return float64(s.ctl.OnlineConnectors()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "qbconnect_gateway_result_bytes_held",
			Help: "Bytes of result bodies held in memory now (bounded by the result memory budget).",
		}, func() float64 { n, _ := s.resultBudget.inUse(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "qbconnect_gateway_polls_open",
			Help: "Connector long-polls open in this process now.",
		}, func() float64 { return float64(s.ctl.OpenPolls()) }),
	)
	if qc, ok := s.cfg.Queue.(QueueCounter); ok {
		m.Registry.MustRegister(&queueCollector{count: qc.CountOperations, log: s})
	}
	conns := s.cfg.Connections
	if ce, ok := conns.(*control.ConnectionEvents); ok {
		conns = ce.ConnectionService
	}
	if hc, ok := conns.(HealthCounter); ok {
		m.Registry.MustRegister(&healthCollector{count: hc.CountConnectionsByHealth, log: s})
	}
}

func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// queueCollector reports the queue depth by status at scrape time.
type queueCollector struct {
	count func(context.Context) (map[qbconnect.OperationStatus]int, error)
	log   *Server
}

var queueDepthDesc = prometheus.NewDesc("qbconnect_queue_depth",
	"Operations in the queue by status, counted in the database at scrape time (every process sharing it).", []string{"status"}, nil)

var databaseUpDesc = prometheus.NewDesc("qbconnect_database_up",
	"1 when the database answered this scrape's queries, 0 when it did not (the metrics it feeds are then left out).", nil, nil)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- databaseUpDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		// The depth is left out rather than reported as an error, which
		// would turn the whole scrape into a 500.
		c.log.cfg.Logger.Warn("metrics: counting operations", "err", err)
		ch <- prometheus.MustNewConstMetric(databaseUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(databaseUpDesc, prometheus.GaugeValue, 1)
	for _, st := range []qbconnect.OperationStatus{
		qbconnect.OpQueued, qbconnect.OpInFlight, qbconnect.OpSucceeded,
		qbconnect.OpFailed, qbconnect.OpTimedOut, qbconnect.OpCanceled,
	} {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// healthCollector reports connections by health code at scrape time.
type healthCollector struct {
	count func(context.Context) (map[string]int, error)
	log   *Server
}

var connectionsDesc = prometheus.NewDesc("qbconnect_connections",
	"Linked and pending connections by health code (ok, connector_offline, qb_not_running, ...), counted in the database at scrape time.", []string{"health_code"}, nil)

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- connectionsDesc }

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		// Left out, as the queue depth is: qbconnect_database_up says why.
		c.log.cfg.Logger.Warn("metrics: counting connections by health", "err", err)
		return
	}
	// ok and connector_offline are always reported, so that alerts and
	// dashboards see a zero rather than no series.
	for _, code := range []string{qbconnect.HealthOK, qbconnect.HealthConnectorOffline} {
		if _, ok := counts[code]; !ok {
			counts[code] = 0
		}
	}
	for code, n := range counts {
		ch <- prometheus.MustNewConstMetric(connectionsDesc, prometheus.GaugeValue, float64(n), code)
	}
}
