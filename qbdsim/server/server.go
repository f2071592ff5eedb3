// Package server serves a qbdsim.Simulator over HTTP on the local machine:
// the request-processor API that the qbd/simclient driver speaks (for
// connectors in other processes), a JSON control API (QuickBooks' state,
// company files, dialogs and their answers, Integrated Applications, faults)
// that the qbdsim command and tests use, and a web UI that shows QuickBooks'
// state and the authorization dialogs the way QuickBooks shows them.
//
// Only the qbdsim command, the harnesses that run a simulator in process
// (internal/demo, internal/scenario, internal/testenv) and tests import it.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// DefaultAddr is the address `qbdsim serve` listens on by default.
const DefaultAddr = "127.0.0.1:8765"

// maxRequestBody bounds qbXML request documents and JSON bodies.
const maxRequestBody = 64 << 20

// Server is the simulator's HTTP handler.
type Server struct {
	sim          *qbdsim.Simulator
	log          *slog.Logger
	mux          *http.ServeMux
	ui           *ui
	token        string
	allowedHosts []string
}

// Options configure a Server. The zero value serves on loopback as New
// does.
type Options struct {
	// Logger may be nil.
	Logger *slog.Logger
	// Token, when set, must come with every control API call
	// (/api/v1/...) as "Authorization: Bearer TOKEN". A simulator that
	// listens beyond loopback needs one: anyone who reaches it could
	// otherwise start and stop QuickBooks or answer its dialogs.
	Token string
	// AllowedHosts are the host names, besides IP addresses and
	// localhost, that requests may name in Host; any other name is
	// refused, so that a page whose name was rebound to the simulator's
	// address cannot call it.
	AllowedHosts []string
}

// New returns the handler for sim, without a token. logger may be nil.
func New(sim *qbdsim.Simulator, logger *slog.Logger) *Server {
	return NewWithOptions(sim, Options{Logger: logger})
}

// NewWithOptions returns the handler for sim configured by o.
func NewWithOptions(sim *qbdsim.Simulator, o Options) *Server {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{sim: sim, log: logger, mux: http.NewServeMux(), token: o.Token, allowedHosts: o.AllowedHosts}
	s.ui = newUI(s)
	s.routes()
	return s
}

// ServeHTTP implements http.Handler: every request passes guard first.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, msg := s.guard(r); status != 0 {
		s.log.Warn("qbdsim: request refused", "method", r.Method, "path", r.URL.Path, "status", status, "reason", msg)
		writeJSON(w, status, simclient.ErrorResponse{Message: msg})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// routes lists every route in one place.
func (s *Server) routes() {
	m := s.mux
	rp := simclient.PathPrefix
	m.HandleFunc("POST "+rp+"/connections", s.rpOpen)
	m.HandleFunc("PUT "+rp+"/connections/{conn}/auth-preferences", s.rpAuthPrefs)
	m.HandleFunc("POST "+rp+"/connections/{conn}/sessions", s.rpBegin)
	m.HandleFunc("GET "+rp+"/connections/{conn}/sessions/{ticket}", s.rpSession)
	m.HandleFunc("POST "+rp+"/connections/{conn}/sessions/{ticket}/requests", s.rpProcess)
	m.HandleFunc("DELETE "+rp+"/connections/{conn}/sessions/{ticket}", s.rpEnd)
	m.HandleFunc("DELETE "+rp+"/connections/{conn}", s.rpClose)

	m.HandleFunc("GET /api/v1/state", s.apiState)
	m.HandleFunc("POST /api/v1/qb/start", s.apiStart)
	m.HandleFunc("POST /api/v1/qb/stop", s.apiStop)
	m.HandleFunc("POST /api/v1/open", s.apiOpen)
	m.HandleFunc("POST /api/v1/close-file", s.apiCloseFile)
	m.HandleFunc("GET /api/v1/files", s.apiFiles)
	m.HandleFunc("GET /api/v1/files/{file}/apps", s.apiApps)
	m.HandleFunc("PATCH /api/v1/files/{file}/prefs", s.apiCompanyPrefs)
	m.HandleFunc("PATCH /api/v1/files/{file}/apps/{key}", s.apiSetApp)
	m.HandleFunc("DELETE /api/v1/files/{file}/apps/{key}", s.apiRemoveApp)
	m.HandleFunc("GET /api/v1/dialogs", s.apiDialogs)
	m.HandleFunc("GET /api/v1/dialogs/{id}", s.apiDialog)
	m.HandleFunc("POST /api/v1/dialogs/{id}/answer", s.apiAnswer)
	m.HandleFunc("POST /api/v1/dialogs/{id}/done", s.apiDone)
	m.HandleFunc("POST /api/v1/modal", s.apiModal)
	m.HandleFunc("DELETE /api/v1/modal", s.apiDismissModal)
	m.HandleFunc("GET /api/v1/faults", s.apiFaults)
	m.HandleFunc("POST /api/v1/faults", s.apiInjectFault)
	m.HandleFunc("DELETE /api/v1/faults", s.apiClearFaults)
	m.HandleFunc("DELETE /api/v1/faults/{id}", s.apiRemoveFault)
	m.HandleFunc("PUT /api/v1/policy", s.apiPolicy)
	m.HandleFunc("PUT /api/v1/clock", s.apiClock)
	m.HandleFunc("PUT /api/v1/latency", s.apiLatency)
	m.HandleFunc("PUT /api/v1/initializing", s.apiInitializing)
	m.HandleFunc("PUT /api/v1/cannot-start", s.apiCannotStart)
	m.HandleFunc("POST /api/v1/exec", s.apiExec)

	m.HandleFunc("GET /{$}", s.ui.index)
	m.HandleFunc("GET /static/qb.css", s.ui.css)
	m.HandleFunc("GET /dialogs/{id}", s.ui.dialog)
	m.HandleFunc("POST /dialogs/{id}/answer", s.ui.answer)
	m.HandleFunc("POST /dialogs/{id}/done", s.ui.done)
	m.HandleFunc("GET /files/{file}/apps", s.ui.apps)
	m.HandleFunc("POST /files/{file}/prefs", s.ui.companyPrefs)
	m.HandleFunc("POST /files/{file}/apps/{key}/allow", s.ui.toggleAllow)
	m.HandleFunc("POST /files/{file}/apps/{key}/remove", s.ui.remove)
	m.HandleFunc("GET /files/{file}/apps/{key}", s.ui.properties)
	m.HandleFunc("POST /files/{file}/apps/{key}", s.ui.saveProperties)
	m.HandleFunc("POST /qb/start", s.ui.start)
	m.HandleFunc("POST /qb/stop", s.ui.stop)
	m.HandleFunc("POST /open", s.ui.open)
	m.HandleFunc("POST /close-file", s.ui.closeFile)
	m.HandleFunc("POST /modal/dismiss", s.ui.dismissModal)
	m.HandleFunc("POST /policy", s.ui.policy)
}

// Serve listens on addr (DefaultAddr when empty) and serves until ctx ends,
// then shuts down gracefully. ready, if not nil, receives the bound address.
func Serve(ctx context.Context, addr string, h http.Handler, logger *slog.Logger, ready func(net.Addr)) error {
	if addr == "" {
		addr = DefaultAddr
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("qbdsim: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	if ready != nil {
		ready(ln.Addr())
	}
	logger.Info("qbdsim: serving", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			srv.Close()
		}
		<-errc
		return nil
	}
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	}
}

// writeError writes err as a simclient.ErrorResponse with a fitting status.
func writeError(w http.ResponseWriter, err error) {
	var qe *qbd.Error
	switch {
	case errors.Is(err, qbd.ErrAuthPending):
		writeJSON(w, http.StatusConflict, simclient.ErrorResponse{Message: qbd.ErrAuthPending.Error(), AuthPending: true})
	case errors.As(err, &qe):
		body := simclient.ErrorResponse{HRESULT: qbd.FormatHRESULT(qe.HRESULT), Message: qe.Message}
		if qe.Err != nil {
			body.Detail = qe.Err.Error()
		}
		writeJSON(w, http.StatusConflict, body)
	case errors.Is(err, qbdsim.ErrNoSuchDialog), errors.Is(err, qbdsim.ErrNoSuchApp), errors.Is(err, errNotFound):
		writeJSON(w, http.StatusNotFound, simclient.ErrorResponse{Message: err.Error()})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusServiceUnavailable, simclient.ErrorResponse{Message: err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, simclient.ErrorResponse{Message: err.Error()})
	}
}

var errNotFound = errors.New("not found")

// readJSON decodes a JSON body into v, refusing unknown fields.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON body: %w", err)
	}
	return nil
}

// sameOrigin refuses cross-site form posts to the web UI: a page elsewhere
// must not answer QuickBooks' dialogs.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	return true
}
