package qbconnect

import (
	"context"
	"time"
)

// OperationKind says what an operation does in QuickBooks.
type OperationKind string

// Operation kinds.
const (
	OpSync   OperationKind = "sync"   // one page of a sync (a query, possibly an iterator continuation)
	OpWrite  OperationKind = "write"  // a client's Add, Mod, Del or Void
	OpQBXML  OperationKind = "qbxml"  // raw qbXML passthrough
	OpHealth OperationKind = "health" // a live round trip to QuickBooks
	OpStamp  OperationKind = "stamp"  // reads or writes the file's identity stamp
)

// OperationStatus is the lifecycle of an operation. The REST API shows
// Queued and InFlight as "Pending".
type OperationStatus string

// Operation statuses.
const (
	OpQueued    OperationStatus = "Queued"
	OpInFlight  OperationStatus = "InFlight" // leased to a connector or Web Connector session
	OpSucceeded OperationStatus = "Success"
	OpFailed    OperationStatus = "Failed"
	OpTimedOut  OperationStatus = "TimedOut"
	OpCanceled  OperationStatus = "Canceled"
)

// Done reports whether the status is final.
func (s OperationStatus) Done() bool {
	return s == OpSucceeded || s == OpFailed || s == OpTimedOut || s == OpCanceled
}

// Priorities: lower runs first. Client writes and user-triggered work go
// before scheduled syncs; an iterator continuation goes before everything,
// because QuickBooks expires iterators.
const (
	PriorityContinuation = 0
	PriorityWrite        = 10
	PriorityInteractive  = 20 // on-demand sync, health check, passthrough
	PriorityScheduled    = 50
)

// Operation is one unit of QuickBooks work, durable before it is acknowledged
// to a client, run at most once against the company file.
type Operation struct {
	ID             string          `json:"id"`
	OrgID          string          `json:"-"`
	CompanyID      string          `json:"companyId"`
	ConnectionID   string          `json:"connectionId"`
	Kind           OperationKind   `json:"kind"`
	Priority       int             `json:"-"`
	Status         OperationStatus `json:"status"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	// Request is the qbXML request document sent to QuickBooks.
	Request string `json:"-"`
	// MessageSetID is the qbXML newMessageSetID of a write, so that a write
	// whose answer was lost is recovered with oldMessageSetID, never repeated.
	MessageSetID string `json:"-"`
	// Fingerprint identifies the client request that made the operation
	// (a hash of what the client sent), so that an IdempotencyKey reused
	// for a different request is told from a repeat. Empty when there is
	// none to compare (internal work, operations older than the field).
	Fingerprint string `json:"-"`
	// Meta is owner-defined JSON (the sync engine's page state, the write's
	// data type and action).
	Meta []byte `json:"-"`

	Attempts    int        `json:"attempts"`
	MaxAttempts int        `json:"-"`
	NotBefore   time.Time  `json:"-"`
	Deadline    *time.Time `json:"deadline,omitempty"`

	LeaseID        string     `json:"-"`
	LeaseExpiresAt *time.Time `json:"-"`

	// Result is the raw qbXML response, set on success (and on a QuickBooks
	// error status, which is a successful round trip).
	Result []byte `json:"-"`
	Error  *Error `json:"-"`
	// WriteResult is a finished write's result as the sync engine decoded
	// it in the transaction that completed the write
	// (CompletionTx.SetWriteResult), so that reads need not decode Result
	// again; nil for other operations, unfinished writes, and writes whose
	// result was not stored (SyncService.WriteResult decodes those).
	WriteResult *WriteResult `json:"-"`

	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// Lease is an operation handed to one connector or Web Connector session.
type Lease struct {
	Operation *Operation
	LeaseID   string
	ExpiresAt time.Time
}

// Outcome is what came back for a leased operation: a qbXML response, or a
// failure to reach QuickBooks (an HRESULT and its message) with the health it
// implies.
type Outcome struct {
	Response []byte
	Failure  *Error // nil on a round trip, even when QuickBooks reported an error status
	// Health, when not nil, is the connection's health after this attempt.
	Health *Health
	// Then, when set, runs inside the transaction that records the
	// outcome, once the outcome applied (Complete's applied): it stores
	// what the answer changed (the record a write created, updated, voided
	// or deleted) and records the events the change raises (an outbox).
	// Whoever waits for the operation is woken only once it committed; an
	// error rolls the whole outcome back.
	Then func(ctx context.Context, tx CompletionTx) error
}

// CompletionTx is the transaction that records an outcome, as
// Outcome.Then sees it.
type CompletionTx interface {
	// Operation is the operation as the outcome left it, its Result
	// included.
	Operation() *Operation
	// Connection returns the operation's connection as it was before the
	// outcome and as the outcome left it.
	Connection() (before, after *Connection)
	// UpsertRecords and DeleteRecords change stored records as
	// RecordService does.
	UpsertRecords(ctx context.Context, rs []*Record) error
	DeleteRecords(ctx context.Context, companyID, dataType string, ids []string, at time.Time) error
	// RecordEvent records ev (setting its ID) and one pending webhook
	// delivery per subscribed endpoint, and returns the deliveries' IDs,
	// whose sending starts once the transaction committed.
	RecordEvent(ctx context.Context, ev *Event) (deliveries []string, err error)
	// SetWriteResult stores res as the operation's WriteResult (and sets
	// it on Operation()), so that the write's answer is decoded once.
	SetWriteResult(ctx context.Context, res *WriteResult) error
}

// Queue is the operation queue: per-connector FIFO with priorities, at most
// one operation in flight per connector (one QuickBooks on one PC processes
// one request at a time), leases that expire and are re-offered, and
// deadlines after which writes become TimedOut.
type Queue interface {
	// Enqueue stores op durably. With an IdempotencyKey already used in the
	// org, it returns the existing operation and no error.
	Enqueue(ctx context.Context, op *Operation) (*Operation, error)
	// FindOperation returns ENotFound for another organisation's ID.
	FindOperation(ctx context.Context, orgID, id string) (*Operation, error)
	// Lease hands out the next runnable operation of one of the connector's
	// connections, or nil when there is none (or one is already in flight).
	// Connections whose health needs the user are skipped.
	Lease(ctx context.Context, connectorID string, ttl time.Duration) (*Lease, error)
	// LeaseConnection is Lease restricted to one connection (Web Connector).
	LeaseConnection(ctx context.Context, connectionID string, ttl time.Duration) (*Lease, error)
	// Complete records an outcome. It is idempotent by operation: a second
	// outcome, or one for a lease that was re-offered, is recorded and
	// ignored (applied reports false).
	Complete(ctx context.Context, opID, leaseID string, out Outcome) (op *Operation, applied bool, err error)
	// Cancel cancels a queued operation; EConflict when it is in flight or
	// finished otherwise. Cancelling a cancelled operation does nothing.
	Cancel(ctx context.Context, orgID, id string) error
	// Wait returns a channel closed when work may be available for the
	// connector (or, for a Web Connector connection, the connection ID):
	// enqueued by this process or, with PostgreSQL, any process. Call Wait
	// before Lease, so that work enqueued between the two is not missed.
	Wait(ctx context.Context, connectorID string) <-chan struct{}
	// ListOperations returns a page of an organisation's operations, newest
	// first, and the cursor of the next page ("" at the end).
	ListOperations(ctx context.Context, f OperationFilter) ([]*Operation, string, error)
	// ExtendLease moves the expiry of a current lease to now+ttl; EConflict
	// when the lease is no longer current.
	ExtendLease(ctx context.Context, opID, leaseID string, ttl time.Duration) (time.Time, error)
	// ReofferLeases ends at once the live leases of the connector's
	// operations, which are then re-offered by the next Lease as if they
	// had expired (same rules: attempts, deadlines). A connector that polls
	// holds no item (it polls only between items), so a lease the platform
	// still sees was lost with its answer or with a crash. It returns how
	// many leases it ended; an unknown connector ends none.
	ReofferLeases(ctx context.Context, connectorID string) (int, error)
	// ExpireDeadlines times out queued operations whose deadline passed and
	// re-offers (or fails) operations whose lease expired. The server calls
	// it periodically; Lease does the same for the connector it serves.
	ExpireDeadlines(ctx context.Context) (int, error)
}

// OperationFilter selects operations of one organisation.
type OperationFilter struct {
	OrgID     string
	CompanyID string          // "" for every company
	Status    OperationStatus // "" for every status
	Kind      OperationKind   // "" for every kind
	Limit     int             // 1..1000; 0 means 100
	Cursor    string
}
