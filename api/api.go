// Package api is the platform's HTTP side: the REST API v1 that client
// applications call with an organisation's API key, the connector gateway's
// server side (the protocol of package gateway), health and readiness
// probes, and Prometheus metrics. It is HTTP only: routes, authentication,
// decoding and encoding, error mapping. What the gateway's calls do
// (linking, leases, results, state reports, presence, pauses, connection
// events) is the control plane's (package control); a handler decodes,
// calls it, and encodes its answer.
//
// It depends on the domain's service interfaces (package qbconnect), the
// control plane and the gateway wire types, never on the store;
// cmd/qbconnect and internal/platform wire it. Every route is listed in
// Handler, one line each, grouped by the file that implements it; a new
// group adds one register call there.
package api

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/gateway"
)

// Config holds a Server's dependencies and settings. Services may not be nil;
// every other field has the default its comment names.
type Config struct {
	Orgs        qbconnect.OrgService
	Companies   qbconnect.CompanyService
	Connections qbconnect.ConnectionService
	Queue       qbconnect.Queue
	// Control is the control plane behind the gateway and the writes,
	// shared with the Web Connector endpoint. Nil makes one of the
	// services above, Sync, Events and the gateway settings below (what
	// tests of this package do); internal/platform passes its own.
	Control *control.Plane
	// Metrics are the server's metrics; nil makes new ones. Pass the
	// Control's Observer here too.
	Metrics *Metrics

	// Ready reports whether the server can serve requests (database
	// reachable, migrations applied); /readyz answers 503 with its error.
	// Nil means always ready.
	Ready func(*http.Request) error

	// Logger receives one line per request and every internal error; nil
	// discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of request IDs; nil means crypto/rand.
	Rand io.Reader

	// LinkCodeTTL is how long a link code is valid when the request does not
	// say; 0 means one hour.
	LinkCodeTTL time.Duration
	// LeaseTTL, MaxPollWait, OnlineWindow and OnPollWait tune the control
	// plane New makes when Control is nil (see control.Config).
	//
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
	// MaxJSONBody limits REST and gateway JSON bodies; 0 means 1 MiB.
	MaxJSONBody int64
	// MaxResultBody limits a gateway result as sent; 0 means
	// gateway.MaxResultBody. MaxResultDecoded limits it decompressed; 0 means
	// gateway.MaxResultDecoded.
	MaxResultBody, MaxResultDecoded int64
	// MaxResultMemory bounds the bytes of result bodies held in memory at
	// once, across requests; a body that would pass it is answered 503 with
	// Retry-After. It also caps one body once decompressed. 0 means
	// MaxResultDecoded.
	MaxResultMemory int64
	// Sync is the sync engine behind the data, sync and write endpoints,
	// and the gateway hands it every finished sync and write operation.
	// Nil answers those endpoints with "unavailable".
	Sync qbconnect.SyncService
	// Records serves the data endpoints; nil answers them with
	// "unavailable".
	Records qbconnect.RecordService
	// Events receives the platform's events (webhooks) for the control
	// plane New makes when Control is nil; nil drops them.
	Events control.Events
	// Webhooks manages webhook endpoints (/v1/webhooks); nil answers those
	// endpoints with "unavailable".
	Webhooks Webhooks
	// Releases serves connector releases, self-update, signing
	// certificates and rotation campaigns (release.go, campaign.go); nil
	// answers those endpoints with "unavailable".
	Releases Releases
	// Reports keeps the last answer of each report query (report.go); nil
	// answers the report endpoint with "unavailable".
	Reports Reports
	// SignerClaims lists what an organisation's connectors report about
	// their signers, for /v1/signing-certificates; nil answers that
	// endpoint with "unavailable".
	SignerClaims qbconnect.SignerClaims
	// MaxWait caps ?wait= on writes, operations and passthrough; 0 means
	// 60 seconds.
	MaxWait time.Duration
	// HealthTimeout is the default time-out of a live health check (GET
	// .../health); 0 means 15 seconds. A request may ask for up to MaxWait.
	HealthTimeout time.Duration
	// OnWait, when set, is called each time a request starts waiting for an
	// operation to finish (?wait, live health). Tests wait on it.
	OnWait func(opID string)
	// WebConnector serves /qbwc and the .qwc download
	// (webconnector.go); nil leaves those routes out.
	WebConnector WebConnector
	// TrustedProxies are the proxies (the TLS terminator in front of the
	// server) whose X-Forwarded-For and Forwarded headers are believed
	// when telling who a client is, for the link-attempt limit. Empty: the
	// peer address is the client, and those headers are ignored.
	TrustedProxies []netip.Prefix
	// LinkAttempts counts failed link attempts per client; nil counts in
	// this process's memory. The store's counter holds across processes.
	LinkAttempts AttemptCounter
}

// Server serves the REST API and the connector gateway. Create it with New;
// call Close to end pending long-polls before shutting the HTTP server down.
type Server struct {
	cfg          Config
	ctl          *control.Plane
	metrics      *Metrics
	linkAttempts AttemptCounter // clientaddr.go
	// resultBudget bounds the result bodies held at once (resultbody.go).
	resultBudget *byteBudget
}

// New fills cfg's defaults, validates it and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Orgs == nil || cfg.Companies == nil || cfg.Connections == nil || cfg.Queue == nil {
		return nil, errors.New("api: Orgs, Companies, Connections and Queue are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.LinkCodeTTL == 0 {
		cfg.LinkCodeTTL = time.Hour
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
	if cfg.MaxJSONBody == 0 {
		cfg.MaxJSONBody = gateway.MaxJSONBody
	}
	if cfg.MaxResultBody == 0 {
		cfg.MaxResultBody = gateway.MaxResultBody
	}
	if cfg.MaxResultDecoded == 0 {
		cfg.MaxResultDecoded = gateway.MaxResultDecoded
	}
	if cfg.MaxResultMemory == 0 {
		cfg.MaxResultMemory = cfg.MaxResultDecoded
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 60 * time.Second
	}
	if cfg.HealthTimeout == 0 {
		cfg.HealthTimeout = 15 * time.Second
	}
	for name, d := range map[string]time.Duration{
		"LinkCodeTTL": cfg.LinkCodeTTL, "LeaseTTL": cfg.LeaseTTL,
		"MaxPollWait": cfg.MaxPollWait, "OnlineWindow": cfg.OnlineWindow,
		"MaxWait": cfg.MaxWait, "HealthTimeout": cfg.HealthTimeout,
	} {
		if d < 0 {
			return nil, fmt.Errorf("api: %s is negative", name)
		}
	}
	if cfg.MaxJSONBody < 0 || cfg.MaxResultBody < 0 || cfg.MaxResultDecoded < 0 || cfg.MaxResultMemory < 0 {
		return nil, errors.New("api: body limits must be positive")
	}
	s := &Server{
		cfg:          cfg,
		ctl:          cfg.Control,
		metrics:      cfg.Metrics,
		linkAttempts: cfg.LinkAttempts,
		resultBudget: newByteBudget(cfg.MaxResultMemory),
	}
	if s.linkAttempts == nil {
		s.linkAttempts = newMemoryAttempts()
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.ctl == nil {
		ctl, err := control.New(control.Config{Orgs: cfg.Orgs, Companies: cfg.Companies, Connections: cfg.Connections,
			Queue: cfg.Queue, Sync: cfg.Sync, Events: cfg.Events, Views: NewViews(), Observer: s.metrics,
			Logger: cfg.Logger, Now: cfg.Now, LeaseTTL: cfg.LeaseTTL, MaxPollWait: cfg.MaxPollWait,
			OnlineWindow: cfg.OnlineWindow, OnPollWait: cfg.OnPollWait})
		if err != nil {
			return nil, err
		}
		s.ctl = ctl
	}
	// Every change to a connection goes through the control plane's
	// service, which raises connection.status_changed.
	s.cfg.Connections = s.ctl.Connections()
	s.metrics.attach(s)
	return s, nil
}

// Close ends pending long-polls (they answer "no work") so that an HTTP
// server's Shutdown does not wait for them. It is safe to call twice.
func (s *Server) Close() { s.ctl.Close() }

// Control returns the server's control plane.
func (s *Server) Control() *control.Plane { return s.ctl }

// Metrics returns the server's metrics and their registry.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Auth says which credential a route takes.
type Auth int

// Route credentials.
const (
	AuthNone              Auth = iota // public
	AuthAPIKey                        // an organisation's API key (REST API)
	AuthConnector                     // a connector credential (gateway)
	AuthOptionalConnector             // a connector credential when present (gateway link)
)

// String names the credential.
func (a Auth) String() string {
	switch a {
	case AuthAPIKey:
		return "apikey"
	case AuthConnector:
		return "connector"
	case AuthOptionalConnector:
		return "optional-connector"
	default:
		return "none"
	}
}

// Route is one registered endpoint.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, with {name} wildcards
	Auth    Auth
	handle  handlerFunc
}

// handlerFunc is a route's handler: it writes a success answer or returns
// an error that writeError turns into the one error shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// routeSet collects routes; each file's register helper adds its own.
type routeSet struct{ routes []Route }

func (rs *routeSet) add(method, pattern string, auth Auth, h handlerFunc) {
	rs.routes = append(rs.routes, Route{Method: method, Pattern: pattern, Auth: auth, handle: h})
}

// allRoutes lists every route of the server: one register call per file.
func (s *Server) allRoutes() []Route {
	var rs routeSet
	s.registerHealth(&rs)      // health.go: /healthz, /readyz, /metrics
	s.registerCompanies(&rs)   // company.go: /v1/companies
	s.registerConnections(&rs) // connection.go: /v1/companies/{companyId}/connections
	s.registerGateway(&rs)     // gateway.go: /gateway/v1
	s.registerReleases(&rs)    // release.go: /v1/releases, /v1/signing-certificates, /gateway/v1/update, artifacts
	s.registerCampaigns(&rs)   // campaign.go: /v1/rotation-campaigns
	s.registerRecords(&rs)     // record.go: /v1/data-types, /v1/companies/{companyId}/{dataType}
	s.registerSync(&rs)        // sync.go: /v1/companies/{companyId}/sync, sync-status, sync-runs
	s.registerWrites(&rs)      // write.go: record writes, /v1/operations
	s.registerLive(&rs)        // live.go: /v1/companies/{companyId}/qbxml, /health
	s.registerReports(&rs)     // report.go: /v1/companies/{companyId}/reports/{report}
	s.registerWebhooks(&rs)    // webhook.go: /v1/webhooks
	s.registerOpenAPI(&rs)     // openapi.go: /v1/openapi.json, /gateway/v1/openapi.json
	s.registerDocs(&rs)        // docs.go: /docs, the rendered reference
	s.registerQBWC(&rs)        // webconnector.go: /qbwc, .../connections/{connectionId}/qwc
	return rs.routes
}

// Routes returns every registered route, sorted by pattern then method, for
// documentation and for tests that must cover every endpoint.
func (s *Server) Routes() []Route {
	routes := s.allRoutes()
	sort.SliceStable(routes, func(i, j int) bool {
		if routes[i].Pattern != routes[j].Pattern {
			return routes[i].Pattern < routes[j].Pattern
		}
		return routes[i].Method < routes[j].Method
	})
	return routes
}

// Handler returns the HTTP handler of every route, wrapped with request IDs,
// logging, metrics and panic recovery.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.allRoutes() {
		mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	// Unknown paths and methods get the one error shape too.
	mux.Handle("/", s.wrap(Route{Pattern: "/", handle: s.unmatched()}))
	return s.withRequestID(mux)
}
