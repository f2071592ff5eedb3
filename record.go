package qbconnect

import (
	"context"
	"encoding/json"
	"time"
)

// Record is one synced QuickBooks object, stored as its full JSON plus the
// columns that filters use.
type Record struct {
	CompanyID    string          `json:"-"`
	Type         string          `json:"-"`  // data type, e.g. "invoices"
	ID           string          `json:"id"` // ListID or TxnID
	EditSequence string          `json:"editSequence"`
	Name         string          `json:"-"` // FullName or RefNumber
	RefID        string          `json:"-"` // customer/vendor ListID
	TxnDate      string          `json:"-"` // YYYY-MM-DD or ""
	Active       bool            `json:"-"`
	ModifiedAt   time.Time       `json:"-"` // QuickBooks' TimeModified
	UpdatedAt    time.Time       `json:"-"` // when we stored it
	Deleted      bool            `json:"-"`
	Data         json.RawMessage `json:"-"` // camelCase JSON of the qbXML Ret element
}

// RecordFilter selects records of one company and type.
type RecordFilter struct {
	OrgID, CompanyID, Type string
	// IDs, when not empty, keeps only these records (at most 100).
	IDs           []string
	UpdatedSince  *time.Time
	UpdatedBefore *time.Time
	Name          string // exact FullName or RefNumber
	NamePrefix    string
	// RefNumberFrom and RefNumberTo bound a transaction's RefNumber,
	// compared as text as QuickBooks compares them; either may be empty.
	RefNumberFrom, RefNumberTo string
	TxnDateFrom, TxnDateTo     string
	Active                     *bool
	RefID                      string
	// RefIDs keeps records whose reference is any of these (with RefID,
	// either matches).
	RefIDs []string
	// Sort is one of RecordSorts; "" is "updatedAt".
	Sort string
	// IncludeDeleted also returns records deleted in QuickBooks (Deleted
	// set), so that incremental readers see deletions.
	IncludeDeleted bool
	Limit          int // 1..1000; 0 means 100
	Cursor         string
}

// RecordSorts lists the orders a records list can take: by update time
// (the default, and the one incremental readers need), by name or
// RefNumber, or by transaction date; "-" sorts descending. Ties are
// broken by ID, in the same direction.
var RecordSorts = []string{"updatedAt", "-updatedAt", "name", "-name", "txnDate", "-txnDate"}

// RecordService reads and writes synced records.
type RecordService interface {
	// UpsertRecords inserts or replaces records in one transaction.
	UpsertRecords(ctx context.Context, rs []*Record) error
	// DeleteRecords marks records deleted.
	DeleteRecords(ctx context.Context, companyID, typ string, ids []string, at time.Time) error
	// FindRecord returns ENotFound for an unknown or other-org record.
	FindRecord(ctx context.Context, orgID, companyID, typ, id string) (*Record, error)
	// ListRecords returns a page and the next cursor ("" at the end).
	ListRecords(ctx context.Context, f RecordFilter) ([]*Record, string, error)
	// CountMatching counts the records a filter selects, ignoring its
	// cursor and limit. ENotFound for an unknown or other-org company.
	CountMatching(ctx context.Context, f RecordFilter) (int, error)
	// CountRecords counts live records of a type.
	CountRecords(ctx context.Context, companyID, typ string) (int, error)
}
