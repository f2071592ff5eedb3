package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LinkAttemptStore counts failed link attempts per client address in the
// link_attempts table, so that the limit holds across every server process
// sharing the database. It implements api.AttemptCounter.
type LinkAttemptStore struct{ db *DB }

// NewLinkAttemptStore returns the link-attempt counter of db.
func NewLinkAttemptStore(db *DB) *LinkAttemptStore { return &LinkAttemptStore{db: db} }

// Failures returns the failures counted for key in the window holding now
// (0 when none) and when that window ends.
func (a *LinkAttemptStore) Failures(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	var start int64
	var n int
	err := a.db.queryRow(ctx, "SELECT window_start, failures FROM link_attempts WHERE addr = ?", key).Scan(&start, &n)
	switch {
	case err == sql.ErrNoRows:
		return 0, now.Add(window), nil
	case err != nil:
		return 0, time.Time{}, fmt.Errorf("link attempts: %w", err)
	}
	ends := fromMicros(start).Add(window)
	if !now.Before(ends) {
		return 0, now.Add(window), nil
	}
	return n, ends, nil
}

// Fail counts one failure for key, starting a new window when the last one
// ended, in one statement: processes counting at once never lose a count.
// Windows that ended are deleted on the way.
func (a *LinkAttemptStore) Fail(ctx context.Context, key string, now time.Time, window time.Duration) error {
	nowM, expired := micros(now), micros(now.Add(-window))
	return a.db.inTx(ctx, func(tx *tx) error {
		if _, err := tx.exec(ctx, "DELETE FROM link_attempts WHERE window_start <= ? AND addr <> ?", expired, key); err != nil {
			return fmt.Errorf("link attempts: %w", err)
		}
		_, err := tx.exec(ctx, `INSERT INTO link_attempts (addr, window_start, failures) VALUES (?, ?, 1)
			ON CONFLICT (addr) DO UPDATE SET
				failures = CASE WHEN link_attempts.window_start <= ? THEN 1 ELSE link_attempts.failures + 1 END,
				window_start = CASE WHEN link_attempts.window_start <= ? THEN excluded.window_start ELSE link_attempts.window_start END`,
			key, nowM, expired, expired)
		if err != nil {
			return fmt.Errorf("link attempts: %w", err)
		}
		return nil
	})
}
