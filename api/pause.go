package api

import (
	"net/http"
	"time"
)

// The REST side of pausing a connection (POST .../pause and .../resume);
// the control plane keeps the pause (control.Plane.SetPause).

func (s *Server) registerPause(rs *routeSet) {
	const base = "/v1/companies/{companyId}/connections/{connectionId}"
	rs.add("POST", base+"/pause", AuthAPIKey, s.pauseConnection)
	rs.add("POST", base+"/resume", AuthAPIKey, s.resumeConnection)
}

// pauseRequest is the optional body of POST .../pause.
type pauseRequest struct {
	// Until ends the pause by itself; absent means until resumed.
	Until *time.Time `json:"until"`
}

// pauseConnection pauses a connection: its queued work waits, and its
// connector shows the pause on the company file's card.
func (s *Server) pauseConnection(w http.ResponseWriter, r *http.Request) error {
	var req pauseRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	now := s.cfg.Now()
	if req.Until != nil {
		if !req.Until.After(now) {
			return invalid("until must be in the future, not %s", req.Until.UTC().Format(time.RFC3339))
		}
		u := req.Until.UTC()
		req.Until = &u
	}
	return s.setPause(w, r, true, req.Until)
}

// resumeConnection ends a connection's pause, whoever set it.
func (s *Server) resumeConnection(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	return s.setPause(w, r, false, nil)
}

func (s *Server) setPause(w http.ResponseWriter, r *http.Request, paused bool, until *time.Time) error {
	conn, err := s.connection(r)
	if err != nil {
		return err
	}
	updated, err := s.ctl.SetPause(r.Context(), conn, paused, until)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, updated)
	return nil
}
