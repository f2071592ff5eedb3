package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/gateway"
)

// The connector gateway's server side: it decodes the wire calls of
// package gateway, calls the control plane, and encodes its answers.

func (s *Server) registerGateway(rs *routeSet) {
	rs.add("POST", gateway.PathLink, AuthOptionalConnector, s.handleLink)
	rs.add("GET", gateway.PathWork, AuthConnector, s.handlePoll)
	rs.add("POST", gateway.PathResult, AuthConnector, s.handleResult)
	rs.add("POST", gateway.PathLease, AuthConnector, s.handleLease)
	rs.add("POST", gateway.PathState, AuthConnector, s.handleState)
	s.registerGatewayControl(rs) // gateway_control.go
	s.registerPause(rs)          // gateway_pause.go: REST pause and resume
}

// HTTP handlers.

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) error {
	key, now := s.clientKey(r), s.cfg.Now()
	n, ends, err := s.linkAttempts.Failures(r.Context(), key, now, linkFailureWindow)
	if err != nil {
		return err
	}
	if n >= maxLinkFailures {
		w.Header().Set("Retry-After", strconv.Itoa(int(ends.Sub(now).Seconds())+1))
		return &qbconnect.Error{Code: qbconnect.ERateLimited,
			Message:    "too many failed link attempts from this address",
			Resolution: "Wait a few minutes, then enter the link code again."}
	}
	var req gateway.LinkRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	resp, err := s.ctl.Link(r.Context(), connectorOf(r.Context()), req)
	if err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.EUnauthorized {
			if ferr := s.linkAttempts.Fail(r.Context(), key, s.cfg.Now(), linkFailureWindow); ferr != nil {
				s.cfg.Logger.ErrorContext(r.Context(), "gateway: counting a failed link attempt", "client", key, "err", ferr)
			}
		}
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) error {
	wait := time.Duration(0)
	for k := range r.URL.Query() {
		if k != "wait" {
			return invalid("unknown query parameter %q (accepted: wait)", k)
		}
	}
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return invalid("wait must be a duration such as \"30s\", not %q", v)
		}
		wait = d
	}
	resp, err := s.ctl.Poll(r.Context(), connectorOf(r.Context()), wait)
	if err != nil {
		return err
	}
	if resp.Item == nil && !resp.ReportState {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handleResult(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return invalid("Content-Type must be application/json, not %q", ct)
	}
	// Other query parameters are ignored, as they always were: a
	// connector that asks for its next item (?next=1) from a platform
	// that predates it gets an answer without one.
	var next bool
	switch v := r.URL.Query().Get(gateway.QueryNext); v {
	case "1", "true":
		next = true
	case "", "0", "false":
	default:
		return invalid("next must be 1 or 0, not %q", v)
	}
	// The item must be one of the connector's before a byte of the body
	// is read: a body is up to MaxResultDecoded once inflated.
	// A refused body is not drained either (net/http would read up to
	// 256 KiB of it to keep the connection): the connection closes.
	c := connectorOf(r.Context())
	op, err := s.ctl.OwnOperation(r.Context(), c, r.PathValue("itemId"))
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	data, release, err := s.readResultBody(w, r)
	defer release()
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	var res gateway.Result
	if err := unmarshalStrict(data, &res, false); err != nil {
		return err
	}
	res.ItemID, res.Next = op.ID, next
	if err := control.ValidateResult(res); err != nil {
		return err
	}
	ack, err := s.ctl.RecordResult(r.Context(), c, op, res)
	if err != nil {
		return err
	}
	if next {
		// Asked, the answer says "next": null rather than nothing when
		// there is no item, so that it is told from an older platform's.
		writeJSON(w, http.StatusOK, struct {
			*gateway.ResultAck
			Next *gateway.WorkItem `json:"next"`
		}{ack, ack.Next})
		return nil
	}
	writeJSON(w, http.StatusOK, ack)
	return nil
}

func (s *Server) handleLease(w http.ResponseWriter, r *http.Request) error {
	var req gateway.LeaseRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	req.ItemID = r.PathValue("itemId")
	resp, err := s.ctl.ExtendLease(r.Context(), connectorOf(r.Context()), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) error {
	var st gateway.State
	if err := decodeJSON(w, r, &st, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	resp, err := s.ctl.ReportState(r.Context(), connectorOf(r.Context()), st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// GatewayService returns the gateway for the connector holding credential,
// in process (control.Plane.Gateway): the same calls as the HTTP Client,
// without HTTP.
func (s *Server) GatewayService(credential string) gateway.Service {
	return s.ctl.Gateway(credential)
}
