package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/qbconnect/qbconnect"
)

// SQLDB returns the handle through which the store writes, for background
// job queues (River) that keep their tables in the same SQLite database.
// With SQLite it has a single connection: hold none of its transactions
// while calling the store.
func (db *DB) SQLDB() *sql.DB { return db.write }

// AddMail puts a message in the outbox, Queued, and sets its ID and times.
// When a message with the same DedupeKey exists, it is returned instead
// and created is false.
func (s *ReleaseStore) AddMail(ctx context.Context, m *qbconnect.Mail) (stored *qbconnect.Mail, created bool, err error) {
	if len(m.To) == 0 {
		return nil, false, qbconnect.Errorf(qbconnect.EInvalid, "mail %q has no recipient", m.Subject)
	}
	id, err := s.db.newID("msg")
	if err != nil {
		return nil, false, err
	}
	to, err := json.Marshal(m.To)
	if err != nil {
		return nil, false, err
	}
	now := s.db.now()
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO mail_outbox (id, dedupe_key, kind, org_id, recipients, subject, text_body, html_body, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, nullString(m.DedupeKey), m.Kind, m.OrgID, string(to), m.Subject, m.Text, m.HTML,
			string(qbconnect.MailQueued), micros(now), micros(now))
		return err
	})
	if isUniqueViolation(err) && m.DedupeKey != "" {
		existing, ferr := s.findMail(ctx, "dedupe_key = ?", m.DedupeKey)
		return existing, false, ferr
	}
	if err != nil {
		return nil, false, fmt.Errorf("queue mail: %w", err)
	}
	c := *m
	c.ID, c.Status, c.CreatedAt, c.UpdatedAt, c.Attempts, c.LastError, c.SentAt = id, qbconnect.MailQueued, now, now, 0, "", nil
	return &c, true, nil
}

const mailColumns = `id, COALESCE(dedupe_key, ''), kind, org_id, recipients, subject, text_body, html_body, status, attempts, last_error,
	created_at, updated_at, sent_at`

func scanMail(row interface{ Scan(...any) error }) (*qbconnect.Mail, error) {
	m := &qbconnect.Mail{}
	var to string
	var created, updated int64
	var sent sql.NullInt64
	if err := row.Scan(&m.ID, &m.DedupeKey, &m.Kind, &m.OrgID, &to, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.Attempts, &m.LastError,
		&created, &updated, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(to), &m.To); err != nil {
		return nil, fmt.Errorf("mail %s: recipients: %w", m.ID, err)
	}
	m.CreatedAt, m.UpdatedAt, m.SentAt = fromMicros(created), fromMicros(updated), timePtr(sent)
	return m, nil
}

func (s *ReleaseStore) findMail(ctx context.Context, where string, arg any) (*qbconnect.Mail, error) {
	m, err := scanMail(s.db.queryRow(ctx, "SELECT "+mailColumns+" FROM mail_outbox WHERE "+where, arg))
	if err != nil {
		return nil, notFound(err, "mail", fmt.Sprint(arg))
	}
	return m, nil
}

// FindMail returns a message of the outbox; ENotFound when unknown.
func (s *ReleaseStore) FindMail(ctx context.Context, id string) (*qbconnect.Mail, error) {
	return s.findMail(ctx, "id = ?", id)
}

// ListMail returns the outbox's messages with a status ("" for all),
// oldest first.
func (s *ReleaseStore) ListMail(ctx context.Context, status qbconnect.MailStatus) ([]*qbconnect.Mail, error) {
	list := []*qbconnect.Mail{}
	err := s.scanEach(ctx, "SELECT "+mailColumns+" FROM mail_outbox WHERE ? = '' OR status = ? ORDER BY seq", func(sc func(...any) error) error {
		m, err := scanMail(scanFunc(sc))
		if err != nil {
			return err
		}
		list = append(list, m)
		return nil
	}, string(status), string(status))
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	return list, nil
}

// MailAttempt records one sending attempt: sent (errText "") or failed
// with errText; final marks the message Failed for good. A message already
// Sent is left as it is, and sent reports false.
func (s *ReleaseStore) MailAttempt(ctx context.Context, id, errText string, final bool) (sent bool, err error) {
	now := s.db.now()
	err = s.db.inTx(ctx, func(tx *tx) error {
		var st qbconnect.MailStatus
		if err := tx.queryRow(ctx, "SELECT status FROM mail_outbox WHERE id = ?"+s.db.forUpdate("FOR UPDATE"), id).Scan(&st); err != nil {
			return notFound(err, "mail", id)
		}
		if st == qbconnect.MailSent {
			return nil
		}
		status, sentAt := qbconnect.MailQueued, any(nil)
		switch {
		case errText == "":
			status, sentAt, sent = qbconnect.MailSent, micros(now), true
		case final:
			status = qbconnect.MailFailed
		}
		_, err := tx.exec(ctx, `UPDATE mail_outbox SET status = ?, attempts = attempts + 1, last_error = ?, updated_at = ?, sent_at = ?
			WHERE id = ?`, string(status), errText, micros(now), sentAt, id)
		return err
	})
	return sent, err
}
