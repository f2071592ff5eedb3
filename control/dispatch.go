package control

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

// directDispatch asks the services every time: the Plane's Dispatch when
// Config.Dispatch is nil.
type directDispatch struct{ cfg *Config }

func (d directDispatch) AuthenticateConnector(ctx context.Context, credential string) (*qbconnect.Connector, error) {
	return d.cfg.Connections.AuthenticateConnector(ctx, credential)
}

func (d directDispatch) ConnectorConnections(ctx context.Context, connectorID string) ([]*qbconnect.Connection, error) {
	return d.cfg.Connections.ConnectorConnections(ctx, connectorID)
}

func (d directDispatch) Claim(ctx context.Context, connectorID string, ttl time.Duration, reoffer bool) (*qbconnect.Lease, int, error) {
	n := 0
	if reoffer {
		var err error
		if n, err = d.cfg.Queue.ReofferLeases(ctx, connectorID); err != nil {
			return nil, 0, err
		}
	}
	lease, err := d.cfg.Queue.Lease(ctx, connectorID, ttl)
	return lease, n, err
}

func (d directDispatch) Wait(connectorID string) <-chan struct{} {
	return d.cfg.Queue.Wait(context.Background(), connectorID)
}
