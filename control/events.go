package control

import (
	"context"
	"encoding/json"

	"github.com/qbconnect/qbconnect"
)

// Events records the platform's events for webhooks.
type Events interface {
	// Emit records an event durably and starts its deliveries (which are
	// retried later); an error means it was not recorded. The Plane logs
	// that error and carries on, since the change the event reports has
	// already happened. Only a connection service or sync engine without
	// the store's hooks (ConnectionObserver, PassObserver) raise their
	// events this way.
	Emit(ctx context.Context, ev qbconnect.Event) error
	// Enqueue starts the deliveries of events recorded in the transaction
	// of the change they describe (qbconnect.EventRecorder),
	// once it committed. When the process stops before, the deliveries
	// are pending without a job, and the webhook sender's sweep starts
	// them: no event is lost.
	Enqueue(ctx context.Context, deliveries []string) error
}

// Views shapes the data of events as the REST API shows the same objects
// (package api implements it), so that a webhook carries what a GET
// returns.
type Views interface {
	// Operation is a finished operation as GET /v1/operations/{id} shows
	// it; res is the write's result when op is a write (nil otherwise).
	Operation(op *qbconnect.Operation, res *qbconnect.WriteResult) any
	// SyncState is one data type's sync as GET .../sync-status shows it.
	SyncState(st *qbconnect.SyncState) any
	// SyncSummary is a company sync's summary, the data of sync.completed,
	// with errors as the REST API shows them.
	SyncSummary(s *qbconnect.SyncSummary) any
}

// event builds an event of the Plane's clock.
func (p *Plane) event(typ qbconnect.EventType, orgID, companyID string, data any) (qbconnect.Event, error) {
	raw, err := json.Marshal(data)
	return qbconnect.Event{Type: typ, OrgID: orgID, CompanyID: companyID, CreatedAt: p.cfg.Now(), Data: raw}, err
}

// emit records an event outside a completion, logging a failure.
func (p *Plane) emit(ctx context.Context, typ qbconnect.EventType, orgID, companyID string, data any) {
	if p.cfg.Events == nil {
		return
	}
	ev, err := p.event(typ, orgID, companyID, data)
	if err == nil {
		err = p.cfg.Events.Emit(ctx, ev)
	}
	if err != nil {
		p.cfg.Logger.ErrorContext(ctx, "event not recorded", "type", typ, "org", orgID, "err", err)
	}
}

// connectionChange is the data of a connection.status_changed event.
type connectionChange struct {
	Connection         *qbconnect.Connection      `json:"connection"`
	PreviousStatus     qbconnect.ConnectionStatus `json:"previousStatus"`
	PreviousHealthCode string                     `json:"previousHealthCode"`
}

// statusChanged reports whether a change from before to after raises
// connection.status_changed, and its data.
func statusChanged(before, after *qbconnect.Connection) (connectionChange, bool) {
	if before == nil || after == nil || (before.Status == after.Status && before.Health.Code == after.Health.Code) {
		return connectionChange{}, false
	}
	return connectionChange{Connection: after, PreviousStatus: before.Status, PreviousHealthCode: before.Health.Code}, true
}

// ConnectionEvents is the connection service through which the Plane and
// its adapters change connections: every change of a connection's status
// or health code made through it raises connection.status_changed (when
// the Plane has Events). An operation's completion raises its own, in its
// transaction (Complete).
type ConnectionEvents struct {
	qbconnect.ConnectionService
	p *Plane
}

// changed raises connection.status_changed when after's status or health
// code differs from before's, once a change made without the outbox is
// done. A nil before or after emits nothing.
func (c *ConnectionEvents) changed(ctx context.Context, before, after *qbconnect.Connection) {
	if ch, ok := statusChanged(before, after); ok {
		c.p.emit(ctx, qbconnect.EventConnectionStatusChanged, after.OrgID, after.CompanyID, ch)
	}
}

func (c *ConnectionEvents) lookup(ctx context.Context, id string) *qbconnect.Connection {
	if c.p.cfg.Events == nil {
		return nil
	}
	conn, err := c.ConnectionService.LookupConnection(ctx, id)
	if err != nil {
		return nil
	}
	return conn
}

// do runs change, which changes connections through the store: with the
// outbox (the store a ConnectionObserver) the store's hook records the
// events in the change's transaction and do starts their deliveries after
// it; otherwise after records them once the change is done (nil after
// records nothing).
func (c *ConnectionEvents) do(ctx context.Context, change func(ctx context.Context) error, after func()) error {
	if c.p.connsInTx {
		ctx, ob := withOutbox(ctx)
		err := change(ctx)
		if err == nil {
			c.p.committed(ctx, ob)
		}
		return err
	}
	err := change(ctx)
	if err == nil && after != nil {
		after()
	}
	return err
}

// SetHealth records the health and raises the event when its code changed.
func (c *ConnectionEvents) SetHealth(ctx context.Context, id string, h qbconnect.Health) error {
	var before *qbconnect.Connection
	if !c.p.connsInTx {
		before = c.lookup(ctx, id)
	}
	return c.do(ctx, func(ctx context.Context) error { return c.ConnectionService.SetHealth(ctx, id, h) },
		func() { c.changed(ctx, before, c.lookup(ctx, id)) })
}

// UnlinkConnection unlinks and raises the event.
func (c *ConnectionEvents) UnlinkConnection(ctx context.Context, orgID, id string) error {
	var before *qbconnect.Connection
	if !c.p.connsInTx {
		before = c.lookup(ctx, id)
	}
	return c.do(ctx, func(ctx context.Context) error { return c.ConnectionService.UnlinkConnection(ctx, orgID, id) },
		func() { c.changed(ctx, before, c.lookup(ctx, id)) })
}

// RedeemLinkCode links and raises the event for the new link.
func (c *ConnectionEvents) RedeemLinkCode(ctx context.Context, code, connectorID string, file qbconnect.FileIdentity) (*qbconnect.Connection, *qbconnect.Connector, string, error) {
	return c.RedeemLink(ctx, code, connectorID, file, nil)
}

// RedeemLink links, records the connector's report and raises the event
// for the new link.
func (c *ConnectionEvents) RedeemLink(ctx context.Context, code, connectorID string, file qbconnect.FileIdentity, about *qbconnect.Connector) (*qbconnect.Connection, *qbconnect.Connector, string, error) {
	var conn *qbconnect.Connection
	var connector *qbconnect.Connector
	var cred string
	err := c.do(ctx, func(ctx context.Context) error {
		var err error
		conn, connector, cred, err = c.ConnectionService.RedeemLink(ctx, code, connectorID, file, about)
		return err
	}, func() {
		if conn != nil {
			before := *conn
			before.Status = qbconnect.StatusPendingAuth
			before.Health.Code = qbconnect.HealthNeverConnected
			c.changed(ctx, &before, conn)
		}
	})
	return conn, connector, cred, err
}

// SetPaused pauses or resumes and raises the event when that changed the
// health.
func (c *ConnectionEvents) SetPaused(ctx context.Context, orgID, id string, pz qbconnect.Pause) (*qbconnect.Connection, error) {
	var before, after *qbconnect.Connection
	if !c.p.connsInTx {
		before = c.lookup(ctx, id)
	}
	err := c.do(ctx, func(ctx context.Context) error {
		var err error
		after, err = c.ConnectionService.SetPaused(ctx, orgID, id, pz)
		return err
	}, func() { c.changed(ctx, before, after) })
	return after, err
}

// LinkWebConnector links a Web Connector connection at its first update
// with the Web Connector's health, and raises the event of the link.
func (c *ConnectionEvents) LinkWebConnector(ctx context.Context, id string, file qbconnect.FileIdentity, h qbconnect.Health) (*qbconnect.Connection, error) {
	var before, after *qbconnect.Connection
	if !c.p.connsInTx {
		before = c.lookup(ctx, id)
	}
	err := c.do(ctx, func(ctx context.Context) error {
		var err error
		after, err = c.ConnectionService.LinkWebConnector(ctx, id, file, h)
		return err
	}, func() { c.changed(ctx, before, after) })
	return after, err
}

// RevokeConnector revokes and raises one event per connection it
// deauthorised.
func (c *ConnectionEvents) RevokeConnector(ctx context.Context, orgID, connectorID string) error {
	var before []*qbconnect.Connection
	if c.p.cfg.Events != nil && !c.p.connsInTx {
		before, _ = c.ConnectionService.ConnectorConnections(ctx, connectorID)
	}
	return c.do(ctx, func(ctx context.Context) error { return c.ConnectionService.RevokeConnector(ctx, orgID, connectorID) },
		func() {
			for _, b := range before {
				c.changed(ctx, b, c.lookup(ctx, b.ID))
			}
		})
}
