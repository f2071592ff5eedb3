// Package control is the platform's control plane: linking connectors,
// polling and leasing work, recording results, connector state reports,
// presence and the offline sweep, the pause ledger, connection events, and
// the one path by which any transport completes an operation (Complete).
//
// The connector gateway's HTTP handlers (package api) and the Web Connector
// endpoint (package qbwc) are adapters on it: they decode a request, call
// the Plane, and encode its answer. Plane.Gateway is the connector
// protocol's service in process, the same interface as gatewayclient.Client.
//
// It imports the domain (package qbconnect) for its service interfaces
// (the sync engine among them), the gateway package for the connector
// protocol's wire types, and qbd for the one table that turns a QuickBooks
// HRESULT into a condition. It imports neither net/http, not even
// indirectly (the connector's HTTP client is gateway/gatewayclient; an
// import test checks go list -deps), nor the store, nor the API:
// internal/platform wires it to the store and the sync engine.
//
// Events (an outbox): each event is recorded in the transaction of the
// change it describes, and its deliveries start after commit. A
// completion's events (connection.status_changed from the outcome's
// health, write.succeeded and write.failed) are recorded by
// Outcome.Then; the other changes of a connection (a state report's
// health, a pause, an unlink, a link, a revocation) by the connection
// store's hook (ConnectionObserver), a sync pass's failure (sync.failed)
// by the sync engine's (PassObserver) and a company sync's end
// (sync.completed, once per sync) by its RunObserver, all set by New. A
// process that stops between a commit and the deliveries' start loses no
// event: the webhook sender's sweep starts pending deliveries without a
// job.
package control

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// Config holds a Plane's dependencies and settings. Orgs, Companies,
// Connections and Queue may not be nil; every other field has the default
// its comment names.
type Config struct {
	Orgs        qbconnect.OrgService
	Companies   qbconnect.CompanyService
	Connections qbconnect.ConnectionService
	Queue       qbconnect.Queue
	// Sync is the sync engine: it ingests every finished sync and write
	// operation, and serves the connector's Perform Sync. Nil leaves
	// results un-ingested and answers Perform Sync "unavailable".
	Sync qbconnect.SyncService
	// Events receives the platform's events (webhooks); nil drops them.
	Events Events
	// Committed, when set, is called with the types of the events a
	// change recorded, right after its transaction committed and before
	// their deliveries start. Only tests use it: qbconnect serve's
	// QBCONNECT_TEST_CRASH stops the process there.
	Committed func(types []qbconnect.EventType)
	// Views shapes the data of the events the Plane records as the REST
	// API shows the same objects; required when Events is set.
	Views Views
	// Observer is told what the metrics count; nil tells no one.
	Observer Observer
	// Dispatch answers idle connector long-polls from memory
	// (store.Dispatcher); nil asks the Queue and the ConnectionService on
	// every poll.
	Dispatch Dispatch
	// Handovers records the certificate-handover steps connectors report
	// (package release); nil ignores them.
	Handovers HandoverReporter
	// Revocations tells connectors that the release they run was revoked,
	// in the answer to their state reports (package release); nil tells
	// nothing.
	Revocations Revocations

	// Logger receives the Plane's logs; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// LeaseTTL is how long a connector holds a work item before it may be
	// offered again; 0 means ten minutes.
	LeaseTTL time.Duration
	// MaxPollWait caps a connector's long-poll; 0 means gateway.MaxPollWait.
	MaxPollWait time.Duration
	// OnlineWindow is how long after its last request a connector counts as
	// online; 0 means two minutes. Connectors report state every minute.
	OnlineWindow time.Duration
	// OnPollWait, when set, is called each time a long-poll starts waiting
	// for work (after finding none). Tests wait on it instead of sleeping.
	OnPollWait func(connectorID string)
}

// Observer is told what the platform's metrics count. Its methods must be
// quick and safe for concurrent use.
type Observer interface {
	// LeasesReoffered: a poll ended n leases the connector had lost.
	LeasesReoffered(n int)
	// ItemWaited: a work item waited d in the queue before its first lease.
	ItemWaited(d time.Duration)
	// ResultRecorded: a result was recorded; applied says whether it
	// decided the operation, status is the operation's status after it.
	ResultRecorded(applied bool, status qbconnect.OperationStatus)
}

type noObserver struct{}

func (noObserver) LeasesReoffered(int)                            {}
func (noObserver) ItemWaited(time.Duration)                       {}
func (noObserver) ResultRecorded(bool, qbconnect.OperationStatus) {}

// Plane is the control plane. Create it with New; Close ends pending
// long-polls. It is safe for concurrent use, and several processes sharing
// one database may each run one.
type Plane struct {
	cfg   Config
	conns *ConnectionEvents // cfg.Connections, raising connection events
	// inTx says which changes record their events in their transaction
	// (the outbox): the connections' (the service is a
	// ConnectionObserver) and the sync passes' (a PassObserver).
	connsInTx, syncInTx, runsInTx bool
	online                        *onlineSet
	pauses                        *pauseLedger

	stopping  chan struct{}
	closeOnce sync.Once
}

// New fills cfg's defaults, validates it and returns a Plane.
func New(cfg Config) (*Plane, error) {
	if cfg.Orgs == nil || cfg.Companies == nil || cfg.Connections == nil || cfg.Queue == nil {
		return nil, errors.New("control: Orgs, Companies, Connections and Queue are required")
	}
	if cfg.Events != nil && cfg.Views == nil {
		return nil, errors.New("control: Views is required with Events")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 10 * time.Minute
	}
	if cfg.MaxPollWait == 0 {
		cfg.MaxPollWait = gateway.MaxPollWait
	}
	if cfg.OnlineWindow == 0 {
		cfg.OnlineWindow = 2 * time.Minute
	}
	for name, d := range map[string]time.Duration{"LeaseTTL": cfg.LeaseTTL, "MaxPollWait": cfg.MaxPollWait, "OnlineWindow": cfg.OnlineWindow} {
		if d < 0 {
			return nil, fmt.Errorf("control: %s is negative", name)
		}
	}
	p := &Plane{cfg: cfg, online: newOnlineSet(), pauses: newPauseLedger(), stopping: make(chan struct{})}
	if p.cfg.Dispatch == nil {
		p.cfg.Dispatch = directDispatch{&p.cfg}
	}
	p.conns = &ConnectionEvents{ConnectionService: cfg.Connections, p: p}
	if cfg.Events != nil {
		if o, ok := cfg.Connections.(ConnectionObserver); ok {
			o.OnChange(p.connectionChanged)
			p.connsInTx = true
		}
		if o, ok := cfg.Sync.(PassObserver); ok {
			o.OnPassEnd(p.passEnded)
			p.syncInTx = true
		}
		if o, ok := cfg.Sync.(RunObserver); ok && p.syncInTx {
			o.OnRunEnd(p.runEnded)
			p.runsInTx = true
		}
		if o, ok := cfg.Sync.(RecordObserver); ok {
			o.OnRecordsChanged(p.recordsChanged)
		}
	}
	return p, nil
}

// Close ends pending long-polls (they answer "no work"), so that an HTTP
// server's Shutdown does not wait for them. It is safe to call twice.
func (p *Plane) Close() { p.closeOnce.Do(func() { close(p.stopping) }) }

// Stopping returns a channel closed by Close, for waits of the adapters
// (a REST ?wait) that must end with the long-polls.
func (p *Plane) Stopping() <-chan struct{} { return p.stopping }

// Connections is the connection service through which every change raises
// connection.status_changed (when the Plane has Events): the REST API and
// the Web Connector endpoint change connections through it.
func (p *Plane) Connections() *ConnectionEvents { return p.conns }

// Queue is the operation queue the Plane leases from.
func (p *Plane) Queue() qbconnect.Queue { return p.cfg.Queue }

// Sync is the sync engine, or nil.
func (p *Plane) Sync() qbconnect.SyncService { return p.cfg.Sync }

// Now is the Plane's clock.
func (p *Plane) Now() time.Time { return p.cfg.Now() }

func invalid(format string, args ...any) error {
	return qbconnect.Errorf(qbconnect.EInvalid, format, args...)
}
