package qbconnect

import (
	"context"
	"encoding/json"
	"io"
	"time"
)

// SyncStatus is the state of one data type's sync for one company.
type SyncStatus string

// Sync statuses.
const (
	SyncIdle     SyncStatus = "Idle"     // never synced
	SyncQueued   SyncStatus = "Queued"   // a pass is planned; its first request waits in the queue
	SyncFetching SyncStatus = "Fetching" // at least one page of the pass was ingested
	SyncComplete SyncStatus = "Complete" // the last pass finished
	SyncFailed   SyncStatus = "Failed"   // the last pass failed; Error says why
)

// Active reports whether a pass is under way.
func (s SyncStatus) Active() bool { return s == SyncQueued || s == SyncFetching }

// SyncMode is the kind of pass: everything, or what changed since the last
// pass.
type SyncMode string

// Sync modes.
const (
	SyncFull        SyncMode = "full"
	SyncIncremental SyncMode = "incremental"
)

// SyncFullReason says why a pass is full rather than incremental: a
// full pass reads every record of the type and marks deleted what
// QuickBooks no longer returns, so it is slower, and it may report
// deletions an incremental pass would not have seen.
type SyncFullReason string

// Reasons for a full pass. When several hold, the pass has the first in
// this order. Like every enumeration that is not a state, they are
// snake_case.
const (
	// FullFirstSync: the type never completed a pass.
	FullFirstSync SyncFullReason = "first_sync"
	// FullWasEmpty: the type's last completed pass found it empty, so
	// there is no modified date to ask for changes from.
	FullWasEmpty SyncFullReason = "was_empty"
	// FullRequested: the client asked for a full sync (SyncRequest.Full).
	FullRequested SyncFullReason = "requested"
	// FullBalancesMove: QuickBooks moves the type's balances with every
	// posting without marking its records modified, in accounts the
	// transactions do not name (accounts), so every pass reads it whole.
	FullBalancesMove SyncFullReason = "balances_move"
	// FullReadWhole: QuickBooks cannot be asked for the type's records
	// modified since a date (templates), so every pass reads it whole.
	FullReadWhole SyncFullReason = "read_whole"
	// FullDeletionsOutOfReach: the type's last completed pass is older
	// than QuickBooks' deleted queries reach back (90 days), so only a
	// full pass learns what was deleted since.
	FullDeletionsOutOfReach SyncFullReason = "deletions_out_of_reach"
	// FullNoDeletedQuery: QuickBooks keeps no list of the type's
	// deletions (leads, transfers), and its last full pass is older than
	// the engine's interval for such types (a day by default).
	FullNoDeletedQuery SyncFullReason = "no_deleted_query"
)

// SyncFullReasons lists the reasons for a full pass, in the order that
// decides between several.
func SyncFullReasons() []SyncFullReason {
	return []SyncFullReason{FullFirstSync, FullWasEmpty, FullRequested, FullBalancesMove, FullReadWhole, FullDeletionsOutOfReach, FullNoDeletedQuery}
}

// SyncTrigger says what started a pass.
type SyncTrigger string

// Sync triggers. Like every enumeration that is not a state, they are
// snake_case; before 1.1 on-demand passes were stored and shown as
// "onDemand" (migration 01030 rewrote them; ParseSyncTrigger still reads
// it).
const (
	TriggerSchedule SyncTrigger = "schedule"
	TriggerOnDemand SyncTrigger = "on_demand"
)

// ParseSyncTrigger reads a trigger as stored or sent, accepting the
// spelling "onDemand" of earlier versions; ok is false for anything else.
func ParseSyncTrigger(s string) (t SyncTrigger, ok bool) {
	switch SyncTrigger(s) {
	case TriggerSchedule, TriggerOnDemand:
		return SyncTrigger(s), true
	case "onDemand":
		return TriggerOnDemand, true
	}
	return "", false
}

// SyncState is the sync of one data type of one company: its status, the
// high-water marks that the next incremental pass starts from, and the
// checkpoint of the pass under way. The engine writes a page's records and
// the new checkpoint in one transaction, so a pass interrupted anywhere
// resumes from a state that matches the store exactly.
type SyncState struct {
	CompanyID string     `json:"companyId"`
	OrgID     string     `json:"-"`
	DataType  string     `json:"dataType"`
	Status    SyncStatus `json:"status"`
	// Error is why the last pass failed (Status Failed).
	Error *Error `json:"error,omitempty"`

	// HighWater is the latest TimeModified (QuickBooks' clock) of a record
	// seen by a completed pass; incremental passes ask for records modified
	// since HighWater minus the overlap.
	HighWater time.Time `json:"highWater"`
	// DeletedMark is the point (QuickBooks' clock) from which the next pass
	// asks for deleted objects, minus the overlap. Zero before the first
	// completed pass.
	DeletedMark time.Time `json:"deletedMark"`
	// LastFullAt and LastCompleteAt are when (our clock) the last full pass
	// and the last pass of any mode completed.
	LastFullAt     *time.Time `json:"lastFullSyncAt,omitempty"`
	LastCompleteAt *time.Time `json:"lastCompletedAt,omitempty"`

	// The pass under way (or the last one).
	RunID string   `json:"runId,omitempty"`
	Mode  SyncMode `json:"mode,omitempty"`
	// FullReason says why the pass is full; "" for an incremental pass
	// (and for full passes recorded before the platform kept reasons).
	FullReason SyncFullReason `json:"fullReason,omitempty"`
	Trigger    SyncTrigger    `json:"trigger,omitempty"`
	OpID       string         `json:"operationId,omitempty"` // the operation whose result is awaited
	IteratorID string         `json:"-"`
	// Restarts counts how often the pass started over; with RunID and Pages
	// it names the page whose result the engine awaits.
	Restarts int `json:"restarts"`
	Pages    int `json:"pages"`
	Fetched  int `json:"fetched"` // records received in this pass
	Deleted  int `json:"deleted"` // deletions received in this pass
	// Remaining is how many records QuickBooks' iterator still held after
	// the last page (progress; also how a lost page is detected).
	Remaining int `json:"remaining"`
	// PassHighWater is the latest TimeModified seen in this pass so far.
	PassHighWater time.Time `json:"-"`
	// QBOffset is the UTC offset, in seconds east, that QuickBooks wrote
	// the latest TimeModified or TimeDeleted of this type's passes with;
	// nil before one was seen. QuickBooks writes the right local time
	// with its zone's standard offset even in daylight saving time, so the
	// marks above are then an hour late as instants: the engine asks
	// QuickBooks for "modified since" in its own local time, the marks
	// written back with this offset and sent without one.
	QBOffset  *int       `json:"-"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// SyncRun is one pass in a data type's sync history.
type SyncRun struct {
	ID        string `json:"id"`
	OrgID     string `json:"-"`
	CompanyID string `json:"companyId"`
	DataType  string `json:"dataType"`
	// SyncID names the company's sync this pass is part of: the passes one
	// request or one scheduler tick started together (SyncSummary); ""
	// for a pass started alone.
	SyncID string   `json:"syncId,omitempty"`
	Mode   SyncMode `json:"mode"`
	// FullReason says why the pass is full (SyncState.FullReason).
	FullReason SyncFullReason `json:"fullReason,omitempty"`
	Trigger    SyncTrigger    `json:"trigger"`
	Status     SyncStatus     `json:"status"`
	Error      *Error         `json:"error,omitempty"`
	Pages      int            `json:"pages"`
	Fetched    int            `json:"fetched"`
	Deleted    int            `json:"deleted"`
	// Restarts counts how often the pass started over (an expired iterator,
	// QuickBooks closed mid-iterator).
	Restarts   int        `json:"restarts"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Duration is FinishedAt − StartedAt, 0 while running.
	Duration Duration `json:"duration"`
}

// SyncRunFilter selects history of one company.
type SyncRunFilter struct {
	OrgID, CompanyID string
	DataType         string // "" for every type
	Limit            int    // 1..1000; 0 means 100
	Cursor           string
}

// SyncRequest asks for an on-demand sync.
type SyncRequest struct {
	// DataTypes to sync; empty means every type.
	DataTypes []string `json:"dataTypes,omitempty"`
	// Full forces a full pass even where an incremental one would do.
	Full bool `json:"full,omitempty"`
}

// DataTypeInfo describes a data type the platform syncs.
type DataTypeInfo struct {
	Name        string   `json:"name"`        // API name, e.g. "invoices"
	Object      string   `json:"object"`      // qbXML object, e.g. "Invoice"
	Transaction bool     `json:"transaction"` // a transaction (TxnID) rather than a list element (ListID)
	Actions     []string `json:"actions"`     // write actions: create, update, delete, void
	// RefFilter names the reference whose ListID fills Record.RefID, as the
	// read API's query parameter: "customerId", "vendorId", "payeeId",
	// "entityId" (time tracking's employee, vendor or other name) or
	// "parentId"; "" when the type has none.
	RefFilter string `json:"refFilter,omitempty"`
}

// WriteAction is what a client's write does.
type WriteAction string

// Write actions.
const (
	WriteCreate WriteAction = "create"
	WriteUpdate WriteAction = "update"
	WriteDelete WriteAction = "delete"
	WriteVoid   WriteAction = "void"
)

// WriteRequest is a client's write, planned into a write operation.
type WriteRequest struct {
	OrgID, CompanyID string
	DataType         string
	Action           WriteAction
	// ID is the record for update, delete and void.
	ID string
	// Body is the record as camelCase JSON (create, update); update requires
	// its editSequence.
	Body json.RawMessage
	// IdempotencyKey makes a repeated request return the first operation.
	IdempotencyKey string
	// Fingerprint identifies the client request (Operation.Fingerprint);
	// the API compares it when IdempotencyKey returns an earlier operation.
	Fingerprint string
	// Deadline, when set, makes the write TimedOut if QuickBooks has not
	// run it by then.
	Deadline *time.Time
}

// WriteResult is the outcome of a finished write operation.
type WriteResult struct {
	// Status is the operation's status (Success, Failed, TimedOut, ...).
	Status OperationStatus `json:"status"`
	// Record is the created or updated record (Success of create/update).
	Record *Record `json:"-"`
	// Error says why it failed: EConflict for a stale editSequence (3200),
	// EQuickBooks with QBCode and QuickBooks' message otherwise.
	Error *Error `json:"error,omitempty"`
	// Changes are the records a succeeded write changed (one ID in one of
	// its lists), as ApplyWrite stored them; nil otherwise.
	Changes *RecordChanges `json:"-"`
}

// SyncService is the sync engine: it plans syncs and writes as operations on
// the Queue and ingests their results. The connector gateway and the Web
// Connector endpoint call HandleOperation for every sync or write operation
// that finished (after Queue.Complete applied an outcome); the REST API calls
// the rest. Methods taking an orgID answer ENotFound for another
// organisation's company.
type SyncService interface {
	// HandleOperation ingests a finished operation of kind sync or write.
	// response is the raw qbXML response (nil when the operation failed);
	// it is read as a stream. It enqueues and returns the follow-up
	// operations (the next iterator page at PriorityContinuation). It is
	// idempotent: an operation that is not the one the engine awaits, or
	// that it already handled, does nothing. Operations of other kinds are
	// ignored.
	HandleOperation(ctx context.Context, op *Operation, response io.Reader) ([]*Operation, error)
	// ApplyWrite decodes a finished write's answer once and stores, in tx
	// (the transaction completing the operation), the write's result
	// (CompletionTx.SetWriteResult) and the record it created, updated or
	// voided, or marks the deleted one deleted; it returns the write's
	// result (see WriteResult). A failed write changes no record.
	ApplyWrite(ctx context.Context, tx CompletionTx, op *Operation) (*WriteResult, error)
	// SyncNow starts passes for the requested types of a company at
	// PriorityInteractive and returns their states. A type whose pass is
	// already queued or fetching is left as it is. EInvalid for an unknown
	// data type.
	SyncNow(ctx context.Context, orgID, companyID string, req SyncRequest) ([]*SyncState, error)
	// SyncStates returns the state of every data type of a company.
	SyncStates(ctx context.Context, orgID, companyID string) ([]*SyncState, error)
	// SyncRuns returns a page of a company's sync history, newest first,
	// and the cursor of the next page ("" at the end).
	SyncRuns(ctx context.Context, f SyncRunFilter) ([]*SyncRun, string, error)
	// PlanWrite validates a write against the schema and enqueues it as an
	// operation at PriorityWrite. EInvalid for a bad body or an action the
	// type does not support; with an idempotency key already used it
	// returns the first operation.
	PlanWrite(ctx context.Context, w WriteRequest) (*Operation, error)
	// WriteResult maps a finished write operation to its outcome: the
	// result stored at its completion (op.WriteResult) without decoding
	// anything, or, for a write finished without one, its decoded answer.
	// For an unfinished one it returns Status with no record and no error.
	WriteResult(ctx context.Context, op *Operation) (*WriteResult, error)
	// DataTypes lists the data types, lists first.
	DataTypes() []DataTypeInfo
}

// SyncSummary is a company's sync: the passes one request or one
// scheduler tick started together, once every one of them ended. It is
// the data of the sync.completed event.
type SyncSummary struct {
	ID        string      `json:"id"`
	OrgID     string      `json:"-"`
	CompanyID string      `json:"companyId"`
	Trigger   SyncTrigger `json:"trigger"`
	// Status is Complete when every pass completed, Failed otherwise.
	Status     SyncStatus `json:"status"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt time.Time  `json:"finishedAt"`
	// DataTypes are the passes, one per data type, in the order of the
	// data types' names.
	DataTypes []SyncTypeSummary `json:"dataTypes"`
}

// SyncTypeSummary is one data type's pass in a SyncSummary.
type SyncTypeSummary struct {
	DataType string   `json:"dataType"`
	RunID    string   `json:"runId"`
	Mode     SyncMode `json:"mode"`
	// FullReason says why the pass is full (SyncState.FullReason).
	FullReason SyncFullReason `json:"fullReason,omitempty"`
	Status     SyncStatus     `json:"status"`
	Error      *Error         `json:"error,omitempty"`
	Pages      int            `json:"pages"`
	Fetched    int            `json:"fetched"` // records received
	Deleted    int            `json:"deleted"` // deletions received
}
