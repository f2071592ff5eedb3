package api

import (
	"context"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Dispatch is what the gateway's long-poll needs to serve idle connectors
// without a database query each: the in-memory dispatcher of the store
// (store.Dispatcher, which the platform sets in Config.Dispatch). Without
// one, every call goes to the Queue and the ConnectionService, as each poll
// always did.
type Dispatch interface {
	// AuthenticateConnector is ConnectionService.AuthenticateConnector,
	// remembered per credential until it is revoked.
	AuthenticateConnector(ctx context.Context, credential string) (*qbconnect.Connector, error)
	// ConnectorConnections is ConnectionService.ConnectorConnections,
	// remembered until any of them changes.
	ConnectorConnections(ctx context.Context, connectorID string) ([]*qbconnect.Connection, error)
	// Claim is Queue.Lease, answered nil without a query while no work can
	// be runnable; with reoffer it ends the connector's live leases first
	// (Queue.ReofferLeases) and returns how many.
	Claim(ctx context.Context, connectorID string, ttl time.Duration, reoffer bool) (*qbconnect.Lease, int, error)
	// Wait is Queue.Wait.
	Wait(connectorID string) <-chan struct{}
}

// dispatch returns the configured Dispatch, or one that calls the services.
func (s *Server) dispatch() Dispatch {
	if s.cfg.Dispatch != nil {
		return s.cfg.Dispatch
	}
	return directDispatch{s}
}

type directDispatch struct{ s *Server }

func (d directDispatch) AuthenticateConnector(ctx context.Context, credential string) (*qbconnect.Connector, error) {
	return d.s.cfg.Connections.AuthenticateConnector(ctx, credential)
}

func (d directDispatch) ConnectorConnections(ctx context.Context, connectorID string) ([]*qbconnect.Connection, error) {
	return d.s.cfg.Connections.ConnectorConnections(ctx, connectorID)
}

func (d directDispatch) Claim(ctx context.Context, connectorID string, ttl time.Duration, reoffer bool) (*qbconnect.Lease, int, error) {
	n := 0
	if reoffer {
		var err error
		if n, err = d.s.cfg.Queue.ReofferLeases(ctx, connectorID); err != nil {
			return nil, 0, err
		}
	}
	lease, err := d.s.cfg.Queue.Lease(ctx, connectorID, ttl)
	return lease, n, err
}

func (d directDispatch) Wait(connectorID string) <-chan struct{} {
	return d.s.cfg.Queue.Wait(context.Background(), connectorID)
}
