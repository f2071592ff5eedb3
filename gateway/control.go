package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
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
// connections beyond Service. Client implements it; connectors find it by
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

var _ Control = (*Client)(nil)

func connectionPath(pattern, id string) (string, error) {
	if id == "" {
		return "", errors.New("gateway: connection ID is empty")
	}
	return strings.Replace(pattern, "{connectionId}", url.PathEscape(id), 1), nil
}

// RequestSync implements Control.
func (c *Client) RequestSync(ctx context.Context, connectionID string) (*SyncResponse, error) {
	path, err := connectionPath(PathSync, connectionID)
	if err != nil {
		return nil, err
	}
	body, err := c.encode(struct{}{}, false)
	if err != nil {
		return nil, err
	}
	var resp SyncResponse
	if err := c.retry(ctx, func() error {
		_, err := c.do(ctx, http.MethodPost, path, nil, body, true, &resp)
		return err
	}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Unlink implements Control.
func (c *Client) Unlink(ctx context.Context, connectionID string) error {
	path, err := connectionPath(PathConnection, connectionID)
	if err != nil {
		return err
	}
	return c.retry(ctx, func() error {
		_, err := c.do(ctx, http.MethodDelete, path, nil, nil, true, nil)
		return err
	})
}
