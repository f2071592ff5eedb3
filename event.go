package qbconnect

import (
	"context"
	"encoding/json"
	"time"
)

// EventType names an event that clients may subscribe to with a webhook.
// Its text never changes once released.
type EventType string

// Event types.
const (
	// EventConnectionStatusChanged: a connection's status (PendingAuth,
	// Linked, Unlinked, Deauthorized) or its health code changed.
	EventConnectionStatusChanged EventType = "connection.status_changed"
	// EventSyncCompleted: a company's sync ended, once per sync (the
	// passes of the data types one request or one scheduler tick started),
	// with a count per data type (SyncSummary).
	EventSyncCompleted EventType = "sync.completed"
	// EventSyncFailed: a sync pass of one data type failed (the sync's
	// sync.completed follows once its other passes ended).
	EventSyncFailed EventType = "sync.failed"
	// EventWriteSucceeded: a client's write ran in QuickBooks.
	EventWriteSucceeded EventType = "write.succeeded"
	// EventWriteFailed: a client's write failed or timed out.
	EventWriteFailed EventType = "write.failed"
	// EventRotationConnectionUpdated: during a certificate-rotation
	// campaign, a connection moved to another state (Offered,
	// CandidateInstalled with its sub-state, Approved, Switched, Denied,
	// WrongFile, FellBack, Left).
	EventRotationConnectionUpdated EventType = "rotation_campaign.connection_updated"
	// EventWebhookTest: sent on request (POST /v1/webhooks/{id}/test) to
	// the one endpoint asked, whatever the event types it subscribes to.
	EventWebhookTest EventType = "webhook.test_requested"
	// EventRecordCreated, EventRecordUpdated, EventRecordDeleted: records
	// of one data type were created, changed or deleted in QuickBooks, as
	// a sync page or a write brought them (RecordChanges): one event per
	// page (or write) and kind, with the records' IDs.
	EventRecordCreated EventType = "record.created"
	EventRecordUpdated EventType = "record.updated"
	EventRecordDeleted EventType = "record.deleted"
)

// EventTypes lists every event type, in documentation order.
func EventTypes() []EventType {
	return []EventType{EventConnectionStatusChanged, EventSyncCompleted, EventSyncFailed, EventWriteSucceeded, EventWriteFailed,
		EventRotationConnectionUpdated, EventRecordCreated, EventRecordUpdated, EventRecordDeleted, EventWebhookTest}
}

// Event is something that happened to one of an organisation's companies.
// Data is the event's object as the REST API shows it (a connection, a
// sync state, an operation).
type Event struct {
	ID        string          `json:"id"` // set when the event is recorded
	Type      EventType       `json:"type"`
	OrgID     string          `json:"-"`
	CompanyID string          `json:"companyId,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

// EventRecorder records events in the transaction of the change they
// describe (an outbox): RecordEvent stores ev (setting its ID) and one
// pending webhook delivery per subscribed endpoint, and returns the
// deliveries' IDs, whose sending starts once the transaction committed.
// When the process stops between the commit and that start, the webhook
// sender's sweep starts them: no event is lost.
type EventRecorder interface {
	RecordEvent(ctx context.Context, ev *Event) (deliveries []string, err error)
}

// ConnectionChangeFunc runs in the transaction of every change a
// ConnectionService makes to a connection (health, pause, link, unlink,
// revocation) with the connection as it was before and as the change left
// it, so that the change's events are recorded with it. An error rolls
// the change back.
type ConnectionChangeFunc func(ctx context.Context, rec EventRecorder, before, after *Connection) error

// SyncEndFunc runs in the transaction that ends a sync pass (its state
// SyncComplete or SyncFailed), with the state as the transaction leaves
// it, so that the pass's event is recorded with it. An error rolls the
// transaction back.
type SyncEndFunc func(ctx context.Context, rec EventRecorder, st *SyncState) error

// SyncRunEndFunc runs in the transaction that ends the last pass of a
// company's sync (the passes started together), with the sync's summary,
// so that its event is recorded with it. An error rolls the transaction
// back.
type SyncRunEndFunc func(ctx context.Context, rec EventRecorder, s *SyncSummary) error

// RecordChanges are the records of one data type that one sync page or
// one write created, changed or deleted, by ID. A record whose copy did
// not change (the overlap of incremental syncs) is in none of the lists.
type RecordChanges struct {
	OrgID       string
	CompanyID   string
	DataType    string
	RunID       string // the sync pass, for a page
	OperationID string // the write, for a write
	Created     []string
	Updated     []string
	Deleted     []string
}

// RecordsChangedFunc runs in the transaction that stores a sync page's
// records, with what the page changed, so that the changes' events are
// recorded with them. An error rolls the page back.
type RecordsChangedFunc func(ctx context.Context, rec EventRecorder, ch *RecordChanges) error
