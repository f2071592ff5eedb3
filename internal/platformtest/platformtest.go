// Package platformtest is the platform in process for tests: a store on a
// fresh database, the sync engine, webhooks, the control plane, and its
// adapters (the REST API with the connector gateway, the Web Connector
// endpoint) served over real HTTP on loopback, with a manual clock. The
// tests of api, qbwc and syncengine build on it instead of wiring the
// platform by hand; each tunes it through Options (clock, hooks, webhook
// policy, limits, the database).
//
// The wiring follows internal/platform (the real server), sharing its
// control plane (platform.NewControl), without its listener, sweeper,
// scheduler, release service and email, which tests drive themselves
// through the clock and the services.
package platformtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/qbwc"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
)

// Databases returns the databases to run a scenario on, by name: SQLite
// always, PostgreSQL when QBCONNECT_TEST_POSTGRES names a database (each
// test gets a schema of its own there).
func Databases() map[string]storetest.DSNFunc {
	m := map[string]storetest.DSNFunc{"sqlite": storetest.SQLiteDSN}
	if pg := os.Getenv("QBCONNECT_TEST_POSTGRES"); pg != "" {
		m["postgres"] = storetest.PostgresDSN(pg)
	}
	return m
}

// Options shape a Platform. The zero value is a platform on a new SQLite
// file, without webhooks.
type Options struct {
	// DSN names the database; "" means a new SQLite file in a temporary
	// folder.
	DSN string
	// Clock is the platform's clock; nil means a new manual clock at
	// 2026-03-02 09:00 UTC.
	Clock *storetest.Clock
	// Store tunes the store; its Now is the clock.
	Store store.Options
	// Engine tunes the sync engine; DB, Queue and Now are set by New.
	Engine syncengine.Config
	// API tunes the REST API and the control plane (hooks such as
	// OnPollWait and OnWait, LeaseTTL, MaxPollWait, OnlineWindow, Rand);
	// its services, Control, Metrics, WebConnector and Now are set by New.
	API api.Config
	// TuneAPI, when set, changes the API's configuration once New has
	// set its services (a test may remove one), before the control plane
	// and the API are made from it.
	TuneAPI func(*api.Config)
	// QBWC tunes the Web Connector endpoint (MaxBody, Rand, BcryptCost,
	// which 0 makes bcrypt.MinCost); Store, Control and Now are set by New.
	QBWC qbwc.Config
	// Webhooks, when set, adds the webhook sender and its job queue (not
	// started: a test that delivers starts Jobs); nil leaves them out.
	Webhooks *WebhookOptions
	// Handler, when set, wraps the API's handler in the HTTP server (a
	// test's middleware).
	Handler func(http.Handler) http.Handler
}

// WebhookOptions shape the webhook sender.
type WebhookOptions struct {
	// AllowPrivate accepts endpoints, and delivers to addresses, that are
	// not public (the tests' receivers listen on loopback).
	AllowPrivate bool
	// Resolver resolves endpoint hosts when AllowPrivate is false.
	Resolver *net.Resolver
	// MaxAttempts is how often a delivery is tried; 0 means 4.
	MaxAttempts int
	// OnAttempt is called after each attempt is logged.
	OnAttempt func(deliveryID string, a qbconnect.WebhookAttempt, status qbconnect.DeliveryStatus)
}

// Platform is a platform in process. The embedded Env holds the store, its
// services and the clock.
type Platform struct {
	*storetest.Env
	tb   testing.TB
	opts Options

	WebConnectors *store.WebConnectorStore
	Engine        *syncengine.Engine
	// Jobs and Webhooks are nil unless Options.Webhooks is set.
	Jobs     *notify.Jobs
	Webhooks *notify.Webhooks
	Control  *control.Plane
	// WebConnector is the Web Connector endpoint, served at /qbwc.
	WebConnector *qbwc.Server
	API          *api.Server
	// APIConfig is what API was made with, for a second server process on
	// the same database.
	APIConfig api.Config
	// HTTP serves the API's handler on loopback.
	HTTP *httptest.Server
}

// New starts a platform and stops it in tb.Cleanup.
func New(tb testing.TB, o Options) *Platform {
	tb.Helper()
	if o.Clock == nil {
		o.Clock = storetest.NewClock()
	}
	if o.DSN == "" {
		o.DSN = storetest.SQLiteDSN(tb)
	}
	p := &Platform{tb: tb, opts: o}
	p.Env = storetest.OpenEnv(tb, o.DSN, o.Store, o.Clock)
	p.wire()
	tb.Cleanup(p.stop)
	return p
}

// Restart stops the platform, closes the database, and starts the platform
// again on it with the same options and clock, as when the server process
// restarts. The HTTP server gets a new address. A test that started Jobs
// stops them first.
func (p *Platform) Restart() {
	p.tb.Helper()
	p.stop()
	if err := p.DB.Close(); err != nil {
		p.tb.Fatal(err)
	}
	p.Env = storetest.OpenEnv(p.tb, p.opts.DSN, p.opts.Store, p.opts.Clock)
	p.wire()
	p.tb.Cleanup(p.stop) // before the new store's cleanup closes it
}

// wire builds the services on p.Env, in the order of internal/platform:
// the sync engine and webhooks, the control plane, the Web Connector
// endpoint, the REST API, and the HTTP server.
func (p *Platform) wire() {
	tb, o, db := p.tb, p.opts, p.DB
	tb.Helper()
	now := p.Clock.Now
	p.WebConnectors = store.NewWebConnectorStore(db)

	ecfg := o.Engine
	ecfg.DB, ecfg.Queue, ecfg.Now = db, p.Queue, now
	eng, err := syncengine.New(ecfg)
	if err != nil {
		tb.Fatalf("sync engine: %v", err)
	}
	p.Engine = eng

	acfg := o.API
	acfg.Orgs, acfg.Companies, acfg.Connections, acfg.Queue = p.Orgs, p.Companies, p.Connections, p.Queue
	acfg.Sync, acfg.Records, acfg.Reports = eng, p.Records, store.NewReportStore(db)
	acfg.Now = now
	p.Jobs, p.Webhooks = nil, nil
	if w := o.Webhooks; w != nil {
		p.startWebhooks(w)
		acfg.Webhooks, acfg.Events = p.Webhooks, p.Webhooks
	}
	if o.TuneAPI != nil {
		o.TuneAPI(&acfg)
	}

	// The control plane as the server wires it, with the API's events and
	// engine; no certificate handovers are recorded (no release service
	// in process).
	if err := platform.NewControl(&acfg, control.Config{Events: acfg.Events, Dispatch: db.Dispatcher()}); err != nil {
		tb.Fatalf("control plane: %v", err)
	}
	p.Control = acfg.Control

	wcfg := o.QBWC
	wcfg.Store, wcfg.Control, wcfg.Now = p.WebConnectors, p.Control, now
	if wcfg.BcryptCost == 0 {
		wcfg.BcryptCost = bcrypt.MinCost
	}
	if p.WebConnector, err = qbwc.New(wcfg); err != nil {
		tb.Fatalf("web connector endpoint: %v", err)
	}
	acfg.WebConnector = p.WebConnector

	p.APIConfig = acfg
	if p.API, err = api.New(acfg); err != nil {
		tb.Fatalf("api: %v", err)
	}
	h := p.API.Handler()
	if o.Handler != nil {
		h = o.Handler(h)
	}
	p.HTTP = httptest.NewServer(h)
}

// startWebhooks builds the job queue and the webhook sender, with retries
// quick enough for a test's patience.
func (p *Platform) startWebhooks(w *WebhookOptions) {
	tb := p.tb
	tb.Helper()
	jcfg := notify.JobsConfig{PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
	if p.DB.Dialect() == store.Postgres {
		jcfg.PostgresURL = p.DSN
	} else {
		jcfg.SQLite = p.DB.SQLDB()
	}
	jobs, err := notify.NewJobs(jcfg)
	if err != nil {
		tb.Fatalf("jobs: %v", err)
	}
	attempts := w.MaxAttempts
	if attempts == 0 {
		attempts = 4
	}
	hooks, err := notify.NewWebhooks(notify.WebhooksConfig{Store: store.NewWebhookStore(p.DB), Jobs: jobs, Now: p.Clock.Now,
		AllowPrivate: w.AllowPrivate, Resolver: w.Resolver, MaxAttempts: attempts, OnAttempt: w.OnAttempt})
	if err != nil {
		tb.Fatalf("webhooks: %v", err)
	}
	p.Jobs, p.Webhooks = jobs, hooks
}

// stop ends the long-polls and the HTTP server; the database closes in
// the store's own cleanup.
func (p *Platform) stop() {
	if p.API != nil {
		p.API.Close()
		p.API = nil
	}
	if p.HTTP != nil {
		p.HTTP.Close()
		p.HTTP = nil
	}
}

// Client returns the HTTP client of the platform's server.
func (p *Platform) Client() *http.Client { return p.HTTP.Client() }

// URL is the platform's base URL, such as "http://127.0.0.1:41234".
func (p *Platform) URL() string { return p.HTTP.URL }

// NewOrg creates an organisation and an API key of it.
func (p *Platform) NewOrg(name string) (*qbconnect.Org, string) {
	p.tb.Helper()
	ctx := context.Background()
	o, err := p.Orgs.CreateOrg(ctx, name)
	if err != nil {
		p.tb.Fatal(err)
	}
	_, key, err := p.Orgs.CreateAPIKey(ctx, o.ID, "test")
	if err != nil {
		p.tb.Fatal(err)
	}
	return o, key
}
