package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// Report is what a transport heard back for an operation it leased:
// QuickBooks' answer, or why QuickBooks could not run the request.
type Report struct {
	// LeaseID is the lease the transport held.
	LeaseID string
	// Response is QuickBooks' qbXML answer, even one carrying an error
	// status; nil when Failure is set.
	Response []byte
	// Failure says why QuickBooks could not be reached or could not run
	// the request: a condition of qbd's table (the connector diagnoses
	// its own; the Web Connector's HRESULTs go through Diagnose).
	Failure *gateway.Failure
	// Connected is the health message of a success; "" means
	// "Connected to QuickBooks.".
	Connected string
}

// Diagnose explains an HRESULT and message that a transport passed on
// (the Web Connector's), with the table the connector uses (qbd), as a
// Failure. expectedFile is the connection's company file. A malformed
// hresult is kept as it came, in Message.
func Diagnose(hresult, message, expectedFile string) gateway.Failure {
	var err error = errors.New(message)
	if hr, perr := qbd.ParseHRESULT(hresult); perr == nil {
		err = &qbd.Error{HRESULT: hr, Message: message}
	}
	c := qbd.DiagnoseContext(err, qbd.Context{ExpectedFile: expectedFile})
	f := gateway.Failure{HResult: c.HRESULT, Message: message, Condition: c.Code, UserMessage: c.Message,
		Resolution: c.Resolution, NeedsUser: c.NeedsUser, Retryable: c.Retryable}
	if f.HResult == "" {
		f.HResult = normalHRESULT(hresult)
	}
	return f
}

// normalHRESULT writes an HRESULT as qbd does ("0x80040408"), whatever
// case it came in; anything else is returned as it is.
func normalHRESULT(s string) string {
	if anyCaseHRESULT.MatchString(s) {
		if hr, err := qbd.ParseHRESULT(s); err == nil {
			return qbd.FormatHRESULT(hr)
		}
	}
	return s
}

var anyCaseHRESULT = regexp.MustCompile(`^0[xX][0-9A-Fa-f]{8}$`)

// outcome is the one table from a Report to the queue's Outcome and the
// connection's health: a failure that needs the user or may pass is
// EUnavailable and sets the health (the queue then holds the company's
// work); any other is EQuickBooks; an answer is a success and health OK.
func (p *Plane) outcome(r Report) qbconnect.Outcome {
	now := p.cfg.Now()
	var out qbconnect.Outcome
	f := r.Failure
	if f == nil {
		msg := r.Connected
		if msg == "" {
			msg = "Connected to QuickBooks."
		}
		out.Response = r.Response
		if out.Response == nil {
			out.Response = []byte{}
		}
		out.Health = &qbconnect.Health{Code: qbconnect.HealthOK, Message: msg, Since: now, LastRequestAt: &now, LastSuccessAt: &now}
		return out
	}
	hr := normalHRESULT(f.HResult)
	code := qbconnect.EQuickBooks
	if f.NeedsUser || f.Retryable {
		code = qbconnect.EUnavailable
	}
	msg := f.Message
	if hr != "" {
		msg = "QuickBooks (" + hr + "): " + f.Message
	}
	out.Failure = &qbconnect.Error{Code: code, Message: msg, UserMessage: f.UserMessage, Resolution: f.Resolution,
		QBCode: hr, Retryable: f.Retryable || f.NeedsUser}
	if f.NeedsUser || f.Retryable {
		userMsg := f.UserMessage
		if userMsg == "" {
			userMsg = f.Message
		}
		out.Health = &qbconnect.Health{Code: f.Condition, Message: userMsg, Resolution: f.Resolution, QBCode: hr,
			Since: now, LastRequestAt: &now, NeedsUser: f.NeedsUser}
	}
	return out
}

// PageIngester is a sync engine that ingests a finished sync page in the
// transaction that completes it (syncengine.Engine): the page's records,
// its checkpoint and the next page's operation commit with the
// completion, and the page's answer is not stored. IngestPage returns
// false when it did not ingest the page (not a sync page, or an error);
// Complete then hands the stored answer to HandleOperation after the
// commit.
type PageIngester interface {
	IngestPage(ctx context.Context, tx qbconnect.CompletionTx) (bool, error)
}

// Complete is the one path by which a transport completes an operation it
// leased. In one transaction it records the outcome (the table in
// outcome), sets the connection's health, lets the sync engine store what
// a write changed or what a sync page brought (when the engine is a
// PageIngester; otherwise the page is ingested after the commit), and
// records the events the change raises (an outbox); only then are waiters
// woken and the events' deliveries started.
//
// applied is false when the outcome did not decide the operation (a
// duplicate, or a lease that was offered again); the returned operation is
// then as it stands.
func (p *Plane) Complete(ctx context.Context, op *qbconnect.Operation, r Report) (*qbconnect.Operation, bool, error) {
	out := p.outcome(r)
	ctx, ob := withOutbox(ctx)
	record := func(ctx context.Context, tx qbconnect.CompletionTx, typ qbconnect.EventType, orgID, companyID string, data any) error {
		return p.recordIn(ctx, tx, typ, orgID, companyID, data)
	}
	ingested := false
	out.Then = func(ctx context.Context, tx qbconnect.CompletionTx) error {
		ob.mu.Lock()
		ob.deliveries, ob.types = nil, nil
		ob.mu.Unlock()
		done := tx.Operation()
		if pi, ok := p.cfg.Sync.(PageIngester); ok && done.Kind == qbconnect.OpSync {
			ok, err := pi.IngestPage(ctx, tx)
			if err != nil {
				// The page is ingested again after the commit, and by
				// the engine's reconciler.
				p.cfg.Logger.ErrorContext(ctx, "sync page not ingested with its completion", "op", done.ID, "err", err)
			}
			ingested = ok
		}
		var res *qbconnect.WriteResult
		if done.Kind == qbconnect.OpWrite && done.Status.Done() && p.cfg.Sync != nil {
			var err error
			if res, err = p.cfg.Sync.ApplyWrite(ctx, tx, done); err != nil {
				// The answer could not be read: the operation's outcome
				// stands, and the next sync brings the record.
				p.cfg.Logger.ErrorContext(ctx, "write result not stored", "op", done.ID, "err", err)
				res = nil
			}
		}
		if p.cfg.Events == nil {
			return nil
		}
		if ch, ok := statusChanged(tx.Connection()); ok {
			if err := record(ctx, tx, qbconnect.EventConnectionStatusChanged, ch.Connection.OrgID, ch.Connection.CompanyID, ch); err != nil {
				return err
			}
		}
		if done.Kind == qbconnect.OpWrite && done.Status.Done() {
			typ := qbconnect.EventWriteSucceeded
			if done.Status != qbconnect.OpSucceeded || res != nil && res.Status != qbconnect.OpSucceeded {
				typ = qbconnect.EventWriteFailed
			}
			if err := record(ctx, tx, typ, done.OrgID, done.CompanyID, p.cfg.Views.Operation(done, res)); err != nil {
				return err
			}
			if res != nil && res.Changes != nil {
				if err := p.recordsChanged(ctx, tx, res.Changes); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var before *qbconnect.SyncState
	if op.Kind == qbconnect.OpSync && p.cfg.Events != nil && p.cfg.Sync != nil && !p.syncInTx {
		before = p.syncStateOf(ctx, op)
	}
	done, applied, err := p.cfg.Queue.Complete(ctx, op.ID, r.LeaseID, out)
	if err != nil {
		return nil, false, err
	}
	p.cfg.Observer.ResultRecorded(applied, done.Status)
	if !applied {
		return done, false, nil
	}
	p.committed(ctx, ob)
	if done.Kind == qbconnect.OpSync && done.Status.Done() && p.cfg.Sync != nil && !ingested {
		p.ingestPage(ctx, done, before)
		p.committed(ctx, ob)
	}
	return done, true, nil
}

// ingestPage hands a finished sync page to the sync engine, which stores
// its records and queues the next page in a transaction of its own.
func (p *Plane) ingestPage(ctx context.Context, done *qbconnect.Operation, before *qbconnect.SyncState) {
	if _, err := p.cfg.Sync.HandleOperation(ctx, done, bytes.NewReader(done.Result)); err != nil {
		// The engine's reconciler handles the operation again later.
		p.cfg.Logger.ErrorContext(ctx, "sync engine could not handle a finished operation", "op", done.ID, "kind", done.Kind, "err", err)
	}
	if before == nil || !before.Status.Active() {
		return
	}
	after := p.syncStateOf(ctx, done)
	if after == nil || after.RunID != before.RunID {
		return
	}
	switch after.Status {
	case qbconnect.SyncComplete:
		p.emit(ctx, qbconnect.EventSyncCompleted, done.OrgID, done.CompanyID, p.cfg.Views.SyncState(after))
	case qbconnect.SyncFailed:
		p.emit(ctx, qbconnect.EventSyncFailed, done.OrgID, done.CompanyID, p.cfg.Views.SyncState(after))
	}
}

// syncStateOf returns the sync state of the data type a sync operation
// fetches, or nil.
func (p *Plane) syncStateOf(ctx context.Context, op *qbconnect.Operation) *qbconnect.SyncState {
	var m struct {
		DataType string `json:"dataType"`
	}
	if json.Unmarshal(op.Meta, &m) != nil || m.DataType == "" {
		return nil
	}
	states, err := p.cfg.Sync.SyncStates(ctx, op.OrgID, op.CompanyID)
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

// PostResult records the outcome of one of the connector's work items.
func (p *Plane) PostResult(ctx context.Context, c *qbconnect.Connector, r gateway.Result) (*gateway.ResultAck, error) {
	if err := ValidateResult(r); err != nil {
		return nil, err
	}
	op, err := p.OwnOperation(ctx, c, r.ItemID)
	if err != nil {
		return nil, err
	}
	return p.RecordResult(ctx, c, op, r)
}

// ValidateResult checks a work item's result as the connector sent it.
func ValidateResult(r gateway.Result) error {
	if err := r.Validate(); err != nil {
		return invalid("%s", strings.TrimPrefix(err.Error(), "result: "))
	}
	if r.Failure != nil {
		return validateFailure(r.Failure)
	}
	return nil
}

// RecordResult records the outcome r of op, one of c's work items (see
// OwnOperation), once ValidateResult passed it. With r.Next, an applied
// result's answer carries the connector's next item, leased (nextItem);
// a result that was not applied (a repeat whose first answer was lost,
// or a stale lease) carries none: the connector polls, and the poll
// re-offers whatever is still leased to it, such as an item the lost
// answer carried.
func (p *Plane) RecordResult(ctx context.Context, c *qbconnect.Connector, op *qbconnect.Operation, r gateway.Result) (*gateway.ResultAck, error) {
	rep := Report{LeaseID: r.LeaseID, Failure: r.Failure}
	if r.Failure == nil {
		rep.Response = []byte(r.Response)
	}
	done, applied, err := p.Complete(ctx, op, rep)
	if err != nil {
		return nil, err
	}
	if !applied {
		p.cfg.Logger.InfoContext(ctx, "gateway: result recorded but not applied (duplicate or stale lease)",
			"connector", c.ID, "op", op.ID, "lease", r.LeaseID, "status", done.Status)
	}
	ack := &gateway.ResultAck{Applied: applied, Status: string(done.Status)}
	if r.Next && applied {
		next, err := p.nextItem(ctx, c)
		if err != nil {
			// The result stands; the connector polls for its next item,
			// and the poll re-offers one leased before the error.
			p.cfg.Logger.ErrorContext(ctx, "gateway: leasing the next item with a result's answer", "connector", c.ID, "op", op.ID, "err", err)
		}
		ack.Next = next
	}
	return ack, nil
}
