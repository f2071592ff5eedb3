package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qbconnect/qbconnect"
)

// WebConnectorStore keeps the QuickBooks Web Connector's credentials and
// sessions (tables qbwc_*), for package qbwc.
type WebConnectorStore struct{ db *DB }

var _ qbconnect.WebConnectorService = (*WebConnectorStore)(nil)

// NewWebConnectorStore returns the Web Connector service of db.
func NewWebConnectorStore(db *DB) *WebConnectorStore { return &WebConnectorStore{db: db} }

const ownerIDKey = "owner_id"

// OwnerID returns the platform's OwnerID, storing candidate on first use.
// Concurrent first calls from several processes agree on one value.
func (s *WebConnectorStore) OwnerID(ctx context.Context, candidate string) (string, error) {
	var v string
	err := s.db.queryRow(ctx, "SELECT value FROM qbwc_settings WHERE key = ?", ownerIDKey).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("owner ID: %w", err)
	}
	if candidate == "" {
		return "", qbconnect.Errorf(qbconnect.EInvalid, "owner ID: empty candidate")
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, "INSERT INTO qbwc_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", ownerIDKey, candidate)
		if err != nil {
			return err
		}
		return tx.queryRow(ctx, "SELECT value FROM qbwc_settings WHERE key = ?", ownerIDKey).Scan(&v)
	})
	if err != nil {
		return "", fmt.Errorf("owner ID: %w", err)
	}
	return v, nil
}

const credentialColumns = `connection_id, org_id, user_name, password_hash, file_id, failed_logins, failed_since, created_at, updated_at`

func scanCredential(row interface{ Scan(...any) error }) (*qbconnect.WebConnectorCredential, error) {
	c := &qbconnect.WebConnectorCredential{}
	var since sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.ConnectionID, &c.OrgID, &c.UserName, &c.PasswordHash, &c.FileID, &c.FailedLogins, &since, &created, &updated); err != nil {
		return nil, err
	}
	c.FailedSince = timePtr(since)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// SaveCredential stores c, replacing the connection's earlier credential
// (and clearing its failure count). EConflict when another connection uses
// the user name, ENotFound for an unknown connection.
func (s *WebConnectorStore) SaveCredential(ctx context.Context, c *qbconnect.WebConnectorCredential) error {
	if c.ConnectionID == "" || c.UserName == "" || len(c.PasswordHash) == 0 || c.FileID == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "web connector credential: connection, user name, password hash and file ID are required")
	}
	now := s.db.now()
	return s.db.inTx(ctx, func(tx *tx) error {
		var orgID string
		if err := tx.queryRow(ctx, "SELECT org_id FROM connections WHERE id = ?", c.ConnectionID).Scan(&orgID); err != nil {
			return notFound(err, "connection", c.ConnectionID)
		}
		created := now
		var old int64
		err := tx.queryRow(ctx, "SELECT created_at FROM qbwc_credentials WHERE connection_id = ?", c.ConnectionID).Scan(&old)
		switch {
		case err == nil:
			created = fromMicros(old)
			_, err = tx.exec(ctx, `UPDATE qbwc_credentials SET user_name = ?, password_hash = ?, file_id = ?, failed_logins = 0,
				failed_since = NULL, updated_at = ? WHERE connection_id = ?`, c.UserName, c.PasswordHash, c.FileID, micros(now), c.ConnectionID)
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.exec(ctx, `INSERT INTO qbwc_credentials (`+credentialColumns+`) VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?)`,
				c.ConnectionID, orgID, c.UserName, c.PasswordHash, c.FileID, micros(now), micros(now))
		}
		if isUniqueViolation(err) {
			return qbconnect.Errorf(qbconnect.EConflict, "web connector user name %q is in use", c.UserName)
		}
		if err != nil {
			return fmt.Errorf("save web connector credential: %w", err)
		}
		c.OrgID, c.FailedLogins, c.FailedSince, c.CreatedAt, c.UpdatedAt = orgID, 0, nil, created, now
		return nil
	})
}

// FindCredential returns a connection's credential, or ENotFound.
func (s *WebConnectorStore) FindCredential(ctx context.Context, connectionID string) (*qbconnect.WebConnectorCredential, error) {
	c, err := scanCredential(s.db.queryRow(ctx, "SELECT "+credentialColumns+" FROM qbwc_credentials WHERE connection_id = ?", connectionID))
	if err != nil {
		return nil, notFound(err, "web connector credential of connection", connectionID)
	}
	return c, nil
}

// CredentialByUser returns the credential of a user name, or ENotFound.
func (s *WebConnectorStore) CredentialByUser(ctx context.Context, userName string) (*qbconnect.WebConnectorCredential, error) {
	c, err := scanCredential(s.db.queryRow(ctx, "SELECT "+credentialColumns+" FROM qbwc_credentials WHERE user_name = ?", userName))
	if err != nil {
		return nil, notFound(err, "web connector user", userName)
	}
	return c, nil
}

// RecordLoginFailure counts a wrong password for userName within window.
func (s *WebConnectorStore) RecordLoginFailure(ctx context.Context, userName string, window time.Duration) (int, error) {
	n := 0
	err := s.db.inTx(ctx, func(tx *tx) error {
		now := s.db.now()
		var count int
		var since sql.NullInt64
		err := tx.queryRow(ctx, "SELECT failed_logins, failed_since FROM qbwc_credentials WHERE user_name = ?"+s.db.forUpdate("FOR UPDATE"),
			userName).Scan(&count, &since)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		start := micros(now)
		if since.Valid && now.Sub(fromMicros(since.Int64)) < window {
			start = since.Int64
			count++
		} else {
			count = 1
		}
		n = count
		_, err = tx.exec(ctx, "UPDATE qbwc_credentials SET failed_logins = ?, failed_since = ? WHERE user_name = ?", count, start, userName)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

// ResetLoginFailures clears the user name's failure count.
func (s *WebConnectorStore) ResetLoginFailures(ctx context.Context, userName string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, "UPDATE qbwc_credentials SET failed_logins = 0, failed_since = NULL WHERE user_name = ? AND failed_logins > 0", userName)
		return err
	})
}

const sessionColumns = `id, ticket_hash, connection_id, org_id, company_id, status, company_file, hcp_done, op_id, lease_id, recovery,
	sent, received, pending_noop, noops, last_error, version, created_at, updated_at, closed_at`

func scanSession(row interface{ Scan(...any) error }) (*qbconnect.WebConnectorSession, error) {
	s := &qbconnect.WebConnectorSession{}
	var created, updated int64
	var closed sql.NullInt64
	err := row.Scan(&s.ID, &s.TicketHash, &s.ConnectionID, &s.OrgID, &s.CompanyID, &s.Status, &s.CompanyFile, &s.HCPDone,
		&s.OpID, &s.LeaseID, &s.Recovery, &s.Sent, &s.Received, &s.PendingNoOp, &s.NoOps, &s.LastError, &s.Version,
		&created, &updated, &closed)
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt, s.ClosedAt = fromMicros(created), fromMicros(updated), timePtr(closed)
	return s, nil
}

// CreateSession stores a new session, setting its ID, version and times.
// EConflict when it is open and the connection already has an open one.
func (s *WebConnectorStore) CreateSession(ctx context.Context, ss *qbconnect.WebConnectorSession) error {
	if len(ss.TicketHash) == 0 || ss.ConnectionID == "" || ss.Status == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "web connector session: ticket hash, connection and status are required")
	}
	id, err := s.db.newID("wcs")
	if err != nil {
		return err
	}
	now := s.db.now()
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO qbwc_sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
			id, ss.TicketHash, ss.ConnectionID, ss.OrgID, ss.CompanyID, ss.Status, ss.CompanyFile, ss.HCPDone, ss.OpID, ss.LeaseID,
			ss.Recovery, ss.Sent, ss.Received, ss.PendingNoOp, ss.NoOps, ss.LastError, micros(now), micros(now), nullMicros(ss.ClosedAt))
		return err
	})
	if isUniqueViolation(err) {
		return qbconnect.Errorf(qbconnect.EConflict, "connection %s already has an open web connector session", ss.ConnectionID)
	}
	if err != nil {
		return fmt.Errorf("create web connector session: %w", err)
	}
	ss.ID, ss.Version, ss.CreatedAt, ss.UpdatedAt = id, 1, now, now
	return nil
}

// FindSession returns the session of a ticket hash, or ENotFound.
func (s *WebConnectorStore) FindSession(ctx context.Context, ticketHash []byte) (*qbconnect.WebConnectorSession, error) {
	ss, err := scanSession(s.db.queryRow(ctx, "SELECT "+sessionColumns+" FROM qbwc_sessions WHERE ticket_hash = ?", ticketHash))
	if err != nil {
		return nil, notFound(err, "web connector session", "")
	}
	return ss, nil
}

// UpdateSession writes the session's mutable fields over the version it
// read; EConflict when another process updated it in between.
func (s *WebConnectorStore) UpdateSession(ctx context.Context, ss *qbconnect.WebConnectorSession) error {
	now := s.db.now()
	var n int64
	err := s.db.inTx(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, `UPDATE qbwc_sessions SET status = ?, company_file = ?, hcp_done = ?, op_id = ?, lease_id = ?, recovery = ?,
			sent = ?, received = ?, pending_noop = ?, noops = ?, last_error = ?, closed_at = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`,
			ss.Status, ss.CompanyFile, ss.HCPDone, ss.OpID, ss.LeaseID, ss.Recovery, ss.Sent, ss.Received, ss.PendingNoOp, ss.NoOps,
			ss.LastError, nullMicros(ss.ClosedAt), micros(now), ss.ID, ss.Version)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("update web connector session %s: %w", ss.ID, err)
	}
	if n == 0 {
		return qbconnect.Errorf(qbconnect.EConflict, "web connector session %s changed since it was read", ss.ID)
	}
	ss.Version++
	ss.UpdatedAt = now
	return nil
}

// ConnectionSessions returns the connection's sessions that are open or
// still hold an operation, newest first.
func (s *WebConnectorStore) ConnectionSessions(ctx context.Context, connectionID string) ([]*qbconnect.WebConnectorSession, error) {
	rows, err := s.db.query(ctx, "SELECT "+sessionColumns+` FROM qbwc_sessions WHERE connection_id = ? AND (status = ? OR op_id <> '')
		ORDER BY created_at DESC, id DESC`, connectionID, qbconnect.SessionOpen)
	if err != nil {
		return nil, fmt.Errorf("web connector sessions: %w", err)
	}
	defer rows.Close()
	var out []*qbconnect.WebConnectorSession
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("web connector sessions: %w", err)
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// PendingOperations counts the connection's queued and in-flight
// operations.
func (s *WebConnectorStore) PendingOperations(ctx context.Context, connectionID string) (int, error) {
	var n int
	err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM operations WHERE connection_id = ? AND status IN ('Queued', 'InFlight')", connectionID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("pending operations: %w", err)
	}
	return n, nil
}
