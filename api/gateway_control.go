package api

import (
	"context"
	"net/http"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// The connector's requests about one of its connections: Perform Sync and
// unlink (gateway.Control).

func (s *Server) registerGatewayControl(rs *routeSet) {
	rs.add("POST", gateway.PathSync, AuthConnector, s.handleSyncNow)
	rs.add("DELETE", gateway.PathConnection, AuthConnector, s.handleConnectorUnlink)
}

// servedConnection returns a Linked connection the connector serves; any
// other ID is ENotFound, like an unknown one.
func (s *Server) servedConnection(ctx context.Context, c *qbconnect.Connector, id string) (*qbconnect.Connection, error) {
	conns, err := s.cfg.Connections.ConnectorConnections(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, conn := range conns {
		if conn.ID == id && conn.Status == qbconnect.StatusLinked {
			return conn, nil
		}
	}
	return nil, qbconnect.Errorf(qbconnect.ENotFound, "connection not found")
}

func (s *Server) handleSyncNow(w http.ResponseWriter, r *http.Request) error {
	if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	ctx := r.Context()
	conn, err := s.servedConnection(ctx, connectorOf(ctx), r.PathValue("connectionId"))
	if err != nil {
		return err
	}
	if s.cfg.SyncNow == nil {
		return &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform has no sync engine configured",
			UserMessage: "The platform cannot start a sync right now.", Resolution: "Try again later; scheduled syncs still run."}
	}
	if err := s.cfg.SyncNow(ctx, conn); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gateway.SyncResponse{Queued: true})
	return nil
}

func (s *Server) handleConnectorUnlink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	conn, err := s.servedConnection(ctx, connectorOf(ctx), r.PathValue("connectionId"))
	if err != nil {
		return err
	}
	if err := s.cfg.Connections.UnlinkConnection(ctx, conn.OrgID, conn.ID); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(ctx, "gateway: connection unlinked by its connector", "connection", conn.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
