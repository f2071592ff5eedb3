package qbconnect

import (
	"context"
	"time"
)

// Company is one of an organisation's customers: a business whose books live
// in one QuickBooks Desktop company file.
type Company struct {
	ID         string            `json:"id"`
	OrgID      string            `json:"-"`
	Name       string            `json:"name"`
	ExternalID string            `json:"externalId,omitempty"` // the client's own reference
	Metadata   map[string]string `json:"metadata,omitempty"`
	// Schedule of automatic syncs. The API stores DefaultSyncEvery when a
	// client sets no interval, so a company shows the schedule it runs on;
	// a zero Every (older rows) still means the default.
	Schedule  SyncSchedule `json:"syncSchedule"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt"`
}

// DefaultSyncEvery is the interval of automatic syncs of a company whose
// client chose none: hourly, as the README promises.
const DefaultSyncEvery = Duration(time.Hour)

// SyncSchedule says when a company is synced automatically.
type SyncSchedule struct {
	// Every is the interval between automatic syncs; 0 means
	// DefaultSyncEvery, negative disables automatic syncs.
	Every Duration `json:"every"`
	// Window restricts automatic syncs to allowed times; nil allows any time.
	Window *SyncWindow `json:"window,omitempty"`
}

// WithDefaults returns the schedule with a zero Every replaced by
// DefaultSyncEvery, so that what a company shows is what it runs on.
func (s SyncSchedule) WithDefaults() SyncSchedule {
	if s.Every == 0 {
		s.Every = DefaultSyncEvery
	}
	return s
}

// SyncWindow is a weekly window such as nights and weekends, in a time zone.
type SyncWindow struct {
	TimeZone string `json:"timeZone"` // IANA name; "" is UTC
	// Days are the weekdays (0 = Sunday) on which syncs may run all day.
	Days []time.Weekday `json:"days,omitempty"`
	// From and To bound the allowed time of day on every day, as "HH:MM".
	// From after To wraps past midnight ("22:00" to "06:00").
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// CompanyUpdate holds the fields of a company that may change; nil leaves a
// field as it is.
type CompanyUpdate struct {
	Name       *string
	ExternalID *string
	Metadata   map[string]string
	Schedule   *SyncSchedule
}

// CompanyFilter selects companies of one organisation.
type CompanyFilter struct {
	OrgID string
	// ExternalID, when set, keeps the companies with this externalId.
	ExternalID string
	Limit      int    // 0 means 100
	Cursor     string // opaque, from a previous page
}

// CompanyService manages companies. Every method is scoped by orgID: an ID of
// another organisation is ENotFound, exactly like an unknown one.
type CompanyService interface {
	CreateCompany(ctx context.Context, c *Company) error
	FindCompany(ctx context.Context, orgID, id string) (*Company, error)
	// ListCompanies returns a page and the cursor of the next one ("" at the end).
	ListCompanies(ctx context.Context, f CompanyFilter) ([]*Company, string, error)
	UpdateCompany(ctx context.Context, orgID, id string, u CompanyUpdate) (*Company, error)
	// DeleteCompany removes a company, unlinks its connection and cancels its
	// queued operations.
	DeleteCompany(ctx context.Context, orgID, id string) error
}
