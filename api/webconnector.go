package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// WebConnector is the QuickBooks Web Connector endpoint (package qbwc's
// Server): it answers /qbwc itself, SOAP faults included, and generates
// .qwc files.
type WebConnector interface {
	http.Handler
	// QWCFile returns the .qwc file of a webconnector connection (see
	// qbwc.Server.QWCFile); EConflict for another kind of connection or
	// an address the Web Connector cannot use.
	QWCFile(ctx context.Context, conn *qbconnect.Connection, companyName, base string, newPassword bool) (*qbconnect.WebConnectorFile, error)
}

// registerQBWC mounts the Web Connector endpoint and the .qwc
// download when Config.WebConnector is set.
func (s *Server) registerQBWC(rs *routeSet) {
	if s.cfg.WebConnector == nil {
		return
	}
	soap := func(w http.ResponseWriter, r *http.Request) error {
		s.cfg.WebConnector.ServeHTTP(w, r)
		return nil
	}
	rs.add("POST", "/qbwc", AuthNone, soap)
	rs.add("GET", "/qbwc", AuthNone, soap) // and HEAD: the Web Connector's certificate probe
	rs.add("GET", "/qbwc/support", AuthNone, soap)
	rs.add("GET", "/v1/companies/{companyId}/connections/{connectionId}/qwc", AuthAPIKey, s.getQWC)
}

// getQWC answers the .qwc file of a webconnector connection. Its password
// is in the answer the first time and with ?newPassword=true (which
// replaces the old one); OwnerID and FileID never change.
func (s *Server) getQWC(w http.ResponseWriter, r *http.Request) error {
	newPassword := false
	for k, v := range r.URL.Query() {
		switch {
		case k == "newPassword" && len(v) == 1 && (v[0] == "true" || v[0] == "false"):
			newPassword = v[0] == "true"
		case k == "newPassword":
			return qbconnect.Errorf(qbconnect.EInvalid, "newPassword must be true or false")
		default:
			return qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q (accepted: newPassword)", k)
		}
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	conn, err := s.connection(r)
	if err != nil {
		return err
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	f, err := s.cfg.WebConnector.QWCFile(r.Context(), conn, c.Name, scheme+"://"+r.Host, newPassword)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}
