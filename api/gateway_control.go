package api

import (
	"net/http"

	"github.com/qbconnect/qbconnect/gateway"
)

// The connector's requests about one of its connections: Perform Sync and
// unlink (gateway.Control).

func (s *Server) registerGatewayControl(rs *routeSet) {
	rs.add("POST", gateway.PathSync, AuthConnector, s.handleSyncNow)
	rs.add("DELETE", gateway.PathConnection, AuthConnector, s.handleConnectorUnlink)
}

func (s *Server) handleSyncNow(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.ctl.SyncNow(ctx, connectorOf(ctx), r.PathValue("connectionId")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gateway.SyncResponse{Queued: true})
	return nil
}

func (s *Server) handleConnectorUnlink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.ctl.Unlink(ctx, connectorOf(ctx), r.PathValue("connectionId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
