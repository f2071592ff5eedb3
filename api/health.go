package api

import (
	"fmt"
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
	case <-s.ctl.Stopping():
		return qbconnect.Errorf(qbconnect.EUnavailable, "the server is shutting down")
	default:
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r); err != nil {
			// The driver's error names the database's user, host and
			// name: it goes to the log, and the public answer says only
			// what is wrong.
			s.cfg.Logger.WarnContext(r.Context(), "readyz: not ready", "err", err)
			return &qbconnect.Error{Code: qbconnect.EUnavailable,
				Message:    "not ready: the database is unreachable or not migrated",
				Resolution: "The operator finds the cause in the server's log.", Err: err}
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	// A collector that cannot read the database leaves its metrics out
	// (and says so in qbconnect_database_up); every other metric is still
	// served, which is when an operator needs them most.
	promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError,
		ErrorLog: slogPromLogger{s}}).ServeHTTP(w, r)
	return nil
}

// slogPromLogger logs a collector's failure during a scrape.
type slogPromLogger struct{ s *Server }

func (l slogPromLogger) Println(v ...any) { l.s.cfg.Logger.Warn("metrics: " + fmt.Sprint(v...)) }
