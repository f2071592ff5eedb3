package control

import (
	"context"
	"sync"

	"github.com/qbconnect/qbconnect"
)

// The outbox: every event is recorded in the transaction of the change it
// describes, through the store's hooks (ConnectionObserver, PassObserver)
// or the completion's Outcome.Then; its deliveries start once that
// transaction committed: after the Plane's call for the changes it makes,
// and, for a change no call of the Plane waits on (the sync scheduler
// ending a pass), when the transaction says it committed (AfterCommitter).
// A process that stops in between leaves them pending without a job, and
// the webhook sender's sweep starts them.

// AfterCommitter is an EventRecorder that runs a func once its
// transaction committed, never when it rolls back (the store's
// transactions). The Plane finds it by assertion.
type AfterCommitter interface {
	AfterCommit(fn func())
}

// ConnectionObserver is a connection service that runs a hook in the
// transaction of each change of a connection (store.ConnectionStore).
type ConnectionObserver interface {
	OnChange(fn qbconnect.ConnectionChangeFunc)
}

// PassObserver is a sync engine that runs a hook in the transaction that
// ends a sync pass (syncengine.Engine).
type PassObserver interface {
	OnPassEnd(fn qbconnect.SyncEndFunc)
}

// RunObserver is a sync engine that runs a hook in the transaction that
// ends the last pass of a company sync (syncengine.Engine).
type RunObserver interface {
	OnRunEnd(fn qbconnect.SyncRunEndFunc)
}

// RecordObserver is a sync engine that runs a hook in the transaction of
// each sync page that changed records (syncengine.Engine).
type RecordObserver interface {
	OnRecordsChanged(fn qbconnect.RecordsChangedFunc)
}

// outbox collects what a call's transactions recorded, to start the
// deliveries after commit.
type outbox struct {
	mu         sync.Mutex
	deliveries []string
	types      []qbconnect.EventType
}

type outboxKey struct{}

// withOutbox returns ctx carrying a new outbox for the hooks.
func withOutbox(ctx context.Context) (context.Context, *outbox) {
	ob := &outbox{}
	return context.WithValue(ctx, outboxKey{}, ob), ob
}

// recordIn records an event in rec, the transaction of its change, and
// notes its deliveries in ctx's outbox. A change made without one (by the
// sync engine's scheduler) starts them once rec committed when rec is an
// AfterCommitter, and leaves them to the sweep otherwise.
func (p *Plane) recordIn(ctx context.Context, rec qbconnect.EventRecorder, typ qbconnect.EventType, orgID, companyID string, data any) error {
	ev, err := p.event(typ, orgID, companyID, data)
	if err != nil {
		return err
	}
	ids, err := rec.RecordEvent(ctx, &ev)
	if err != nil {
		return err
	}
	ob, _ := ctx.Value(outboxKey{}).(*outbox)
	if ac, ok := rec.(AfterCommitter); ok && ob == nil {
		ob = &outbox{}
		ac.AfterCommit(func() { p.committed(context.WithoutCancel(ctx), ob) })
	}
	if ob != nil {
		ob.mu.Lock()
		ob.deliveries = append(ob.deliveries, ids...)
		ob.types = append(ob.types, typ)
		ob.mu.Unlock()
	}
	return nil
}

// connectionChanged is the connection store's hook: it records
// connection.status_changed when the status or health code changed.
func (p *Plane) connectionChanged(ctx context.Context, rec qbconnect.EventRecorder, before, after *qbconnect.Connection) error {
	ch, ok := statusChanged(before, after)
	if !ok {
		return nil
	}
	return p.recordIn(ctx, rec, qbconnect.EventConnectionStatusChanged, after.OrgID, after.CompanyID, ch)
}

// passEnded is the sync engine's hook: it records sync.failed for a
// failed pass, and sync.completed for a completed one when the engine
// has no RunObserver (which records it once per company sync instead).
func (p *Plane) passEnded(ctx context.Context, rec qbconnect.EventRecorder, st *qbconnect.SyncState) error {
	typ := qbconnect.EventSyncCompleted
	if st.Status == qbconnect.SyncFailed {
		typ = qbconnect.EventSyncFailed
	} else if p.runsInTx {
		return nil
	}
	return p.recordIn(ctx, rec, typ, st.OrgID, st.CompanyID, p.cfg.Views.SyncState(st))
}

// recordChanges is the data of record.created, record.updated and
// record.deleted: the records of one data type that one sync page or one
// write changed.
type recordChanges struct {
	DataType    string   `json:"dataType"`
	IDs         []string `json:"ids"`
	Source      string   `json:"source"` // "sync" or "write"
	RunID       string   `json:"runId,omitempty"`
	OperationID string   `json:"operationId,omitempty"`
}

// recordsChanged records one event per kind of change in ch (a sync
// page's, or a write's), in the transaction that stored the change.
func (p *Plane) recordsChanged(ctx context.Context, rec qbconnect.EventRecorder, ch *qbconnect.RecordChanges) error {
	source := "sync"
	if ch.OperationID != "" {
		source = "write"
	}
	for _, k := range []struct {
		typ qbconnect.EventType
		ids []string
	}{{qbconnect.EventRecordCreated, ch.Created}, {qbconnect.EventRecordUpdated, ch.Updated}, {qbconnect.EventRecordDeleted, ch.Deleted}} {
		if len(k.ids) == 0 {
			continue
		}
		data := recordChanges{DataType: ch.DataType, IDs: k.ids, Source: source, RunID: ch.RunID, OperationID: ch.OperationID}
		if err := p.recordIn(ctx, rec, k.typ, ch.OrgID, ch.CompanyID, data); err != nil {
			return err
		}
	}
	return nil
}

// runEnded is the sync engine's hook at a company sync's end: it records
// sync.completed with the sync's summary (a count per data type).
func (p *Plane) runEnded(ctx context.Context, rec qbconnect.EventRecorder, sum *qbconnect.SyncSummary) error {
	return p.recordIn(ctx, rec, qbconnect.EventSyncCompleted, sum.OrgID, sum.CompanyID, p.cfg.Views.SyncSummary(sum))
}

// committed starts the deliveries of the events ob collected, once their
// transactions committed; Config.Committed is told first.
func (p *Plane) committed(ctx context.Context, ob *outbox) {
	ob.mu.Lock()
	ids, types := ob.deliveries, ob.types
	ob.deliveries, ob.types = nil, nil
	ob.mu.Unlock()
	if len(types) == 0 {
		return
	}
	if p.cfg.Committed != nil {
		p.cfg.Committed(types)
	}
	if len(ids) == 0 {
		return
	}
	if err := p.cfg.Events.Enqueue(ctx, ids); err != nil {
		p.cfg.Logger.WarnContext(ctx, "webhook deliveries recorded but not started; the sweep starts them", "err", err)
	}
}
