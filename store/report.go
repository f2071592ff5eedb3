package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qbconnect/qbconnect"
)

// ReportStore keeps the last answer to each report query of a company
// (table reports).
type ReportStore struct{ db *DB }

var _ qbconnect.ReportStore = (*ReportStore)(nil)

// NewReportStore returns the report table of db.
func NewReportStore(db *DB) *ReportStore { return &ReportStore{db: db} }

// FindReport returns ENotFound for a key never saved for the company, or a
// company of another organisation.
func (s *ReportStore) FindReport(ctx context.Context, orgID, companyID, key string) (*qbconnect.ReportSnapshot, error) {
	r := &qbconnect.ReportSnapshot{OrgID: orgID, CompanyID: companyID, Key: key}
	var data sql.NullString
	var asOf, updated int64
	err := s.db.queryRow(ctx, `SELECT operation_id, data, as_of, updated_at FROM reports WHERE org_id = ? AND company_id = ? AND report_key = ?`,
		orgID, companyID, key).Scan(&r.OperationID, &data, &asOf, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qbconnect.Errorf(qbconnect.ENotFound, "report %q of company %q not found", key, companyID)
	}
	if err != nil {
		return nil, fmt.Errorf("find report: %w", err)
	}
	if data.Valid {
		r.Data = []byte(data.String)
	}
	if asOf != 0 {
		r.AsOf = fromMicros(asOf)
	}
	r.UpdatedAt = fromMicros(updated)
	return r, nil
}

// SaveReport inserts or replaces the snapshot of its company and key and
// sets its UpdatedAt. A snapshot saved for a company of another
// organisation is refused (ENotFound), so that one tenant cannot overwrite
// another's.
func (s *ReportStore) SaveReport(ctx context.Context, r *qbconnect.ReportSnapshot) error {
	if r.OrgID == "" || r.CompanyID == "" || r.Key == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "report: organisation, company and key are required")
	}
	now := s.db.now()
	var data any
	if r.Data != nil {
		data = string(r.Data)
	}
	var asOf int64
	if !r.AsOf.IsZero() {
		asOf = micros(r.AsOf)
	}
	err := s.db.inTx(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM companies WHERE id = ? AND org_id = ? AND deleted_at IS NULL", r.CompanyID, r.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "company %q not found", r.CompanyID)
		}
		_, err := tx.exec(ctx, `INSERT INTO reports (org_id, company_id, report_key, operation_id, data, as_of, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (company_id, report_key) DO UPDATE SET operation_id = excluded.operation_id, data = excluded.data,
			as_of = excluded.as_of, updated_at = excluded.updated_at`,
			r.OrgID, r.CompanyID, r.Key, r.OperationID, data, asOf, micros(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("save report: %w", err)
	}
	r.UpdatedAt = now
	return nil
}
