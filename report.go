package qbconnect

import (
	"context"
	"time"
)

// ReportSnapshot is the last answer QuickBooks gave to one report query of
// a company (a report with its period, basis and columns), kept so that a
// repeat within the client's maxAge is answered without a round trip to
// QuickBooks, and the operation that is fetching a newer one.
type ReportSnapshot struct {
	OrgID     string
	CompanyID string
	// Key names the report and its parameters, canonically
	// ("profit-and-loss?basis=accrual&columns=total&from=...&to=...").
	Key string
	// OperationID is the operation that fetched Data or is fetching a
	// newer answer; "" when none was queued.
	OperationID string
	// Data is the report as the API serves it (JSON); nil until QuickBooks
	// answered once.
	Data []byte
	// AsOf is when QuickBooks produced Data (the operation's completion);
	// zero while Data is nil.
	AsOf      time.Time
	UpdatedAt time.Time
}

// ReportStore keeps each company's last answer to each report query.
type ReportStore interface {
	// FindReport returns ENotFound when the company never asked for the
	// report with this key (or the company is another organisation's).
	FindReport(ctx context.Context, orgID, companyID, key string) (*ReportSnapshot, error)
	// SaveReport inserts the snapshot or replaces the one with its
	// company and key; EInvalid when OrgID, CompanyID or Key is empty.
	SaveReport(ctx context.Context, r *ReportSnapshot) error
}
