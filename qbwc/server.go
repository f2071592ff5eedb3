package qbwc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
)

// Config holds a Server's dependencies and settings. Store and Control may
// not be nil; every other field has the default its comment names.
type Config struct {
	Store qbconnect.WebConnectorService
	// Control is the control plane (a *control.Plane): the endpoint leases
	// from its queue, changes connections through its connection service
	// (which raises connection.status_changed), and completes every
	// operation through its one completion path, as the connector gateway
	// does.
	Control Control

	// Logger receives one line per callback and every internal error; nil
	// discards. Nothing logged ever reaches a SOAP body.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of tickets, passwords and GUIDs; nil means
	// crypto/rand. Outside tests it must be cryptographically secure.
	Rand io.Reader

	// ServerVersion is serverVersion's answer; "" means "qbconnect".
	ServerVersion string
	// MinClientVersion is the oldest Web Connector version accepted, such
	// as "2.1.0.30"; an older one is answered "O:<MinClientVersion>" (the
	// Web Connector then tells the user which version to install). ""
	// accepts every version.
	MinClientVersion string
	// LeaseTTL is how long a session holds an operation sent to
	// QuickBooks; 0 means ten minutes.
	LeaseTTL time.Duration
	// SessionIdle is how long an open session may stay silent before the
	// connection's next authenticate takes it over instead of answering
	// "busy"; 0 means LeaseTTL.
	SessionIdle time.Duration
	// Postpone is the delay authenticate asks for with "none" (no work)
	// and "busy"; 0 means five minutes.
	Postpone time.Duration
	// MinRunEvery, when set, is authenticate's MinimumRunEveryNSeconds:
	// the Web Connector will not run updates more often.
	MinRunEvery time.Duration
	// MaxNoOps is how many NoOp pauses (5 s each) a session makes while
	// work is queued but not yet runnable, before it ends and leaves the
	// work to the next update; 0 means 12.
	MaxNoOps int
	// MaxBody limits a request body; 0 means 64 MiB.
	MaxBody int64
	// MaxLoginFailures failed logins (wrong password or unknown user
	// name) from one source address within LoginWindow make authenticate
	// answer that address nvu, without checking, until the window has
	// passed; 0 means 10 per 15 minutes. Failures are counted per
	// address, not per user name: wrong passwords sent from elsewhere
	// never lock out the Web Connector that has the right one.
	MaxLoginFailures int
	LoginWindow      time.Duration
	// PasswordChecksPerSecond bounds the password checks (bcrypt
	// comparisons, about 50 ms of a CPU each at the default cost) this
	// process runs for all callers together, with a burst of
	// PasswordCheckBurst; authenticate answers nvu at once beyond it. 0
	// means 1 per second (a login every 15 minutes for 900 Web
	// Connectors; raise it for more) with a burst of 8; negative means no
	// bound.
	PasswordChecksPerSecond float64
	PasswordCheckBurst      int
	// MaxConcurrentPasswordChecks bounds the password checks running at
	// once; authenticate answers nvu at once beyond it. 0 means one per
	// four CPUs (at least one); negative means no bound.
	MaxConcurrentPasswordChecks int
	// ClientAddr returns the source address a request's login failures
	// are counted under. nil means the peer address of the connection,
	// an IPv6 address as its /64; behind a reverse proxy, pass a function
	// that reads the address the proxy forwards.
	ClientAddr func(r *http.Request) string
	// BcryptCost is the cost of password hashes; 0 means bcrypt's default.
	// Tests may use bcrypt.MinCost.
	BcryptCost int

	// QWC shapes the .qwc files; see QWCConfig.
	QWC QWCConfig
}

// Control is the control plane as the Web Connector endpoint uses it;
// *control.Plane implements it.
type Control interface {
	// Queue is the operation queue the endpoint leases from.
	Queue() qbconnect.Queue
	// Connections changes connections, raising connection events.
	Connections() *control.ConnectionEvents
	// Complete completes an operation the endpoint leased: the one path
	// shared with the connector gateway.
	Complete(ctx context.Context, op *qbconnect.Operation, r control.Report) (*qbconnect.Operation, bool, error)
}

var _ Control = (*control.Plane)(nil)

// Server is the Web Connector endpoint: an http.Handler for POST (SOAP),
// GET and HEAD (the Web Connector's certificate probe, ?wsdl), and the .qwc
// onboarding (QWCFile). It is safe for concurrent use, and several
// processes may serve the callbacks of one update.
type Server struct {
	cfg       Config
	dummyHash []byte
	logins    *loginLimiter

	randMu sync.Mutex

	ownerMu sync.Mutex
	ownerID string
}

// New fills cfg's defaults, validates it and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Control == nil {
		return nil, errors.New("qbwc: Store and Control are required")
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
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "qbconnect"
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 10 * time.Minute
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = cfg.LeaseTTL
	}
	if cfg.Postpone == 0 {
		cfg.Postpone = 5 * time.Minute
	}
	if cfg.MaxNoOps == 0 {
		cfg.MaxNoOps = 12
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxLoginFailures == 0 {
		cfg.MaxLoginFailures = 10
	}
	if cfg.LoginWindow == 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.PasswordChecksPerSecond == 0 {
		cfg.PasswordChecksPerSecond = 1
	}
	if cfg.PasswordCheckBurst == 0 {
		cfg.PasswordCheckBurst = 8
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = remoteAddr
	}
	if cfg.MaxConcurrentPasswordChecks == 0 {
		cfg.MaxConcurrentPasswordChecks = max(1, runtime.GOMAXPROCS(0)/4)
	}
	switch {
	case cfg.LeaseTTL < 0 || cfg.SessionIdle < 0 || cfg.Postpone < 0 || cfg.MinRunEvery < 0 || cfg.LoginWindow < 0:
		return nil, errors.New("qbwc: durations must not be negative")
	case cfg.MaxNoOps < 0 || cfg.MaxBody < 0 || cfg.MaxLoginFailures < 0 || cfg.PasswordCheckBurst < 0:
		return nil, errors.New("qbwc: limits must not be negative")
	case cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost:
		return nil, fmt.Errorf("qbwc: BcryptCost %d is out of range", cfg.BcryptCost)
	case cfg.MinClientVersion != "" && parseVersion(cfg.MinClientVersion) == nil:
		return nil, fmt.Errorf("qbwc: MinClientVersion %q is not a version such as 2.1.0.30", cfg.MinClientVersion)
	}
	if err := cfg.QWC.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	s.logins = newLoginLimiter(cfg.Now, cfg.MaxLoginFailures, cfg.LoginWindow, cfg.PasswordChecksPerSecond, cfg.PasswordCheckBurst, cfg.MaxConcurrentPasswordChecks)
	// A hash to compare against for unknown user names, so that they take
	// as long to refuse as wrong passwords.
	h, err := bcrypt.GenerateFromPassword([]byte("qbconnect unknown user"), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("qbwc: %w", err)
	}
	s.dummyHash = h
	return s, nil
}

// ServeHTTP serves the endpoint: POST for SOAP calls; GET and HEAD answer
// the Web Connector's certificate probe and, with ?wsdl, the WSDL.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		s.servePost(w, r)
	case http.MethodGet, http.MethodHead:
		if r.URL.Path == s.cfg.QWC.SupportPath {
			body := SupportPage()
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				_, _ = w.Write(body)
			}
			return
		}
		if _, ok := r.URL.Query()["wsdl"]; ok || strings.EqualFold(r.URL.RawQuery, "wsdl") {
			writeXML(w, http.StatusOK, WSDL(s.location(r)))
			return
		}
		body := []byte("qbconnect QuickBooks Web Connector service. Add this application to the Web Connector with its .qwc file.\n")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeXML(w, http.StatusMethodNotAllowed, marshalFault(clientFault("method %s is not allowed; the Web Connector POSTs SOAP 1.1", r.Method)))
	}
}

// location is the endpoint's URL as the caller reached it, for the WSDL.
func (s *Server) location(r *http.Request) string {
	if s.cfg.QWC.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.QWC.PublicURL, "/") + s.cfg.QWC.Path
	}
	return requestBase(r) + r.URL.Path
}

// requestBase returns scheme://host of the request as the client sees it.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) servePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	start := time.Now()
	op := "?"
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.cfg.Logger.ErrorContext(ctx, "qbwc: panic", "op", op, "panic", p)
			writeXML(w, http.StatusInternalServerError, marshalFault(&fault{code: faultServer, msg: "internal error; the update can be retried"}))
		}
	}()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err == nil && mt == "application/soap+xml":
			s.writeFault(w, r, op, &fault{code: faultVersionMismatch, msg: "SOAP 1.2 is not supported; the Web Connector speaks SOAP 1.1 (text/xml)"})
			return
		case err != nil || (mt != "text/xml" && mt != "application/xml"):
			s.writeFault(w, r, op, clientFault("Content-Type must be text/xml, not %q", ct))
			return
		}
	}
	if enc := strings.TrimSpace(r.Header.Get("Content-Encoding")); enc != "" && !strings.EqualFold(enc, "identity") {
		s.writeFault(w, r, op, clientFault("Content-Encoding %q is not accepted", enc))
		return
	}
	c, err := parseCall(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		s.writeFault(w, r, op, err)
		return
	}
	op = c.op
	if action := strings.Trim(strings.TrimSpace(r.Header.Get("SOAPAction")), `"`); action != "" && action != Namespace+c.op {
		s.writeFault(w, r, op, clientFault("SOAPAction %q does not match operation %s", action, c.op))
		return
	}
	res, err := s.dispatch(ctx, c, s.cfg.ClientAddr(r))
	if err != nil {
		s.writeFault(w, r, op, err)
		return
	}
	writeXML(w, http.StatusOK, marshalResult(c.op, res))
	s.cfg.Logger.DebugContext(ctx, "qbwc: call", "op", op, "duration", time.Since(start))
}

// writeFault answers err as a SOAP fault: its own text for a fault or a
// client mistake, a generic text for anything internal (logged instead).
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, op string, err error) {
	f := faultOf(err)
	if f.code == faultServer {
		s.cfg.Logger.ErrorContext(r.Context(), "qbwc: call failed", "op", op, "err", err)
	} else {
		s.cfg.Logger.InfoContext(r.Context(), "qbwc: call refused", "op", op, "fault", f.msg)
	}
	status := f.status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeXML(w, status, marshalFault(f))
}

func faultOf(err error) *fault {
	var f *fault
	if errors.As(err, &f) {
		return f
	}
	var qe *qbconnect.Error
	if errors.As(err, &qe) {
		switch qe.Code {
		case qbconnect.EInvalid, qbconnect.ENotFound, qbconnect.EUnauthorized, qbconnect.EForbidden:
			return clientFault("%s", qe.Message)
		case qbconnect.EConflict:
			return &fault{code: faultServer, msg: "the session changed while this call was served; retry the update"}
		}
	}
	return &fault{code: faultServer, msg: "internal error; the update can be retried"}
}

// dispatch checks a call's parameters against the operations table and
// runs its callback.
// addr is the caller's source address (Config.ClientAddr).
func (s *Server) dispatch(ctx context.Context, c *call, addr string) (result, error) {
	op := lookupOperation(c.op)
	if op == nil {
		return result{}, clientFault("unknown operation %s", c.op)
	}
	ints := map[string]int{}
	for name := range c.params {
		known := false
		for _, p := range op.params {
			if p.name == name {
				known = true
				if p.typ == "int" {
					n, err := strconv.Atoi(strings.TrimSpace(c.params[name]))
					if err != nil {
						return result{}, clientFault("parameter %s of %s must be an integer, not %q", name, c.op, truncate(c.params[name], 20))
					}
					ints[name] = n
				}
			}
		}
		if !known {
			return result{}, clientFault("%s has no parameter %s", c.op, name)
		}
	}
	p := c.param
	switch c.op {
	case "serverVersion":
		return stringResult(s.cfg.ServerVersion), nil
	case "clientVersion":
		return stringResult(s.clientVersion(p("strVersion"))), nil
	case "authenticate":
		a, err := s.authenticate(ctx, addr, p("strUserName"), p("strPassword"))
		return arrayResult(a), err
	case "sendRequestXML":
		req, err := s.sendRequestXML(ctx, p("ticket"), p("strHCPResponse"), p("strCompanyFileName"), p("qbXMLCountry"),
			ints["qbXMLMajorVers"], ints["qbXMLMinorVers"])
		return stringResult(req), err
	case "receiveResponseXML":
		n, err := s.receiveResponseXML(ctx, p("ticket"), p("response"), p("hresult"), p("message"))
		return intResult(n), err
	case "connectionError":
		a, err := s.connectionError(ctx, p("ticket"), p("hresult"), p("message"))
		return stringResult(a), err
	case "getLastError":
		a, err := s.getLastError(ctx, p("ticket"))
		return stringResult(a), err
	case "closeConnection":
		a, err := s.closeConnection(ctx, p("ticket"))
		return stringResult(a), err
	case "getInteractiveURL":
		_, err := s.session(ctx, p("wcTicket"))
		return stringResult(""), err
	case "interactiveDone":
		_, err := s.session(ctx, p("wcTicket"))
		return stringResult("Done"), err
	case "interactiveRejected":
		_, err := s.session(ctx, p("wcTicket"))
		return stringResult("qbconnect does not use interactive mode; nothing to do."), err
	}
	return result{}, clientFault("unknown operation %s", c.op)
}

// clientVersion answers "" (proceed) or "O:<minimum>" for an older Web
// Connector.
func (s *Server) clientVersion(v string) string {
	if s.cfg.MinClientVersion == "" {
		return ""
	}
	have := parseVersion(v)
	if have == nil {
		return "W:qbconnect could not read this Web Connector's version (" + truncate(v, 40) + "); version " +
			s.cfg.MinClientVersion + " or later is required."
	}
	if compareVersions(have, parseVersion(s.cfg.MinClientVersion)) < 0 {
		return "O:" + s.cfg.MinClientVersion
	}
	return ""
}

// parseVersion parses a dotted version such as "2.1.0.30"; nil when it is
// not one.
func parseVersion(v string) []int {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil
		}
		out[i] = n
	}
	return out
}

func compareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

// random reads n bytes from the configured source.
func (s *Server) random(n int) ([]byte, error) {
	b := make([]byte, n)
	s.randMu.Lock()
	_, err := io.ReadFull(s.cfg.Rand, b)
	s.randMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("qbwc: random: %w", err)
	}
	return b, nil
}

// newTicket returns a ticket of 128 random bits.
func (s *Server) newTicket() (string, error) {
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func ticketHash(ticket string) []byte {
	h := sha256.Sum256([]byte(ticket))
	return h[:]
}

// newGUID returns a random GUID in the braces-and-capitals form the Web
// Connector's .qwc files use: {9A1C0F27-5B3D-4E8A-9C21-7F00D3B2A6E4}.
func (s *Server) newGUID() (string, error) {
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := strings.ToUpper(hex.EncodeToString(b))
	return "{" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32] + "}", nil
}

// OwnerID returns the platform's OwnerID, creating it on first use.
func (s *Server) OwnerID(ctx context.Context) (string, error) {
	s.ownerMu.Lock()
	defer s.ownerMu.Unlock()
	if s.ownerID != "" {
		return s.ownerID, nil
	}
	candidate, err := s.newGUID()
	if err != nil {
		return "", err
	}
	id, err := s.cfg.Store.OwnerID(ctx, candidate)
	if err != nil {
		return "", err
	}
	s.ownerID = id
	return id, nil
}
