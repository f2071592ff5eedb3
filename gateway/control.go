package gateway

import (
	"context"
)

// Endpoints with which a connector acts on one of its connections for the
// end user (an additive part of v1).
const (
	// PathSync asks the platform to queue a sync of the connection's
	// company now (the connector's Perform Sync button).
	PathSync = PathPrefix + "/connections/{connectionId}/sync"
	// PathConnection is a connection the connector serves; DELETE unlinks
	// it (qbconnector unlink).
	PathConnection = PathPrefix + "/connections/{connectionId}"
)

// SyncResponse answers a sync request.
type SyncResponse struct {
	// Queued is true when a sync was queued (or one was already queued).
	Queued bool `json:"queued"`
}

// Control is what a connector may ask the platform about one of its
// connections beyond Service. gatewayclient.Client implements it; connectors find it by
// type assertion on their Service, so that a Service without it still
// works.
type Control interface {
	// RequestSync queues a sync of the connection's company now. Code
	// "not_found" for a connection the connector does not serve,
	// "unavailable" when the platform cannot sync now.
	RequestSync(ctx context.Context, connectionID string) (*SyncResponse, error)
	// Unlink unlinks a connection the connector serves; its queued work is
	// cancelled. Code "not_found" for a connection it does not serve.
	Unlink(ctx context.Context, connectionID string) error
}
