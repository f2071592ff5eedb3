package api

import (
	"net/http"
	"time"

	"github.com/qbconnect/qbconnect"
)

func (s *Server) registerConnections(rs *routeSet) {
	const base = "/v1/companies/{companyId}/connections"
	rs.add("POST", base, AuthAPIKey, s.createConnection)
	rs.add("GET", base, AuthAPIKey, s.listConnections)
	rs.add("GET", base+"/{connectionId}", AuthAPIKey, s.getConnection)
	rs.add("DELETE", base+"/{connectionId}", AuthAPIKey, s.unlinkConnection)
	rs.add("POST", base+"/{connectionId}/link-codes", AuthAPIKey, s.createLinkCode)
}

// Bounds of a link code's lifetime.
const (
	minLinkCodeTTL = time.Minute
	maxLinkCodeTTL = 7 * 24 * time.Hour
	maxPathLen     = 1024
)

// connectionRequest is the body of POST .../connections.
type connectionRequest struct {
	// Kind is "connector" (the default) or "webconnector".
	// The company file is not named here: the connector reports the one it
	// links (the Web Connector its first session's).
	Kind qbconnect.ConnectionKind `json:"kind"`
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) error {
	var req connectionRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	switch req.Kind {
	case "":
		req.Kind = qbconnect.KindConnector
	case qbconnect.KindConnector, qbconnect.KindWebConnector:
	default:
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"kind\" must be %q or %q, not %q",
			qbconnect.KindConnector, qbconnect.KindWebConnector, req.Kind)
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	conn := &qbconnect.Connection{
		OrgID:     c.OrgID,
		CompanyID: c.ID,
		Kind:      req.Kind,
		Status:    qbconnect.StatusPendingAuth,
	}
	if err := s.cfg.Connections.CreateConnection(r.Context(), conn); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/companies/"+c.ID+"/connections/"+conn.ID)
	writeJSON(w, http.StatusCreated, conn)
	return nil
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this endpoint takes no query parameters")
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	conns, err := s.cfg.Connections.ListConnections(r.Context(), c.OrgID, c.ID)
	if err != nil {
		return err
	}
	if conns == nil {
		conns = []*qbconnect.Connection{}
	}
	writeJSON(w, http.StatusOK, pageOfList(conns, ""))
	return nil
}

// connection returns the {connectionId} of the path, which must belong to
// the {companyId} of the path in the caller's organisation.
func (s *Server) connection(r *http.Request) (*qbconnect.Connection, error) {
	c, err := s.company(r)
	if err != nil {
		return nil, err
	}
	conn, err := s.cfg.Connections.FindConnection(r.Context(), c.OrgID, r.PathValue("connectionId"))
	if err != nil {
		return nil, notFound(err, "connection")
	}
	if conn.CompanyID != c.ID {
		return nil, qbconnect.Errorf(qbconnect.ENotFound, "connection not found")
	}
	return conn, nil
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.connection(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conn)
	return nil
}

// unlinkConnection marks the connection Unlinked, cancels its queued work
// and answers with the connection as it now is.
func (s *Server) unlinkConnection(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.connection(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Connections.UnlinkConnection(r.Context(), conn.OrgID, conn.ID); err != nil {
		return err
	}
	conn, err = s.cfg.Connections.FindConnection(r.Context(), conn.OrgID, conn.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conn)
	return nil
}

// linkCodeRequest is the optional body of POST .../link-codes.
type linkCodeRequest struct {
	// ExpiresIn is the code's lifetime; zero means the server default.
	ExpiresIn qbconnect.Duration `json:"expiresIn"`
}

// createLinkCode issues a single-use link code for a connector connection.
// The code is in this answer only.
func (s *Server) createLinkCode(w http.ResponseWriter, r *http.Request) error {
	var req linkCodeRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	ttl := time.Duration(req.ExpiresIn)
	if ttl == 0 {
		ttl = s.cfg.LinkCodeTTL
	}
	if ttl < minLinkCodeTTL || ttl > maxLinkCodeTTL {
		return qbconnect.Errorf(qbconnect.EInvalid, "expiresIn must be from %s to %s, not %s", minLinkCodeTTL, maxLinkCodeTTL, ttl)
	}
	conn, err := s.connection(r)
	if err != nil {
		return err
	}
	switch {
	case conn.Kind != qbconnect.KindConnector:
		return qbconnect.Errorf(qbconnect.EConflict, "link codes are for connector connections; this one is %s", conn.Kind)
	case conn.Status == qbconnect.StatusUnlinked || conn.Status == qbconnect.StatusDeauthorized:
		return qbconnect.Errorf(qbconnect.EConflict, "the connection is %s; create a new connection to link again", conn.Status)
	}
	lc, err := s.cfg.Connections.CreateLinkCode(r.Context(), conn.OrgID, conn.ID, ttl)
	if err != nil {
		return err
	}
	// A link code has no address of its own: the resource it creates is
	// the link, seen on the connection.
	w.Header().Set("Location", "/v1/companies/"+conn.CompanyID+"/connections/"+conn.ID)
	writeJSON(w, http.StatusCreated, lc)
	return nil
}
