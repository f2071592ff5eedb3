package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/qbconnect/qbconnect"
)

func (s *Server) registerHealth(rs *routeSet) {
	rs.add("GET", "/healthz", AuthNone, s.healthz)
	rs.add("GET", "/readyz", AuthNone, s.readyz)
	rs.add("GET", "/metrics", AuthNone, s.serveMetrics)
}

// healthz answers 200 while the process runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers 200 when the server can serve: the database is reachable
// and migrated (Config.Ready), and the server is not shutting down.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	select {
	case <-s.stopping:
		return qbconnect.Errorf(qbconnect.EUnavailable, "the server is shutting down")
	default:
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r); err != nil {
			return &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "not ready: " + err.Error(), Err: err}
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}
