package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// QueueStore is the operation queue, kept in the operations table.
//
// Order: per connection and priority, operations run strictly in the order
// they were enqueued (a monotonic sequence, not timestamps); an operation in
// back-off holds back the later ones of its connection and priority. Across
// priorities and across the connections of one connector, the lowest
// priority number goes first, then the oldest.
//
// One in flight per connector: a lease of any of a connector's connections
// blocks the others. Lease serialises on the connector's row (PostgreSQL
// SELECT ... FOR UPDATE; SQLite has one writer), so several platform
// processes on one database never hand out two items of one connector.
//
// Results: the first result applied wins. A response that arrives for an
// expired lease is applied when the operation has not finished (the work
// did happen in QuickBooks), and every later result is recorded with
// applied=false. A failure reported under an expired lease is only recorded.
type QueueStore struct{ db *DB }

var _ qbconnect.Queue = (*QueueStore)(nil)

// NewQueueStore returns the operation queue of db.
func NewQueueStore(db *DB) *QueueStore { return &QueueStore{db: db} }

const operationColumns = `seq, id, org_id, company_id, connection_id, kind, priority, status, COALESCE(idempotency_key, ''),
	request, message_set_id, meta, attempts, max_attempts, not_before, deadline, COALESCE(lease_id, ''), lease_expires_at,
	result, error, created_at, updated_at, completed_at, request_fingerprint, write_result`

// operationColumnsNoResult reads an operation without its result, which
// can be megabytes, for callers that already hold it.
var operationColumnsNoResult = strings.Replace(operationColumns, "result,", "NULL,", 1)

func scanOperation(row interface{ Scan(...any) error }) (*qbconnect.Operation, int64, error) {
	op := &qbconnect.Operation{}
	var seq, notBefore, created, updated int64
	var deadline, leaseExp, completed sql.NullInt64
	var errJSON, resJSON sql.NullString
	err := row.Scan(&seq, &op.ID, &op.OrgID, &op.CompanyID, &op.ConnectionID, &op.Kind, &op.Priority, &op.Status, &op.IdempotencyKey,
		&op.Request, &op.MessageSetID, &op.Meta, &op.Attempts, &op.MaxAttempts, &notBefore, &deadline, &op.LeaseID, &leaseExp,
		&op.Result, &errJSON, &created, &updated, &completed, &op.Fingerprint, &resJSON)
	if err != nil {
		return nil, 0, err
	}
	op.NotBefore = fromMicros(notBefore)
	op.Deadline, op.LeaseExpiresAt, op.CompletedAt = timePtr(deadline), timePtr(leaseExp), timePtr(completed)
	op.CreatedAt, op.UpdatedAt = fromMicros(created), fromMicros(updated)
	if errJSON.Valid {
		if op.Error, err = decodeError(errJSON.String); err != nil {
			return nil, 0, fmt.Errorf("operation %s error: %w", op.ID, err)
		}
	}
	if resJSON.Valid {
		if op.WriteResult, err = decodeWriteResult(resJSON.String); err != nil {
			return nil, 0, fmt.Errorf("operation %s write result: %w", op.ID, err)
		}
	}
	return op, seq, nil
}

// storedWriteResult is how a *qbconnect.WriteResult is kept.
type storedWriteResult struct {
	Status qbconnect.OperationStatus `json:"status"`
	Error  json.RawMessage           `json:"error,omitempty"` // a storedError
	Record *storedRecord             `json:"record,omitempty"`
}

// storedRecord is a write's record as QuickBooks returned it.
type storedRecord struct {
	CompanyID    string          `json:"companyId"`
	Type         string          `json:"type"`
	ID           string          `json:"id"`
	EditSequence string          `json:"editSequence,omitempty"`
	Name         string          `json:"name,omitempty"`
	RefID        string          `json:"refId,omitempty"`
	TxnDate      string          `json:"txnDate,omitempty"`
	Active       bool            `json:"active,omitempty"`
	ModifiedAt   time.Time       `json:"modifiedAt"`
	Deleted      bool            `json:"deleted,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
}

func encodeWriteResult(res *qbconnect.WriteResult) (string, error) {
	sr := storedWriteResult{Status: res.Status}
	if e := encodeError(res.Error); e != nil {
		sr.Error = json.RawMessage(e.(string))
	}
	if r := res.Record; r != nil {
		sr.Record = &storedRecord{CompanyID: r.CompanyID, Type: r.Type, ID: r.ID, EditSequence: r.EditSequence, Name: r.Name,
			RefID: r.RefID, TxnDate: r.TxnDate, Active: r.Active, ModifiedAt: r.ModifiedAt, Deleted: r.Deleted, Data: r.Data}
	}
	b, err := json.Marshal(sr)
	return string(b), err
}

func decodeWriteResult(s string) (*qbconnect.WriteResult, error) {
	var sr storedWriteResult
	if err := json.Unmarshal([]byte(s), &sr); err != nil {
		return nil, err
	}
	res := &qbconnect.WriteResult{Status: sr.Status}
	if len(sr.Error) > 0 {
		var err error
		if res.Error, err = decodeError(string(sr.Error)); err != nil {
			return nil, err
		}
	}
	if r := sr.Record; r != nil {
		res.Record = &qbconnect.Record{CompanyID: r.CompanyID, Type: r.Type, ID: r.ID, EditSequence: r.EditSequence, Name: r.Name,
			RefID: r.RefID, TxnDate: r.TxnDate, Active: r.Active, ModifiedAt: r.ModifiedAt, Deleted: r.Deleted, Data: r.Data}
	}
	return res, nil
}

// storedError is how an *qbconnect.Error is kept; the cause is not.
type storedError struct {
	Code        qbconnect.ErrorCode `json:"code"`
	Message     string              `json:"message"`
	UserMessage string              `json:"userMessage,omitempty"`
	Resolution  string              `json:"resolution,omitempty"`
	QBCode      string              `json:"qbCode,omitempty"`
	Retryable   bool                `json:"retryable,omitempty"`
}

func encodeError(e *qbconnect.Error) any {
	if e == nil {
		return nil
	}
	msg := e.Message
	if e.Err != nil {
		msg = e.Error()
	}
	b, _ := json.Marshal(storedError{e.Code, msg, e.UserMessage, e.Resolution, e.QBCode, e.Retryable})
	return string(b)
}

func decodeError(s string) (*qbconnect.Error, error) {
	var se storedError
	if err := json.Unmarshal([]byte(s), &se); err != nil {
		return nil, err
	}
	return &qbconnect.Error{Code: se.Code, Message: se.Message, UserMessage: se.UserMessage,
		Resolution: se.Resolution, QBCode: se.QBCode, Retryable: se.Retryable}, nil
}

var operationKinds = map[qbconnect.OperationKind]bool{
	qbconnect.OpSync: true, qbconnect.OpWrite: true, qbconnect.OpQBXML: true, qbconnect.OpHealth: true, qbconnect.OpStamp: true,
}

// Enqueue stores op durably and wakes the connector that serves its
// connection. op.OrgID and op.ConnectionID (or op.CompanyID, meaning its
// active connection) are required; an unknown or other-org connection is
// ENotFound, an unlinked one EConflict. MaxAttempts 0 takes the store's
// default; a zero NotBefore means now. With an IdempotencyKey already used
// in the org, Enqueue returns the existing operation and no error. op itself
// is not modified; the stored operation is returned.
func (q *QueueStore) Enqueue(ctx context.Context, op *qbconnect.Operation) (*qbconnect.Operation, error) {
	var stored *qbconnect.Operation
	err := q.db.inTx(ctx, func(tx *tx) (err error) {
		stored, err = q.enqueueOp(ctx, tx, op)
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// enqueue validates op and stores it in tx as Enqueue describes; it
// returns the ID of the stored operation (the existing one for a used
// idempotency key). SyncPage.Enqueue calls it to queue the next page in
// the page's transaction.
func (q *QueueStore) enqueue(ctx context.Context, tx *tx, op *qbconnect.Operation) (string, error) {
	stored, err := q.enqueueOp(ctx, tx, op)
	if err != nil {
		return "", err
	}
	return stored.ID, nil
}

// enqueueOp is enqueue returning the stored operation, as the statement
// that stored it (or, for a used idempotency key, found it) read it.
func (q *QueueStore) enqueueOp(ctx context.Context, tx *tx, op *qbconnect.Operation) (*qbconnect.Operation, error) {
	switch {
	case op.OrgID == "":
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation: organisation is required")
	case op.ConnectionID == "" && op.CompanyID == "":
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation: connection or company is required")
	case !operationKinds[op.Kind]:
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation kind %q is unknown", op.Kind)
	case op.Request == "":
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation: request is required")
	case op.Priority < 0 || op.MaxAttempts < 0:
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation: priority and max attempts must not be negative")
	case len(op.IdempotencyKey) > 255:
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation: idempotency key is longer than 255 bytes")
	case len(op.Fingerprint) > 128:
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation: request fingerprint is longer than 128 bytes")
	}
	id, err := q.db.newID("op")
	if err != nil {
		return nil, err
	}
	var connID, orgID, companyID, connectorID string
	var status qbconnect.ConnectionStatus
	// A connection is selected by its ID alone (see inOrg), a company's
	// active one by organisation and company.
	where, args := "id = ?", []any{op.ConnectionID}
	if op.ConnectionID == "" {
		where, args = "org_id = ? AND company_id = ? AND status <> 'Unlinked'", []any{op.OrgID, op.CompanyID}
	}
	err = tx.queryRow(ctx, "SELECT id, org_id, company_id, COALESCE(connector_id, ''), status FROM connections WHERE "+where,
		args...).Scan(&connID, &orgID, &companyID, &connectorID, &status)
	if err = inOrg(err, orgID, op.OrgID); err != nil {
		return nil, notFound(err, "connection", cmp.Or(op.ConnectionID, op.CompanyID))
	}
	if status == qbconnect.StatusUnlinked {
		return nil, qbconnect.Errorf(qbconnect.EConflict, "connection %s is unlinked", connID)
	}
	if op.CompanyID != "" && op.CompanyID != companyID {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "connection %s does not belong to company %s", connID, op.CompanyID)
	}
	now := q.db.now()
	notBefore := op.NotBefore
	if notBefore.IsZero() || notBefore.Before(now) {
		notBefore = now
	}
	maxAttempts := op.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = q.db.opts.MaxAttempts
	}
	stored, _, err := scanOperation(tx.queryRow(ctx, `INSERT INTO operations (id, org_id, company_id, connection_id, kind, priority, status, idempotency_key,
		request, message_set_id, meta, max_attempts, not_before, deadline, created_at, updated_at, request_fingerprint)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING `+operationColumns,
		id, op.OrgID, companyID, connID, op.Kind, op.Priority, qbconnect.OpQueued, nullString(op.IdempotencyKey),
		op.Request, op.MessageSetID, op.Meta, maxAttempts, micros(notBefore), nullMicros(op.Deadline), micros(now), micros(now),
		op.Fingerprint))
	if err == sql.ErrNoRows {
		stored, _, err = scanOperation(tx.queryRow(ctx, "SELECT "+operationColumns+" FROM operations WHERE org_id = ? AND idempotency_key = ?",
			op.OrgID, op.IdempotencyKey))
		if err != nil {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
		return stored, nil
	}
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	if err := tx.notify(ctx, connectorID); err != nil {
		return nil, err
	}
	if err := tx.notify(ctx, connID); err != nil {
		return nil, err
	}
	return stored, nil
}

// FindOperation returns ENotFound for an unknown or other-org ID.
func (q *QueueStore) FindOperation(ctx context.Context, orgID, id string) (*qbconnect.Operation, error) {
	op, _, err := scanOperation(q.db.queryRow(ctx, "SELECT "+operationColumns+" FROM operations WHERE id = ?", id))
	if op != nil {
		err = inOrg(err, op.OrgID, orgID)
	}
	if err != nil {
		return nil, notFound(err, "operation", id)
	}
	return op, nil
}

// ListOperations returns a page of an organisation's operations, newest
// first, and the cursor of the next page ("" at the end).
func (q *QueueStore) ListOperations(ctx context.Context, f qbconnect.OperationFilter) ([]*qbconnect.Operation, string, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	where, args := []string{"org_id = ?"}, []any{f.OrgID}
	if f.CompanyID != "" {
		where, args = append(where, "company_id = ?"), append(args, f.CompanyID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.Cursor != "" {
		before, err := parseSeqCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "seq < ?"), append(args, before)
	}
	rows, err := q.db.query(ctx, "SELECT "+operationColumns+" FROM operations WHERE "+strings.Join(where, " AND ")+
		" ORDER BY seq DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list operations: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.Operation{}
	var next string
	var last int64
	for rows.Next() {
		op, seq, err := scanOperation(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list operations: %w", err)
		}
		if len(list) == limit {
			next = seqCursor(last)
			break
		}
		list = append(list, op)
		last = seq
	}
	return list, next, rows.Err()
}

// Lease hands out the next runnable operation of one of the connector's
// connections, or nil when there is none, when one is already in flight, or
// when every connection with work is paused, not Linked, or waits for the
// user. Before choosing it times out the connector's expired work and
// re-offers its expired leases. ENotFound for an unknown connector,
// EUnauthorized for a revoked one.
func (q *QueueStore) Lease(ctx context.Context, connectorID string, ttl time.Duration) (*qbconnect.Lease, error) {
	return q.lease(ctx, connectorID, "", ttl)
}

// LeaseConnection is Lease restricted to one connection; it is how the Web
// Connector endpoint takes work. A connection served by a connector still
// obeys that connector's one-in-flight rule.
func (q *QueueStore) LeaseConnection(ctx context.Context, connectionID string, ttl time.Duration) (*qbconnect.Lease, error) {
	var connectorID string
	err := q.db.queryRow(ctx, "SELECT COALESCE(connector_id, '') FROM connections WHERE id = ?", connectionID).Scan(&connectorID)
	if err != nil {
		return nil, notFound(err, "connection", connectionID)
	}
	return q.lease(ctx, connectorID, connectionID, ttl)
}

func (q *QueueStore) lease(ctx context.Context, connectorID, connectionID string, ttl time.Duration) (*qbconnect.Lease, error) {
	c, err := q.claim(ctx, connectorID, connectionID, ttl, false)
	return c.lease, err
}

// claimed is what one claim found: the lease handed out (nil for none),
// how many live leases it ended first (reoffer), and, when it handed out
// nothing, the earliest time at which work of the scope may become
// runnable without any write telling so (an operation's back-off or
// not-before, a timed pause, a live lease's expiry); zero when none is
// known.
type claimed struct {
	lease     *qbconnect.Lease
	reoffered int
	retryAt   time.Time
}

// claim is Lease; with reoffer it first ends the connector's live leases
// (ReofferLeases) in the same transaction, under the same lock.
func (q *QueueStore) claim(ctx context.Context, connectorID, connectionID string, ttl time.Duration, reoffer bool) (claimed, error) {
	if ttl <= 0 {
		return claimed{}, qbconnect.Errorf(qbconnect.EInvalid, "lease time %s must be positive", ttl)
	}
	var out claimed
	err := q.db.inTx(ctx, func(tx *tx) error {
		out = claimed{}
		now := q.db.now()
		// scope selects the operations whose lease blocks this one;
		// candidates the connections whose work may be handed out.
		var scope, candidates string
		var scopeArgs, candArgs []any
		if connectorID != "" {
			var revoked sql.NullInt64
			err := tx.queryRow(ctx, "SELECT revoked_at FROM connectors WHERE id = ?"+q.db.forUpdate("FOR UPDATE"), connectorID).Scan(&revoked)
			if err != nil {
				return notFound(err, "connector", connectorID)
			}
			if revoked.Valid {
				return qbconnect.Errorf(qbconnect.EUnauthorized, "connector %s was revoked", connectorID)
			}
			if reoffer {
				if out.reoffered, err = q.reoffer(ctx, tx, connectorID, now); err != nil {
					return err
				}
			}
			scope = "connection_id IN (SELECT id FROM connections WHERE connector_id = ?)"
			scopeArgs = []any{connectorID}
			candidates, candArgs = "c.connector_id = ?", []any{connectorID}
			if connectionID != "" {
				candidates, candArgs = candidates+" AND c.id = ?", append(candArgs, connectionID)
			}
		} else {
			var id string
			err := tx.queryRow(ctx, "SELECT id FROM connections WHERE id = ?"+q.db.forUpdate("FOR UPDATE"), connectionID).Scan(&id)
			if err != nil {
				return notFound(err, "connection", connectionID)
			}
			scope, scopeArgs = "connection_id = ?", []any{connectionID}
			candidates, candArgs = "c.id = ?", []any{connectionID}
		}
		// A live lease in scope means the connector is busy; expired ones
		// are re-offered (or finished) before choosing.
		rows, err := tx.query(ctx, "SELECT lease_expires_at FROM operations WHERE "+scope+" AND status = 'InFlight'", scopeArgs...)
		if err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		live, expired := int64(0), false
		for rows.Next() {
			var exp int64
			if err := rows.Scan(&exp); err != nil {
				rows.Close()
				return fmt.Errorf("lease: %w", err)
			}
			if exp > micros(now) {
				if live == 0 || exp < live {
					live = exp
				}
			} else {
				expired = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		if live != 0 {
			out.retryAt = fromMicros(live)
			return nil
		}
		if expired {
			if _, err := q.expire(ctx, tx, scope, scopeArgs, now, false); err != nil {
				return err
			}
		}
		opID, connID, retryAt, err := q.next(ctx, tx, candidates, candArgs, now)
		if err != nil || opID == "" {
			out.retryAt = retryAt
			return err
		}
		leaseID, err := q.db.newID("lse")
		if err != nil {
			return err
		}
		expires := now.Add(ttl)
		op, _, err := scanOperation(tx.queryRow(ctx, `UPDATE operations SET status = 'InFlight', attempts = attempts + 1, lease_id = ?, lease_expires_at = ?,
			updated_at = ? WHERE id = ? RETURNING `+operationColumns, leaseID, micros(expires), micros(now), opID))
		if err != nil {
			return fmt.Errorf("lease %s: %w", opID, err)
		}
		// Nothing below reads these two: they go with the commit.
		tx.execAtCommit("INSERT INTO operation_leases (lease_id, op_id, attempt, leased_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			leaseID, opID, op.Attempts, micros(now), micros(expires))
		tx.execAtCommit("UPDATE connections SET last_request_at = ? WHERE id = ?", micros(now), connID)
		// Every process's dispatcher learns that the connector holds a
		// lease, so that its next poll, wherever it lands, re-offers it
		// if the answer never reached it (a server died in between).
		if connectorID != "" {
			if err := tx.notify(ctx, leasedKey(connectorID)); err != nil {
				return err
			}
		}
		out.lease = &qbconnect.Lease{Operation: op, LeaseID: leaseID, ExpiresAt: expires}
		return nil
	})
	return out, err
}

func deadlineError() any {
	return encodeError(&qbconnect.Error{Code: qbconnect.ETimeout, Message: "the operation's deadline passed before QuickBooks answered",
		UserMessage: "QuickBooks did not process the request in time.", Resolution: "Check that QuickBooks is open with the right company file, then retry."})
}

// next chooses the operation to lease among the connections selected by
// candidates (a condition on connections c), or returns "" when none may
// run. It walks each eligible connection's queue in (priority, seq) order
// through the operations_queue index, one group head per priority, so its
// cost does not grow with the length of the queue. Heads whose deadline
// passed time out on the way.
func (q *QueueStore) next(ctx context.Context, tx *tx, candidates string, candArgs []any, now time.Time) (string, string, time.Time, error) {
	// retry is the earliest time something not runnable now becomes
	// runnable by itself: a timed pause ending, a head's not-before.
	var retry int64
	later := func(t int64) {
		if t > micros(now) && (retry == 0 || t < retry) {
			retry = t
		}
	}
	retryAt := func() time.Time {
		if retry == 0 {
			return time.Time{}
		}
		return fromMicros(retry)
	}
	rows, err := tx.query(ctx, `SELECT c.id, c.paused, c.paused_until FROM connections c WHERE `+candidates+
		` AND c.status = 'Linked' AND NOT c.needs_user ORDER BY c.seq`, candArgs...)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("lease: %w", err)
	}
	var conns []string
	for rows.Next() {
		var id string
		var paused bool
		var until sql.NullInt64
		if err := rows.Scan(&id, &paused, &until); err != nil {
			rows.Close()
			return "", "", time.Time{}, fmt.Errorf("lease: %w", err)
		}
		if paused && (!until.Valid || until.Int64 > micros(now)) {
			if until.Valid {
				later(until.Int64)
			}
			continue
		}
		conns = append(conns, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", "", time.Time{}, fmt.Errorf("lease: %w", err)
	}
	type head struct {
		id, conn string
		priority int
		seq      int64
	}
	var best *head
	for _, conn := range conns {
		// Start before the first group; after a blocked head, skip the rest
		// of its group (its line waits behind it).
		prio, seq := -1, int64(0)
		for {
			var h head
			var notBefore int64
			var deadline sql.NullInt64
			err := tx.queryRow(ctx, `SELECT id, priority, seq, not_before, deadline FROM operations
				WHERE connection_id = ? AND status = 'Queued' AND (priority > ? OR (priority = ? AND seq > ?))
				ORDER BY priority, seq LIMIT 1`, conn, prio, prio, seq).Scan(&h.id, &h.priority, &h.seq, &notBefore, &deadline)
			if err == sql.ErrNoRows {
				break
			}
			if err != nil {
				return "", "", time.Time{}, fmt.Errorf("lease: %w", err)
			}
			if best != nil && (h.priority > best.priority || h.priority == best.priority && h.seq > best.seq) {
				break // nothing later in this queue can beat the best so far
			}
			if deadline.Valid && deadline.Int64 <= micros(now) {
				// Its deadline passed while it waited: it times out, and
				// the next of its group becomes the head.
				if _, err := tx.exec(ctx, "UPDATE operations SET status = 'TimedOut', error = ?, completed_at = ?, updated_at = ? WHERE id = ?",
					deadlineError(), micros(now), micros(now), h.id); err != nil {
					return "", "", time.Time{}, fmt.Errorf("lease: %w", err)
				}
				if err := tx.notify(ctx, conn); err != nil {
					return "", "", time.Time{}, err
				}
				prio, seq = h.priority, h.seq
				continue
			}
			if notBefore > micros(now) {
				later(notBefore)
				prio, seq = h.priority, math.MaxInt64
				continue
			}
			h.conn = conn
			best = &h
			break
		}
	}
	if best == nil {
		return "", "", retryAt(), nil
	}
	return best.id, best.conn, time.Time{}, nil
}

// expire finishes or re-offers the operations in scope whose time ran out:
// queued ones past their deadline become TimedOut; in-flight ones whose lease
// expired become TimedOut past their deadline, Failed when they used up their
// attempts, and Queued again otherwise (keeping their place in line). It
// returns the number of operations changed and queues a wake-up for each
// connection concerned.
func (q *QueueStore) expire(ctx context.Context, tx *tx, scope string, scopeArgs []any, now time.Time, sweep bool) (int, error) {
	n := micros(now)
	deadline := deadlineError()
	leaseLost := encodeError(&qbconnect.Error{Code: qbconnect.ETimeout, Message: "every attempt's lease expired without a result",
		UserMessage: "The connector did not answer in time.", Resolution: "Check that the connector is running and online, then retry."})
	// The sweeper skips rows other transactions hold; Lease, which holds the
	// connector's lock, waits for them, so no expired lease stays behind.
	skip := ""
	if sweep {
		skip = q.db.forUpdate("FOR UPDATE SKIP LOCKED")
	}
	steps := []struct {
		cond string
		args []any
		set  string
		vals []any
	}{
		{"status = 'Queued' AND deadline IS NOT NULL AND deadline <= ?", []any{n},
			"status = 'TimedOut', error = ?, completed_at = ?", []any{deadline, n}},
		{"status = 'InFlight' AND lease_expires_at <= ? AND deadline IS NOT NULL AND deadline <= ?", []any{n, n},
			"status = 'TimedOut', error = ?, completed_at = ?, lease_id = NULL, lease_expires_at = NULL", []any{deadline, n}},
		{"status = 'InFlight' AND lease_expires_at <= ? AND attempts >= max_attempts", []any{n},
			"status = 'Failed', error = ?, completed_at = ?, lease_id = NULL, lease_expires_at = NULL", []any{leaseLost, n}},
		{"status = 'InFlight' AND lease_expires_at <= ?", []any{n},
			"status = 'Queued', not_before = ?, lease_id = NULL, lease_expires_at = NULL", []any{n}},
	}
	changed := 0
	for _, s := range steps {
		args := append(append([]any{}, s.vals...), micros(now))
		args = append(append(append(args, scopeArgs...), s.args...), s.args...)
		rows, err := tx.query(ctx, "UPDATE operations SET "+s.set+", updated_at = ? WHERE id IN (SELECT id FROM operations WHERE "+
			scope+" AND "+s.cond+skip+") AND "+s.cond+" RETURNING connection_id", args...)
		if err != nil {
			return 0, fmt.Errorf("expire operations: %w", err)
		}
		var conns []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return 0, fmt.Errorf("expire operations: %w", err)
			}
			conns = append(conns, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("expire operations: %w", err)
		}
		changed += len(conns)
		for _, c := range conns {
			if err := notifyConnection(ctx, tx, c); err != nil {
				return 0, err
			}
		}
	}
	return changed, nil
}

// ExpireDeadlines times out queued operations whose deadline passed and
// re-offers (or fails) those whose lease expired, across every connector. It
// returns how many operations changed. With PostgreSQL it skips rows another
// transaction holds, so it never waits on a busy queue.
func (q *QueueStore) ExpireDeadlines(ctx context.Context) (int, error) {
	var n int
	err := q.db.inTx(ctx, func(tx *tx) error {
		var err error
		n, err = q.expire(ctx, tx, "1 = 1", nil, q.db.now(), true)
		return err
	})
	return n, err
}

// Complete records an outcome for a lease. It answers ENotFound for an
// unknown operation and EConflict for a lease never issued for it; every
// other outcome is recorded (see Outcomes), and applied reports whether it
// decided the operation's state. A response completes the operation as
// Success unless it already finished. A failure under the current lease:
// when out.Health says the user must act, the operation waits again without
// using up the attempt; when retryable and attempts remain, it is retried
// after an exponential back-off with jitter; otherwise it fails. out.Health,
// under the current lease, becomes the connection's health.
//
// A response is stored once: the applied one becomes the operation's
// Result, and an outcome that repeats it byte for byte refers to it
// instead of keeping a copy. The returned operation's Result is
// out.Response itself when the response applied (not a copy).
func (q *QueueStore) Complete(ctx context.Context, opID, leaseID string, out qbconnect.Outcome) (*qbconnect.Operation, bool, error) {
	var applied bool
	var done *qbconnect.Operation
	err := q.db.inTx(ctx, func(tx *tx) error {
		now := q.db.now()
		// The operation, locked, and whether the lease was ever issued for
		// it, in one statement.
		var issued bool
		op, _, err := scanOperation(scanFunc(func(dest ...any) error {
			return tx.queryRow(ctx, "SELECT "+operationColumns+
				", EXISTS (SELECT 1 FROM operation_leases WHERE lease_id = ? AND op_id = operations.id) FROM operations WHERE id = ?"+
				q.db.forUpdate("FOR UPDATE OF operations"), leaseID, opID).Scan(append(dest, &issued)...)
		}))
		if err != nil {
			return notFound(err, "operation", opID)
		}
		if !issued {
			return qbconnect.Errorf(qbconnect.EConflict, "lease %q was not issued for operation %s", leaseID, opID)
		}
		current := op.Status == qbconnect.OpInFlight && op.LeaseID == leaseID
		setsHealth := current && out.Health != nil
		// before is the connection as this completion finds it; locked
		// when the completion sets its health, which starts from it.
		var before *qbconnect.Connection
		switch {
		case setsHealth:
			if before, err = lockConnection(ctx, tx, op.ConnectionID); err != nil {
				return err
			}
		case out.Then != nil:
			if before, err = scanConnection(tx.queryRow(ctx, "SELECT "+connectionColumns+" FROM connections WHERE id = ?", op.ConnectionID)); err != nil {
				return notFound(err, "connection", op.ConnectionID)
			}
		}
		// A sync page's result is written after Then, unless Then consumed
		// it (completionTx.consumeResult): its records are stored instead
		// of its answer. Other results are written at once: a second
		// UPDATE of the row costs every write.
		stored := nonNil(out.Response)
		deferResult := out.Then != nil && op.Kind == qbconnect.OpSync
		if deferResult {
			stored = []byte{}
		}
		// updated is the operation as a success left it (without its
		// result, which the caller holds); nothing below changes it.
		var updated *qbconnect.Operation
		switch {
		case op.Status.Done():
		case out.Failure == nil:
			applied = true
			updated, _, err = scanOperation(tx.queryRow(ctx, `UPDATE operations SET status = 'Success', result = ?, error = NULL, lease_id = NULL,
				lease_expires_at = NULL, completed_at = ?, updated_at = ? WHERE id = ? RETURNING `+operationColumnsNoResult,
				stored, micros(now), micros(now), opID))
		case current:
			applied = true
			err = q.fail(ctx, tx, op, out, now)
		}
		if err != nil {
			return fmt.Errorf("complete %s: %w", opID, err)
		}
		result := op.Result
		if applied && out.Failure == nil {
			result = nonNil(out.Response)
		}
		// The outcome keeps its own copy only of a response that differs
		// from the result.
		response, isResult := out.Response, false
		if out.Response != nil && result != nil && (applied && out.Failure == nil || bytes.Equal(out.Response, result)) {
			response, isResult = nil, true
		}
		// Nothing in the completion reads the outcomes: it goes with the
		// commit.
		tx.execAtCommit(`INSERT INTO operation_outcomes (op_id, lease_id, applied, received_at, response, response_is_result, failure)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, opID, leaseID, applied, micros(now), response, isResult, encodeError(out.Failure))
		// after is the connection as this completion leaves it, read back
		// by the statement that changes it.
		after := before
		if setsHealth {
			h := *out.Health
			h.LastRequestAt = &now
			if out.Failure == nil {
				h.LastSuccessAt = &now
			}
			if after, err = setHealthOf(ctx, tx, before, h); err != nil {
				return err
			}
		} else if applied && out.Failure == nil {
			if after, err = scanConnection(tx.queryRow(ctx, "UPDATE connections SET last_success_at = ? WHERE id = ? RETURNING "+connectionColumns,
				micros(now), op.ConnectionID)); err != nil {
				return notFound(err, "connection", op.ConnectionID)
			}
		}
		// The connector is free for its next item.
		if after != nil {
			err = notifyConnectionOf(ctx, tx, after)
		} else {
			err = notifyConnection(ctx, tx, op.ConnectionID)
		}
		if err != nil {
			return err
		}
		// The result is known: read the rest without copying it back.
		done = updated
		if done == nil {
			done, _, err = scanOperation(tx.queryRow(ctx, "SELECT "+operationColumnsNoResult+" FROM operations WHERE id = ?", opID))
			if err != nil {
				return fmt.Errorf("complete %s: %w", opID, err)
			}
		}
		done.Result = result
		if applied && out.Then != nil {
			c := &completionTx{tx: tx, op: done, before: before, after: after}
			if err := out.Then(ctx, c); err != nil {
				return err
			}
			if !deferResult || c.consumed || out.Failure != nil || len(result) == 0 {
				return nil
			}
			if _, err := tx.exec(ctx, "UPDATE operations SET result = ? WHERE id = ?", result, opID); err != nil {
				return fmt.Errorf("complete %s: %w", opID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return done, applied, nil
}

// notifyConnection wakes whoever waits for work of a connection: its
// connector, or the Web Connector session polling the connection itself.
func notifyConnection(ctx context.Context, tx *tx, connID string) error {
	for _, k := range tx.wake {
		if k == connID {
			return nil
		}
	}
	var connectorID string
	if err := tx.queryRow(ctx, "SELECT COALESCE(connector_id, '') FROM connections WHERE id = ?", connID).Scan(&connectorID); err != nil {
		return fmt.Errorf("notify %s: %w", connID, err)
	}
	return notifyConnectionOf(ctx, tx, &qbconnect.Connection{ID: connID, ConnectorID: connectorID})
}

// notifyConnectionOf is notifyConnection for a connection already read.
func notifyConnectionOf(ctx context.Context, tx *tx, c *qbconnect.Connection) error {
	if err := tx.notify(ctx, c.ConnectorID); err != nil {
		return err
	}
	return tx.notify(ctx, c.ID)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// fail applies a failure reported under the current lease.
func (q *QueueStore) fail(ctx context.Context, tx *tx, op *qbconnect.Operation, out qbconnect.Outcome, now time.Time) error {
	errJSON := encodeError(out.Failure)
	switch {
	case out.Health != nil && out.Health.NeedsUser:
		_, err := tx.exec(ctx, `UPDATE operations SET status = 'Queued', attempts = attempts - 1, not_before = ?, error = ?,
			lease_id = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?`, micros(now), errJSON, micros(now), op.ID)
		return err
	case out.Failure.Retryable && op.Attempts < op.MaxAttempts:
		retry := now.Add(q.backoff(op.Attempts))
		_, err := tx.exec(ctx, `UPDATE operations SET status = 'Queued', not_before = ?, error = ?,
			lease_id = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?`, micros(retry), errJSON, micros(now), op.ID)
		return err
	default:
		_, err := tx.exec(ctx, `UPDATE operations SET status = 'Failed', error = ?, lease_id = NULL, lease_expires_at = NULL,
			completed_at = ?, updated_at = ? WHERE id = ?`, errJSON, micros(now), micros(now), op.ID)
		return err
	}
}

// backoff returns RetryBase·2^(attempt-1), capped at RetryMax, scaled by a
// random factor in [0.5, 1) so that retries of many items spread out.
func (q *QueueStore) backoff(attempt int) time.Duration {
	d := q.db.opts.RetryBase
	for i := 1; i < attempt && d < q.db.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, q.db.opts.RetryMax)
	var b [8]byte
	q.db.randMu.Lock()
	_, err := io.ReadFull(q.db.opts.Rand, b[:])
	q.db.randMu.Unlock()
	if err != nil {
		return d
	}
	f := 0.5 + float64(binary.BigEndian.Uint64(b[:])>>11)/(1<<53)/2
	return time.Duration(float64(d) * f)
}

// ExtendLease moves the expiry of a current lease to now+ttl, for work that
// takes long (a large query). EConflict when the lease is no longer current.
func (q *QueueStore) ExtendLease(ctx context.Context, opID, leaseID string, ttl time.Duration) (time.Time, error) {
	if ttl <= 0 {
		return time.Time{}, qbconnect.Errorf(qbconnect.EInvalid, "lease time %s must be positive", ttl)
	}
	var expires time.Time
	err := q.db.inTx(ctx, func(tx *tx) error {
		now := q.db.now()
		expires = now.Add(ttl)
		res, err := tx.exec(ctx, `UPDATE operations SET lease_expires_at = ?, updated_at = ?
			WHERE id = ? AND lease_id = ? AND status = 'InFlight' AND lease_expires_at > ?`,
			micros(expires), micros(now), opID, leaseID, micros(now))
		if err != nil {
			return fmt.Errorf("extend lease: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.EConflict, "lease %q of operation %s is not current", leaseID, opID)
		}
		_, err = tx.exec(ctx, "UPDATE operation_leases SET expires_at = ? WHERE lease_id = ?", micros(expires), leaseID)
		return err
	})
	return expires, err
}

// ReofferLeases ends the live leases of the connector's operations now,
// so that the next Lease re-offers them (see qbconnect.Queue). It locks the
// connector's row, as Lease does, so that it never ends a lease that a
// concurrent Lease of another process is handing out.
func (q *QueueStore) ReofferLeases(ctx context.Context, connectorID string) (int, error) {
	var n int
	err := q.db.inTx(ctx, func(tx *tx) error {
		var id string
		err := tx.queryRow(ctx, "SELECT id FROM connectors WHERE id = ?"+q.db.forUpdate("FOR UPDATE"), connectorID).Scan(&id)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reoffer leases: %w", err)
		}
		n, err = q.reoffer(ctx, tx, connectorID, q.db.now())
		return err
	})
	return n, err
}

// reoffer ends the connector's live leases in tx, which holds the
// connector's row lock.
func (q *QueueStore) reoffer(ctx context.Context, tx *tx, connectorID string, at time.Time) (int, error) {
	now := micros(at)
	rows, err := tx.query(ctx, `UPDATE operations SET lease_expires_at = ?, updated_at = ?
		WHERE status = 'InFlight' AND lease_expires_at > ? AND connection_id IN (SELECT id FROM connections WHERE connector_id = ?)
		RETURNING lease_id`, now, now, now, connectorID)
	if err != nil {
		return 0, fmt.Errorf("reoffer leases: %w", err)
	}
	var leases []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reoffer leases: %w", err)
		}
		leases = append(leases, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reoffer leases: %w", err)
	}
	for _, l := range leases {
		if _, err := tx.exec(ctx, "UPDATE operation_leases SET expires_at = ? WHERE lease_id = ?", now, l); err != nil {
			return 0, fmt.Errorf("reoffer leases: %w", err)
		}
	}
	if len(leases) > 0 {
		if err := tx.notify(ctx, connectorID); err != nil {
			return 0, err
		}
	}
	return len(leases), nil
}

// Cancel cancels a queued operation. EConflict when it is in flight or
// finished otherwise; cancelling a cancelled operation does nothing.
func (q *QueueStore) Cancel(ctx context.Context, orgID, id string) error {
	return q.db.inTx(ctx, func(tx *tx) error {
		var status qbconnect.OperationStatus
		var org string
		err := tx.queryRow(ctx, "SELECT status, org_id FROM operations WHERE id = ?"+q.db.forUpdate("FOR UPDATE"), id).Scan(&status, &org)
		if err = inOrg(err, org, orgID); err != nil {
			return notFound(err, "operation", id)
		}
		switch status {
		case qbconnect.OpCanceled:
			return nil
		case qbconnect.OpQueued:
		default:
			return qbconnect.Errorf(qbconnect.EConflict, "operation %s is %s and can no longer be cancelled", id, status)
		}
		now := micros(q.db.now())
		var connID string
		err = tx.queryRow(ctx, "UPDATE operations SET status = 'Canceled', completed_at = ?, updated_at = ? WHERE id = ? RETURNING connection_id",
			now, now, id).Scan(&connID)
		if err != nil {
			return fmt.Errorf("cancel %s: %w", id, err)
		}
		// A cancelled head in back-off held back the rest of its line:
		// the connector looks again.
		return notifyConnection(ctx, tx, connID)
	})
}

// Wait returns a channel closed when work may be available for the
// connector (or Web Connector connection) named by key. All waiters on a key
// share one channel, so waiting costs nothing to cancel: a caller that gives
// up simply stops selecting on it.
func (q *QueueStore) Wait(ctx context.Context, key string) <-chan struct{} {
	return q.db.hub.wait(key)
}

// OutcomeRecord is one result posted for an operation, applied or not.
type OutcomeRecord struct {
	LeaseID    string
	Applied    bool
	ReceivedAt time.Time
	Response   []byte
	Failure    *qbconnect.Error
}

// Outcomes returns every result posted for an operation, oldest first.
// ENotFound for an unknown or other-org operation.
func (q *QueueStore) Outcomes(ctx context.Context, orgID, opID string) ([]OutcomeRecord, error) {
	op, err := q.FindOperation(ctx, orgID, opID)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.query(ctx, "SELECT lease_id, applied, received_at, response, response_is_result, failure FROM operation_outcomes WHERE op_id = ? ORDER BY seq", opID)
	if err != nil {
		return nil, fmt.Errorf("outcomes of %s: %w", opID, err)
	}
	defer rows.Close()
	list := []OutcomeRecord{}
	for rows.Next() {
		var o OutcomeRecord
		var at int64
		var isResult bool
		var failure sql.NullString
		if err := rows.Scan(&o.LeaseID, &o.Applied, &at, &o.Response, &isResult, &failure); err != nil {
			return nil, fmt.Errorf("outcomes of %s: %w", opID, err)
		}
		if isResult {
			o.Response = bytes.Clone(nonNil(op.Result))
		}
		o.ReceivedAt = fromMicros(at)
		if failure.Valid {
			if o.Failure, err = decodeError(failure.String); err != nil {
				return nil, err
			}
		}
		list = append(list, o)
	}
	return list, rows.Err()
}

// CountOperations returns how many operations of every organisation are in
// each status, for the queue-depth metric. Statuses with no operation are
// absent from the map (their count is zero). It reads the whole queue of
// the database, so it sees the work of every process that shares it.
func (q *QueueStore) CountOperations(ctx context.Context) (map[qbconnect.OperationStatus]int, error) {
	rows, err := q.db.query(ctx, "SELECT status, COUNT(*) FROM operations GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count operations: %w", err)
	}
	defer rows.Close()
	counts := map[qbconnect.OperationStatus]int{}
	for rows.Next() {
		var st qbconnect.OperationStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count operations: %w", err)
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count operations: %w", err)
	}
	return counts, nil
}

// completionTx is the transaction of Complete as Outcome.Then sees it.
type completionTx struct {
	tx            *tx
	op            *qbconnect.Operation
	before, after *qbconnect.Connection
	// consumed: the operation's result is not stored (consumeResult).
	consumed bool
}

// consumeResult says that what the operation's result changed is stored
// in this transaction, so the result itself need not be: the operation
// completes with an empty Result (SyncStore.JoinSyncPage calls it for a
// sync page whose records it wrote, or that was ingested already).
func (c *completionTx) consumeResult() { c.consumed = true }

var _ qbconnect.CompletionTx = (*completionTx)(nil)

func (c *completionTx) Operation() *qbconnect.Operation { return c.op }

func (c *completionTx) Connection() (before, after *qbconnect.Connection) { return c.before, c.after }

func (c *completionTx) UpsertRecords(ctx context.Context, rs []*qbconnect.Record) error {
	uniq, err := uniqueRecords(rs)
	if err != nil || len(uniq) == 0 {
		return err
	}
	return upsertRecords(ctx, c.tx, uniq, micros(c.tx.db.now()))
}

func (c *completionTx) DeleteRecords(ctx context.Context, companyID, typ string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return deleteRecords(ctx, c.tx, companyID, typ, ids, at, micros(c.tx.db.now()))
}

func (c *completionTx) RecordEvent(ctx context.Context, ev *qbconnect.Event) ([]string, error) {
	return recordEventTx(ctx, c.tx, ev)
}

func (c *completionTx) SetWriteResult(ctx context.Context, res *qbconnect.WriteResult) error {
	if res == nil {
		return qbconnect.Errorf(qbconnect.EInvalid, "write result is required")
	}
	enc, err := encodeWriteResult(res)
	if err != nil {
		return fmt.Errorf("write result of %s: %w", c.op.ID, err)
	}
	if _, err := c.tx.exec(ctx, "UPDATE operations SET write_result = ? WHERE id = ?", enc, c.op.ID); err != nil {
		return fmt.Errorf("write result of %s: %w", c.op.ID, err)
	}
	c.op.WriteResult = res
	return nil
}
