package control

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// connectorConnections returns the connector's connections by ID, marking
// online again those that a sweep had marked offline. With remembered, the
// dispatcher may answer from memory (a poll); a state report reads them.
func (p *Plane) connectorConnections(ctx context.Context, c *qbconnect.Connector, remembered bool) (map[string]*qbconnect.Connection, error) {
	load := p.cfg.Connections.ConnectorConnections
	if remembered {
		load = p.cfg.Dispatch.ConnectorConnections
	}
	conns, err := load(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*qbconnect.Connection, len(conns))
	for _, conn := range conns {
		byID[conn.ID] = conn
		if conn.Status == qbconnect.StatusLinked &&
			(conn.Health.Code == qbconnect.HealthConnectorOffline || conn.Health.Code == qbconnect.HealthNeverConnected || conn.Health.Code == "") {
			h := qbconnect.Health{
				Code:          qbconnect.HealthOK,
				Message:       "The connector is online.",
				Since:         p.cfg.Now(),
				LastRequestAt: conn.Health.LastRequestAt,
				LastSuccessAt: conn.Health.LastSuccessAt,
			}
			if err := p.conns.SetHealth(ctx, conn.ID, h); err != nil {
				return nil, err
			}
			conn.Health = h
		}
	}
	return byID, nil
}

// Poll leases the connector's next item, waiting up to wait (capped at
// MaxPollWait) for one. It answers ReportState instead when the
// connector's connections changed (paused, resumed, unlinked) since it was
// last told, and an empty response when nothing came.
func (p *Plane) Poll(ctx context.Context, c *qbconnect.Connector, wait time.Duration) (*gateway.PollResponse, error) {
	return p.poll(ctx, c, wait)
}

// poll is Poll's body.
func (p *Plane) poll(ctx context.Context, c *qbconnect.Connector, wait time.Duration) (*gateway.PollResponse, error) {
	wait = min(max(wait, 0), p.cfg.MaxPollWait)
	p.online.startPoll(c.ID)
	defer func() { p.online.endPoll(c.ID, p.cfg.Now()) }()
	conns, err := p.connectorConnections(ctx, c, true)
	if err != nil {
		return nil, err
	}
	before := signatures(slices.Collect(maps.Values(conns)))
	if p.pauses.stale(c.ID, before) {
		// Changed while the connector was busy: it hears it now.
		return &gateway.PollResponse{ReportState: true}, nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for first := true; ; first = false {
		// Wait before claiming, so that work enqueued in between wakes
		// us. The dispatcher claims only when work may be runnable. The
		// first claim of a poll re-offers the items the platform still
		// sees leased to the connector: a connector polls only between
		// items (after delivering every answer it journalled), so such an
		// item was lost (its answer never arrived, or it crashed before
		// journalling it). It gets the item again now rather than after
		// the lease time-out, which would hold up the whole queue of its
		// companies.
		woken := p.cfg.Dispatch.Wait(c.ID)
		item, err := p.claim(ctx, c, conns, first)
		if err != nil {
			return nil, err
		}
		if item != nil {
			return &gateway.PollResponse{Item: item}, nil
		}
		if p.cfg.OnPollWait != nil {
			p.cfg.OnPollWait(c.ID)
		}
		select {
		case <-woken:
			// A connection paused, resumed or unlinked through the API
			// wakes the poll too: the connector must hear about it now.
			changed, err := p.connectionsChanged(ctx, c, before)
			if err != nil {
				return nil, err
			}
			if changed {
				return &gateway.PollResponse{ReportState: true}, nil
			}
		case <-timer.C:
			return &gateway.PollResponse{}, nil
		case <-p.stopping:
			return &gateway.PollResponse{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// claim leases the connector's next runnable item, or returns nil. With
// reoffer (a poll's first claim) it first ends the connector's live
// leases, whose items it lost; the claim for a result's next item
// (nextItem) does not, since that connector just finished its item.
func (p *Plane) claim(ctx context.Context, c *qbconnect.Connector, conns map[string]*qbconnect.Connection, reoffer bool) (*gateway.WorkItem, error) {
	lease, n, err := p.cfg.Dispatch.Claim(ctx, c.ID, p.cfg.LeaseTTL, reoffer)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		p.cfg.Observer.LeasesReoffered(n)
		p.cfg.Logger.InfoContext(ctx, "gateway: connector polled while holding a lease; its item is offered again",
			"connector", c.ID, "leases", n)
	}
	if lease == nil {
		return nil, nil
	}
	return p.workItem(ctx, c, lease, conns)
}

// nextItem leases the connector's next item for the answer to a result it
// posted with Result.Next: the poll's claim, without waiting and without
// its re-offer. Every rule of a poll's lease holds (one item in flight per
// connector, nothing for a paused, needs-user or unlinked connection,
// priorities), for they are the claim's. It returns nil when the
// connector's connections changed since it was last told, so that the
// connector polls and hears of the change (PollResponse.ReportState)
// before it runs more.
func (p *Plane) nextItem(ctx context.Context, c *qbconnect.Connector) (*gateway.WorkItem, error) {
	conns, err := p.connectorConnections(ctx, c, true)
	if err != nil {
		return nil, err
	}
	if p.pauses.changed(c.ID, signatures(slices.Collect(maps.Values(conns)))) {
		return nil, nil
	}
	return p.claim(ctx, c, conns, false)
}

func (p *Plane) workItem(ctx context.Context, c *qbconnect.Connector, lease *qbconnect.Lease, conns map[string]*qbconnect.Connection) (*gateway.WorkItem, error) {
	op := lease.Operation
	conn := conns[op.ConnectionID]
	if conn == nil { // linked since the poll began
		var err error
		if conn, err = p.cfg.Connections.LookupConnection(ctx, op.ConnectionID); err != nil {
			return nil, err
		}
	}
	ready := op.CreatedAt
	if op.NotBefore.After(ready) {
		ready = op.NotBefore
	}
	if op.Attempts <= 1 {
		p.cfg.Observer.ItemWaited(max(p.cfg.Now().Sub(ready), 0))
	}
	p.cfg.Logger.DebugContext(ctx, "gateway: item leased", "connector", c.ID, "op", op.ID, "lease", lease.LeaseID)
	return &gateway.WorkItem{
		ID:             op.ID,
		LeaseID:        lease.LeaseID,
		ConnectionID:   op.ConnectionID,
		CompanyID:      op.CompanyID,
		File:           gateway.FileIdentity(conn.File),
		Kind:           string(op.Kind),
		Request:        op.Request,
		MessageSetID:   op.MessageSetID,
		Attempt:        op.Attempts,
		LeaseExpiresAt: lease.ExpiresAt,
		Deadline:       op.Deadline,
	}, nil
}

// OwnOperation returns operation id if it belongs to one of the
// connector's connections; any other ID is ENotFound, like an unknown one.
// The connections are the dispatcher's, as a poll's are: out of date at
// most by a notification on its way from another process.
func (p *Plane) OwnOperation(ctx context.Context, c *qbconnect.Connector, id string) (*qbconnect.Operation, error) {
	notFound := qbconnect.Errorf(qbconnect.ENotFound, "work item not found")
	if id == "" {
		return nil, notFound
	}
	conns, err := p.cfg.Dispatch.ConnectorConnections(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	tried := map[string]bool{}
	for _, conn := range conns {
		if tried[conn.OrgID] {
			continue
		}
		tried[conn.OrgID] = true
		op, err := p.cfg.Queue.FindOperation(ctx, conn.OrgID, id)
		if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, conn := range conns {
			if conn.ID == op.ConnectionID {
				return op, nil
			}
		}
		return nil, notFound
	}
	return nil, notFound
}

// ExtendLease extends the lease of one of the connector's items; EConflict
// when the lease is no longer current.
func (p *Plane) ExtendLease(ctx context.Context, c *qbconnect.Connector, req gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	if req.LeaseID == "" {
		return nil, invalid("leaseId is required")
	}
	op, err := p.OwnOperation(ctx, c, req.ItemID)
	if err != nil {
		return nil, err
	}
	exp, err := p.cfg.Queue.ExtendLease(ctx, op.ID, req.LeaseID, p.cfg.LeaseTTL)
	if err != nil {
		return nil, err
	}
	return &gateway.LeaseResponse{LeaseExpiresAt: exp}, nil
}

// ServedConnection returns a Linked connection the connector serves; any
// other ID is ENotFound, like an unknown one.
func (p *Plane) ServedConnection(ctx context.Context, c *qbconnect.Connector, id string) (*qbconnect.Connection, error) {
	conns, err := p.cfg.Connections.ConnectorConnections(ctx, c.ID)
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

// SyncNow queues a sync of one of the connector's connections now, for its
// Perform Sync button. EUnavailable without a sync engine.
func (p *Plane) SyncNow(ctx context.Context, c *qbconnect.Connector, connectionID string) error {
	conn, err := p.ServedConnection(ctx, c, connectionID)
	if err != nil {
		return err
	}
	if p.cfg.Sync == nil {
		return &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform has no sync engine configured",
			UserMessage: "The platform cannot start a sync right now.", Resolution: "Try again later; scheduled syncs still run."}
	}
	_, err = p.cfg.Sync.SyncNow(ctx, conn.OrgID, conn.CompanyID, qbconnect.SyncRequest{})
	return err
}

// Unlink unlinks one of the connector's connections at its request.
func (p *Plane) Unlink(ctx context.Context, c *qbconnect.Connector, connectionID string) error {
	conn, err := p.ServedConnection(ctx, c, connectionID)
	if err != nil {
		return err
	}
	if err := p.conns.UnlinkConnection(ctx, conn.OrgID, conn.ID); err != nil {
		return err
	}
	p.cfg.Logger.InfoContext(ctx, "gateway: connection unlinked by its connector", "connection", conn.ID)
	return nil
}
