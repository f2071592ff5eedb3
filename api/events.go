package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Events receives the platform's events, for webhooks. Emit records the
// event durably (delivery happens later, with retries) and returns an
// error only when it could not be recorded; the server logs that error and
// carries on, since the change the event reports has already happened.
type Events interface {
	Emit(ctx context.Context, ev qbconnect.Event) error
}

// emit sends an event when the server has an Events, logging a failure.
func (s *Server) emit(ctx context.Context, typ qbconnect.EventType, orgID, companyID string, data any) {
	emitEvent(ctx, s.cfg.Events, s.cfg.Now, s.cfg.Logger, typ, orgID, companyID, data)
}

// emitEvent records an event on events (nil drops it), logging a failure:
// the change the event reports has already happened.
func emitEvent(ctx context.Context, events Events, now func() time.Time, log *slog.Logger, typ qbconnect.EventType, orgID, companyID string, data any) {
	if events == nil {
		return
	}
	raw, err := json.Marshal(data)
	if err == nil {
		err = events.Emit(ctx, qbconnect.Event{Type: typ, OrgID: orgID, CompanyID: companyID, CreatedAt: now(), Data: raw})
	}
	if err != nil {
		log.ErrorContext(ctx, "event not recorded", "type", typ, "org", orgID, "err", err)
	}
}

// connectionChange is the data of a connection.status_changed event.
type connectionChange struct {
	Connection         *qbconnect.Connection      `json:"connection"`
	PreviousStatus     qbconnect.ConnectionStatus `json:"previousStatus"`
	PreviousHealthCode string                     `json:"previousHealthCode"`
}

// connectionChanged emits connection.status_changed when after's status or
// health code differs from before's (and the server has Events: New then
// made Config.Connections a ConnectionEvents).
func (s *Server) connectionChanged(ctx context.Context, before, after *qbconnect.Connection) {
	if ce, ok := s.cfg.Connections.(*ConnectionEvents); ok {
		ce.Changed(ctx, before, after)
	}
}

// lookupQuietly returns a connection or nil, for before/after comparisons
// where a failed read only loses an event.
func (s *Server) lookupQuietly(ctx context.Context, id string) *qbconnect.Connection {
	return lookupQuietly(ctx, s.cfg.Connections, id)
}

func lookupQuietly(ctx context.Context, conns qbconnect.ConnectionService, id string) *qbconnect.Connection {
	c, err := conns.LookupConnection(ctx, id)
	if err != nil {
		return nil
	}
	return c
}

// ConnectionEvents is a ConnectionService that raises
// connection.status_changed for every change of a connection's status or
// health code made through it. The API server wraps Config.Connections in
// one when Config.Events is set. Other transports that change connections
// (the Web Connector endpoint) share the same one, built with
// NewConnectionEvents and passed as Config.Connections too, so that every
// change raises one event whichever part made it.
//
// The store also changes health by itself (the Queue's Complete applies an
// outcome's health; linking a Web Connector connection marks it Linked):
// whoever calls those compares before and after with Changed.
type ConnectionEvents struct {
	qbconnect.ConnectionService
	events Events
	now    func() time.Time
	log    *slog.Logger
}

// NewConnectionEvents wraps conns so that changes made through it raise
// connection.status_changed on events. now nil means time.Now; log nil
// discards.
func NewConnectionEvents(conns qbconnect.ConnectionService, events Events, now func() time.Time, log *slog.Logger) *ConnectionEvents {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ConnectionEvents{ConnectionService: conns, events: events, now: now, log: log}
}

// Changed emits connection.status_changed when after's status or health
// code differs from before's. A nil before or after (a lookup that failed)
// emits nothing.
func (c *ConnectionEvents) Changed(ctx context.Context, before, after *qbconnect.Connection) {
	if before == nil || after == nil || (before.Status == after.Status && before.Health.Code == after.Health.Code) {
		return
	}
	emitEvent(ctx, c.events, c.now, c.log, qbconnect.EventConnectionStatusChanged, after.OrgID, after.CompanyID, connectionChange{
		Connection: after, PreviousStatus: before.Status, PreviousHealthCode: before.Health.Code,
	})
}

// SetHealth records the health and raises the event when its code changed.
func (c *ConnectionEvents) SetHealth(ctx context.Context, id string, h qbconnect.Health) error {
	before := lookupQuietly(ctx, c.ConnectionService, id)
	if err := c.ConnectionService.SetHealth(ctx, id, h); err != nil {
		return err
	}
	c.Changed(ctx, before, lookupQuietly(ctx, c.ConnectionService, id))
	return nil
}

// UnlinkConnection unlinks and raises the event.
func (c *ConnectionEvents) UnlinkConnection(ctx context.Context, orgID, id string) error {
	before := lookupQuietly(ctx, c.ConnectionService, id)
	if err := c.ConnectionService.UnlinkConnection(ctx, orgID, id); err != nil {
		return err
	}
	c.Changed(ctx, before, lookupQuietly(ctx, c.ConnectionService, id))
	return nil
}

// RedeemLinkCode links and raises the event for the new link.
func (c *ConnectionEvents) RedeemLinkCode(ctx context.Context, code, connectorID string, file qbconnect.FileIdentity) (*qbconnect.Connection, *qbconnect.Connector, string, error) {
	return c.RedeemLink(ctx, code, connectorID, file, nil)
}

// RedeemLink links, records the connector's report and raises the event
// for the new link.
func (c *ConnectionEvents) RedeemLink(ctx context.Context, code, connectorID string, file qbconnect.FileIdentity, about *qbconnect.Connector) (*qbconnect.Connection, *qbconnect.Connector, string, error) {
	conn, connector, cred, err := c.ConnectionService.RedeemLink(ctx, code, connectorID, file, about)
	if err == nil && conn != nil {
		before := *conn
		before.Status = qbconnect.StatusPendingAuth
		before.Health.Code = qbconnect.HealthNeverConnected
		c.Changed(ctx, &before, conn)
	}
	return conn, connector, cred, err
}

// SetPaused pauses or resumes and raises the event when that changed the
// health.
func (c *ConnectionEvents) SetPaused(ctx context.Context, orgID, id string, p qbconnect.Pause) (*qbconnect.Connection, error) {
	before := lookupQuietly(ctx, c.ConnectionService, id)
	after, err := c.ConnectionService.SetPaused(ctx, orgID, id, p)
	if err == nil {
		c.Changed(ctx, before, after)
	}
	return after, err
}

// RevokeConnector revokes and raises one event per connection it
// deauthorised.
func (c *ConnectionEvents) RevokeConnector(ctx context.Context, orgID, connectorID string) error {
	before, _ := c.ConnectionService.ConnectorConnections(ctx, connectorID)
	if err := c.ConnectionService.RevokeConnector(ctx, orgID, connectorID); err != nil {
		return err
	}
	for _, b := range before {
		c.Changed(ctx, b, lookupQuietly(ctx, c.ConnectionService, b.ID))
	}
	return nil
}

// OperationFinished hands an operation whose outcome another transport
// (the Web Connector endpoint) applied to the same path as the gateway's:
// the sync engine ingests it and webhooks fire.
func (s *Server) OperationFinished(ctx context.Context, op *qbconnect.Operation) {
	s.finished(ctx, op)
}

// finished is called once for every operation whose outcome the gateway
// applied: the sync engine ingests sync and write results, and writes
// raise write.succeeded or write.failed.
func (s *Server) finished(ctx context.Context, op *qbconnect.Operation) {
	if !op.Status.Done() || s.cfg.Sync == nil {
		return
	}
	switch op.Kind {
	case qbconnect.OpSync, qbconnect.OpWrite:
	default:
		return
	}
	var before *qbconnect.SyncState
	if op.Kind == qbconnect.OpSync && s.cfg.Events != nil {
		before = s.syncStateOf(ctx, op)
	}
	if _, err := s.cfg.Sync.HandleOperation(ctx, op, bytes.NewReader(op.Result)); err != nil {
		// The engine's reconciler handles the operation again later.
		s.cfg.Logger.ErrorContext(ctx, "sync engine could not handle a finished operation", "op", op.ID, "kind", op.Kind, "err", err)
	}
	if before != nil && before.Status.Active() {
		after := s.syncStateOf(ctx, op)
		if after != nil && after.RunID == before.RunID {
			switch after.Status {
			case qbconnect.SyncComplete:
				s.emit(ctx, qbconnect.EventSyncCompleted, op.OrgID, op.CompanyID, syncStateOf(after))
			case qbconnect.SyncFailed:
				s.emit(ctx, qbconnect.EventSyncFailed, op.OrgID, op.CompanyID, syncStateOf(after))
			}
		}
	}
	if op.Kind != qbconnect.OpWrite {
		return
	}
	v, err := s.operationView(ctx, op)
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "write outcome unreadable", "op", op.ID, "err", err)
		return
	}
	typ := qbconnect.EventWriteSucceeded
	if v.Status != string(qbconnect.OpSucceeded) {
		typ = qbconnect.EventWriteFailed
	}
	s.emit(ctx, typ, op.OrgID, op.CompanyID, v)
}

// syncStateOf returns the sync state of the data type a sync operation
// fetches, or nil.
func (s *Server) syncStateOf(ctx context.Context, op *qbconnect.Operation) *qbconnect.SyncState {
	var m struct {
		DataType string `json:"dataType"`
	}
	if json.Unmarshal(op.Meta, &m) != nil || m.DataType == "" {
		return nil
	}
	states, err := s.cfg.Sync.SyncStates(ctx, op.OrgID, op.CompanyID)
	if err != nil {
		return nil
	}
	for _, st := range states {
		if st.DataType == m.DataType {
			return st
		}
	}
	return nil
}
