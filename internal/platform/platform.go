// Package platform wires the platform server by hand, once and in order:
// the store, the sync engine and webhooks, the control plane (package
// control), then its adapters (the REST API and connector gateway of
// package api, the Web Connector endpoint of package qbwc), the HTTP
// server, and the background sweeper. `qbconnect serve` is a thin flag parser around Main,
// and end-to-end tests (and internal/testenv) start the very same wiring in
// process.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/syncengine"
)

// Config configures a Main. Every field has the default its comment names.
type Config struct {
	// DB names the database: "sqlite:PATH" or a postgres:// URL; "" means
	// "sqlite:qbconnect.db".
	DB string
	// Addr is the listen address; "" means "127.0.0.1:8080". Port 0 picks a
	// free port (see Main.URL).
	Addr string
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SweepInterval is how often lease expiries, deadlines and offline
	// connectors are swept; 0 means 15 seconds.
	SweepInterval time.Duration
	// ShutdownTimeout bounds the graceful shutdown of the HTTP server; 0
	// means 15 seconds.
	ShutdownTimeout time.Duration
	// OperationRetention is how long finished operations (and their
	// outcomes) are kept; 0 means 30 days, a negative value forever.
	OperationRetention time.Duration
	// SyncResultRetention is how long the qbXML result of a finished sync
	// page is kept once its records are stored; 0 means one day, a
	// negative value as long as the operation.
	SyncResultRetention time.Duration
	// API tunes the API server; its services, Logger, Now, Ready,
	// LinkAttempts and SignerClaims are set by Main and ignored here.
	API api.Config
	// OnSweep, when set, is called after every sweep with the number of
	// operations expired, connections marked offline, and the first error.
	// Tests wait on it instead of sleeping.
	OnSweep func(expired, offline int, err error)
	// AfterCommit, when set, is called with the types of the events a
	// change recorded, right after its transaction committed and before
	// the deliveries start (control.Config.Committed). Tests only: serve's
	// QBCONNECT_TEST_CRASH stops the process there.
	AfterCommit func(types []qbconnect.EventType)
	// Release configures connector releases, rotation campaigns, the
	// signing-certificate expiry watch and email (release.go).
	Release ReleaseConfig
	// Sync configures the sync engine and webhooks (sync.go).
	Sync SyncConfig
	// WebConnector configures the QuickBooks Web Connector endpoint
	// (webconnector.go).
	WebConnector WebConnectorConfig
}

// Main is one platform server. Create it with New, start it with Run, stop
// it with Close.
type Main struct {
	cfg Config

	// Set by Run.
	DB          *store.DB
	Orgs        qbconnect.OrgService
	Companies   qbconnect.CompanyService
	Connections qbconnect.ConnectionService
	Queue       qbconnect.Queue
	// Control is the control plane behind the gateway, the Web Connector
	// endpoint and the writes.
	Control  *control.Plane
	API      *api.Server
	Releases *release.Service
	// Outbox sends email; nil when no SMTP server is configured.
	Outbox *notify.Outbox
	jobs   *notify.Jobs
	// Sync is the sync engine; Records the synced records; Webhooks the
	// webhook sender (sync.go).
	Sync        *syncengine.Engine
	Records     *store.RecordStore
	Webhooks    *notify.Webhooks
	jobsStarted bool

	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
	served chan error
}

// New returns a Main with cfg's defaults filled in.
func New(cfg Config) *Main {
	if cfg.DB == "" {
		cfg.DB = "sqlite:qbconnect.db"
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 15 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.OperationRetention == 0 {
		cfg.OperationRetention = 30 * 24 * time.Hour
	}
	if cfg.SyncResultRetention == 0 {
		cfg.SyncResultRetention = 24 * time.Hour
	}
	return &Main{cfg: cfg}
}

// Run opens the database (applying its migrations), listens, and starts
// serving and sweeping in the background. It returns once the server
// accepts connections; Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	m.DB, err = store.Open(ctx, m.cfg.DB, store.Options{Now: m.cfg.Now, Logger: m.cfg.Logger})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	m.Orgs = store.NewOrgStore(m.DB)
	m.Companies = store.NewCompanyStore(m.DB)
	m.Connections = store.NewConnectionStore(m.DB)
	m.Queue = store.NewQueueStore(m.DB)

	acfg := m.cfg.API
	acfg.Orgs, acfg.Companies, acfg.Connections, acfg.Queue = m.Orgs, m.Companies, m.Connections, m.Queue
	acfg.Logger, acfg.Now = m.cfg.Logger, m.cfg.Now
	acfg.Ready = m.ready
	// Failed link attempts are counted in the database: the limit holds
	// across every process serving it.
	acfg.LinkAttempts = store.NewLinkAttemptStore(m.DB)
	acfg.SignerClaims = store.NewSignerClaimStore(m.DB)
	if err := m.startSync(ctx, &acfg); err != nil {
		return err
	}
	if err := m.startReleases(ctx, &acfg); err != nil {
		return err
	}
	if err := NewControl(&acfg, control.Config{Events: m.Webhooks, Handovers: m.Releases, Revocations: m.Releases,
		// Idle long-polls are answered from memory (store/dispatch.go).
		Dispatch: m.DB.Dispatcher(), Committed: m.cfg.AfterCommit}); err != nil {
		return err
	}
	m.Control = acfg.Control
	if err := m.startWebConnector(&acfg); err != nil {
		return err
	}
	if err := m.runSync(ctx); err != nil {
		return err
	}
	if m.API, err = api.New(acfg); err != nil {
		return err
	}
	acfg.Metrics.Registry.MustRegister(m.Releases.Collector(), dispatchCollector{m.DB.Dispatcher()})

	m.ln, err = net.Listen("tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           m.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.cfg.Logger.Handler(), slog.LevelWarn),
	}
	m.srv, m.served = srv, make(chan error, 1)
	// srv, not m.srv: a Close right after Run clears m.srv, perhaps before
	// this goroutine runs (Serve then returns ErrServerClosed at once).
	go func() { m.served <- srv.Serve(m.ln) }()

	loopCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.sweepLoop(loopCtx)
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.Releases.Loop(loopCtx, m.cfg.Release.Interval, m.cfg.Release.OnPass)
	}()
	m.cfg.Logger.Info("serving", "addr", m.ln.Addr().String(), "db", dialectOf(m.DB))
	return nil
}

func dialectOf(db *store.DB) string {
	if db == nil {
		return ""
	}
	return string(db.Dialect())
}

// URL is the server's base URL, such as "http://127.0.0.1:41234".
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.ln.Addr().String()
}

// Served returns a channel that receives the HTTP server's error if it stops
// serving before Close.
func (m *Main) Served() <-chan error { return m.served }

// ready answers /readyz: the database answers and holds the schema that
// Run migrated before the server started listening.
func (m *Main) ready(r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	return m.DB.Ping(ctx)
}

// Sweep runs one sweep: leases and deadlines that expired, and connectors
// gone silent.
func (m *Main) Sweep(ctx context.Context) (expired, offline int, err error) {
	expired, err = m.Queue.ExpireDeadlines(ctx)
	if err != nil {
		err = fmt.Errorf("expire deadlines: %w", err)
	}
	// Connectors authenticated from memory are recorded as seen before
	// any process's sweep looks (SweepOffline reads last_seen_at).
	if _, ferr := m.DB.Dispatcher().FlushSeen(ctx); ferr != nil && err == nil {
		err = ferr
	}
	m.DB.Dispatcher().Forget(time.Hour)
	offline, oerr := m.Control.SweepOffline(ctx)
	if err == nil {
		err = oerr
	}
	return expired, offline, err
}

// The sweeper applies the retention settings every pruneEvery, in
// statements of pruneBatch operations and at most pruneBatches statements
// of each kind per sweep, so that a large backlog (the first run after an
// upgrade) is worked off over several sweeps instead of holding one up.
const (
	pruneEvery   = time.Hour
	pruneBatch   = 500
	pruneBatches = 20
)

// Prune applies the retention settings once: it drops the results of sync
// pages older than SyncResultRetention, then deletes the operations older
// than OperationRetention. more reports that a limit cut it short.
func (m *Main) Prune(ctx context.Context) (results, operations int, more bool, err error) {
	now, q := m.cfg.Now(), store.NewQueueStore(m.DB)
	batches := func(keep time.Duration, fn func(context.Context, time.Time, int) (int, error)) (int, error) {
		total := 0
		if keep < 0 {
			return 0, nil
		}
		for range pruneBatches {
			n, err := fn(ctx, now.Add(-keep), pruneBatch)
			total += n
			if err != nil || n < pruneBatch {
				return total, err
			}
		}
		more = true
		return total, nil
	}
	if results, err = batches(m.cfg.SyncResultRetention, q.DropSyncResults); err != nil {
		return results, 0, more, fmt.Errorf("drop sync results: %w", err)
	}
	if operations, err = batches(m.cfg.OperationRetention, q.PruneOperations); err != nil {
		return results, operations, more, fmt.Errorf("prune operations: %w", err)
	}
	return results, operations, more, nil
}

func (m *Main) sweepLoop(ctx context.Context) {
	t := time.NewTicker(m.cfg.SweepInterval)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if now := m.cfg.Now(); now.Sub(pruned) >= pruneEvery {
			results, ops, more, err := m.Prune(ctx)
			if ctx.Err() != nil {
				return
			}
			if !more {
				pruned = now
			}
			if err != nil {
				m.cfg.Logger.Warn("retention failed", "err", err)
			} else if results+ops > 0 {
				m.cfg.Logger.Info("retention applied", "syncResultsDropped", results, "operationsDeleted", ops, "more", more)
			}
		}
		expired, offline, err := m.Sweep(ctx)
		if ctx.Err() != nil {
			return // shutting down: a sweep cut short is not a failure
		}
		if err != nil {
			m.cfg.Logger.Warn("sweep failed", "err", err)
		} else if expired+offline > 0 {
			m.cfg.Logger.Info("swept", "expiredOperations", expired, "offlineConnections", offline)
		}
		if m.cfg.OnSweep != nil {
			m.cfg.OnSweep(expired, offline, err)
		}
	}
}

// Close shuts down in order: pending long-polls answer "no work", the HTTP
// server finishes the requests in progress (up to ShutdownTimeout), the
// sweeper stops, and the database closes.
func (m *Main) Close() error {
	var errs []error
	if m.API != nil {
		m.API.Close()
	}
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
		cancel()
		m.srv = nil
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.cancel != nil {
		m.cancel()
		m.wg.Wait()
		m.cancel = nil
	}
	m.stopSync()
	if err := m.stopJobs(); err != nil {
		errs = append(errs, err)
	}
	m.jobsStarted = false
	if m.DB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := m.DB.Dispatcher().FlushSeen(ctx); err != nil {
			m.cfg.Logger.Warn("recording connectors seen", "err", err)
		}
		cancel()
		if err := m.DB.Close(); err != nil {
			errs = append(errs, err)
		}
		m.DB = nil
	}
	return errors.Join(errs...)
}
