package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// CompanyStore keeps companies.
type CompanyStore struct{ db *DB }

var _ qbconnect.CompanyService = (*CompanyStore)(nil)

// NewCompanyStore returns the company service of db.
func NewCompanyStore(db *DB) *CompanyStore { return &CompanyStore{db: db} }

const companyColumns = "seq, id, org_id, name, external_id, metadata, schedule, created_at, updated_at"

func scanCompany(row interface{ Scan(...any) error }) (*qbconnect.Company, int64, error) {
	c := &qbconnect.Company{}
	var seq, created, updated int64
	var meta, sched string
	if err := row.Scan(&seq, &c.ID, &c.OrgID, &c.Name, &c.ExternalID, &meta, &sched, &created, &updated); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(meta), &c.Metadata); err != nil {
		return nil, 0, fmt.Errorf("company %s metadata: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(sched), &c.Schedule); err != nil {
		return nil, 0, fmt.Errorf("company %s schedule: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, seq, nil
}

func validateCompany(c *qbconnect.Company) error {
	if strings.TrimSpace(c.Name) == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "company name is required")
	}
	if w := c.Schedule.Window; w != nil {
		if err := validateWindow(w); err != nil {
			return err
		}
	}
	return nil
}

func validateWindow(w *qbconnect.SyncWindow) error {
	for _, hm := range []string{w.From, w.To} {
		if hm == "" {
			continue
		}
		var h, m int
		if n, err := fmt.Sscanf(hm, "%d:%d", &h, &m); n != 2 || err != nil || len(hm) != 5 || h > 23 || m > 59 || h < 0 || m < 0 {
			return qbconnect.Errorf(qbconnect.EInvalid, "sync window time %q: want HH:MM", hm)
		}
	}
	for _, d := range w.Days {
		if d < 0 || d > 6 {
			return qbconnect.Errorf(qbconnect.EInvalid, "sync window day %d: want 0 (Sunday) to 6", d)
		}
	}
	return nil
}

// CreateCompany stores c, setting its ID and times. c.OrgID must name an
// organisation (ENotFound otherwise); an empty name is EInvalid.
func (s *CompanyStore) CreateCompany(ctx context.Context, c *qbconnect.Company) error {
	c.Name = strings.TrimSpace(c.Name)
	if err := validateCompany(c); err != nil {
		return err
	}
	if _, err := NewOrgStore(s.db).FindOrg(ctx, c.OrgID); err != nil {
		return err
	}
	id, err := s.db.newID("cmp")
	if err != nil {
		return err
	}
	meta, sched, err := companyJSON(c)
	if err != nil {
		return err
	}
	now := s.db.now()
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO companies (id, org_id, name, external_id, metadata, schedule, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, c.OrgID, c.Name, c.ExternalID, meta, sched, micros(now), micros(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("create company: %w", err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	return nil
}

func companyJSON(c *qbconnect.Company) (string, string, error) {
	meta := c.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return "", "", err
	}
	sc, err := json.Marshal(c.Schedule)
	if err != nil {
		return "", "", err
	}
	return string(m), string(sc), nil
}

// FindCompany returns ENotFound for an unknown, deleted or other-org ID.
func (s *CompanyStore) FindCompany(ctx context.Context, orgID, id string) (*qbconnect.Company, error) {
	c, _, err := scanCompany(s.db.queryRow(ctx, "SELECT "+companyColumns+
		" FROM companies WHERE id = ? AND deleted_at IS NULL", id))
	if c != nil {
		err = inOrg(err, c.OrgID, orgID)
	}
	if err != nil {
		return nil, notFound(err, "company", id)
	}
	return c, nil
}

// ListCompanies returns a page in creation order and the cursor of the next
// one ("" at the end).
func (s *CompanyStore) ListCompanies(ctx context.Context, f qbconnect.CompanyFilter) ([]*qbconnect.Company, string, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	var after int64
	if f.Cursor != "" {
		if after, err = parseSeqCursor(f.Cursor); err != nil {
			return nil, "", err
		}
	}
	where, args := "org_id = ? AND deleted_at IS NULL AND seq > ?", []any{f.OrgID, after}
	if f.ExternalID != "" {
		where, args = where+" AND external_id = ?", append(args, f.ExternalID)
	}
	rows, err := s.db.query(ctx, "SELECT "+companyColumns+" FROM companies WHERE "+where+" ORDER BY seq LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list companies: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.Company{}
	var next string
	var last int64
	for rows.Next() {
		c, seq, err := scanCompany(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list companies: %w", err)
		}
		if len(list) == limit {
			next = seqCursor(last)
			break
		}
		list = append(list, c)
		last = seq
	}
	return list, next, rows.Err()
}

// UpdateCompany changes the fields set in u. Metadata, when not nil,
// replaces the whole map.
func (s *CompanyStore) UpdateCompany(ctx context.Context, orgID, id string, u qbconnect.CompanyUpdate) (*qbconnect.Company, error) {
	var out *qbconnect.Company
	err := s.db.inTx(ctx, func(tx *tx) error {
		c, _, err := scanCompany(tx.queryRow(ctx, "SELECT "+companyColumns+
			" FROM companies WHERE id = ? AND deleted_at IS NULL"+s.db.forUpdate("FOR UPDATE"), id))
		if c != nil {
			err = inOrg(err, c.OrgID, orgID)
		}
		if err != nil {
			return notFound(err, "company", id)
		}
		if u.Name != nil {
			c.Name = strings.TrimSpace(*u.Name)
		}
		if u.ExternalID != nil {
			c.ExternalID = *u.ExternalID
		}
		if u.Metadata != nil {
			c.Metadata = u.Metadata
		}
		if u.Schedule != nil {
			c.Schedule = *u.Schedule
		}
		if err := validateCompany(c); err != nil {
			return err
		}
		meta, sched, err := companyJSON(c)
		if err != nil {
			return err
		}
		c.UpdatedAt = s.db.now()
		_, err = tx.exec(ctx, `UPDATE companies SET name = ?, external_id = ?, metadata = ?, schedule = ?, updated_at = ?
			WHERE id = ?`, c.Name, c.ExternalID, meta, sched, micros(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("update company: %w", err)
		}
		out = c
		return nil
	})
	return out, err
}

// DeleteCompany removes a company from every listing, unlinks its active
// connection and cancels its queued operations. Its records are kept until
// the company's data is purged.
func (s *CompanyStore) DeleteCompany(ctx context.Context, orgID, id string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		now := s.db.now()
		res, err := tx.exec(ctx, "UPDATE companies SET deleted_at = ?, updated_at = ? WHERE org_id = ? AND id = ? AND deleted_at IS NULL",
			micros(now), micros(now), orgID, id)
		if err != nil {
			return fmt.Errorf("delete company: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "company %q not found", id)
		}
		var connID string
		err = tx.queryRow(ctx, "SELECT id FROM connections WHERE company_id = ? AND status <> ?", id, qbconnect.StatusUnlinked).Scan(&connID)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete company: %w", err)
		}
		return unlinkConnection(ctx, tx, connID, now)
	})
}
