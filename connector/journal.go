package connector

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver

	"github.com/qbconnect/qbconnect/gateway"
)

// Journal is the connector's crash-safe record of work items. The order of
// writes is what makes a SIGKILL at any point safe:
//
//  1. Receive records the item (with its message-set ID) before anything is
//     sent to QuickBooks;
//  2. MarkSent records that the request is about to reach QuickBooks;
//  3. Answer records QuickBooks' answer (or the failure) before it is posted;
//  4. Reported records that the platform acknowledged it.
//
// After a restart, an item with an answer is reported, not run again; an
// item marked sent without an answer is recovered from QuickBooks with its
// message-set ID (oldMessageSetID) when it has one, and run again otherwise
// (reads only: every write gets a message-set ID). Every write is committed
// with synchronous=FULL before the next step starts.
type Journal struct {
	db  *sql.DB
	now func() time.Time
}

// Entry is one journaled work item.
type Entry struct {
	ItemID       string
	LeaseID      string
	ConnectionID string
	Kind         string
	Request      string
	MessageSetID string
	Attempt      int
	ReceivedAt   time.Time
	// SentAt is set once the request may have reached QuickBooks.
	SentAt *time.Time
	// Response is QuickBooks' raw answer; Failure the reason there is none.
	// At most one is set; neither means no answer yet.
	Response *string
	Failure  *gateway.Failure
	Duration time.Duration
	// AnsweredAt and ReportedAt are set when the answer was stored and when
	// the platform acknowledged it.
	AnsweredAt *time.Time
	ReportedAt *time.Time
	// Recovered is true when the answer came from QuickBooks' stored
	// message set rather than from running the request.
	Recovered bool
}

// Answered reports whether the entry has a response or a failure.
func (e *Entry) Answered() bool { return e.Response != nil || e.Failure != nil }

const journalSchema = `
CREATE TABLE IF NOT EXISTS items (
	item_id        TEXT PRIMARY KEY,
	lease_id       TEXT NOT NULL,
	connection_id  TEXT NOT NULL,
	kind           TEXT NOT NULL,
	request        TEXT NOT NULL,
	message_set_id TEXT NOT NULL DEFAULT '',
	attempt        INTEGER NOT NULL DEFAULT 0,
	received_at    INTEGER NOT NULL,
	sent_at        INTEGER,
	response       TEXT,
	failure        TEXT,
	duration_ms    INTEGER NOT NULL DEFAULT 0,
	answered_at    INTEGER,
	reported_at    INTEGER,
	recovered      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_unreported ON items(reported_at) WHERE reported_at IS NULL;
CREATE INDEX IF NOT EXISTS items_received ON items(received_at);
`

// OpenJournal opens (creating if needed) the journal at path. now may be nil
// (time.Now).
func OpenJournal(ctx context.Context, path string, now func() time.Time) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("connector: journal: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; the agent's calls are sequential anyway
	if _, err := db.ExecContext(ctx, journalSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("connector: journal %s: %w", path, err)
	}
	return &Journal{db: db, now: now}, nil
}

// Close closes the journal.
func (j *Journal) Close() error { return j.db.Close() }

// Receive records a work item before anything is sent to QuickBooks, with
// the message-set ID the connector will use (msgSetID, "" for a read). An
// item already in the journal (offered again after its lease expired, or
// after a restart) keeps its message-set ID, its sent mark and its answer;
// only its lease and attempt are updated. It returns the entry as stored.
func (j *Journal) Receive(ctx context.Context, it *gateway.WorkItem, msgSetID string) (*Entry, error) {
	now := j.now().UnixNano()
	_, err := j.db.ExecContext(ctx, `
INSERT INTO items(item_id, lease_id, connection_id, kind, request, message_set_id, attempt, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(item_id) DO UPDATE SET lease_id = excluded.lease_id, attempt = excluded.attempt, reported_at = NULL`,
		it.ID, it.LeaseID, it.ConnectionID, it.Kind, it.Request, msgSetID, it.Attempt, now)
	if err != nil {
		return nil, fmt.Errorf("connector: journal: recording item %s: %w", it.ID, err)
	}
	return j.Get(ctx, it.ID)
}

// MarkSent records that the item's request is about to be sent to
// QuickBooks.
func (j *Journal) MarkSent(ctx context.Context, itemID string) error {
	return j.exec(ctx, "marking item sent", `UPDATE items SET sent_at = ? WHERE item_id = ?`, j.now().UnixNano(), itemID)
}

// ClearSent forgets the sent mark: QuickBooks said it never processed the
// message set, so the request may be sent again.
func (j *Journal) ClearSent(ctx context.Context, itemID string) error {
	return j.exec(ctx, "clearing sent mark", `UPDATE items SET sent_at = NULL WHERE item_id = ?`, itemID)
}

// Answer records QuickBooks' response (or a failure) for an item. recovered
// says the response came from QuickBooks' stored message set.
func (j *Journal) Answer(ctx context.Context, itemID string, response *string, failure *gateway.Failure, d time.Duration, recovered bool) error {
	if (response == nil) == (failure == nil) {
		return errors.New("connector: journal: an answer needs exactly one of a response and a failure")
	}
	var f sql.NullString
	if failure != nil {
		b, err := json.Marshal(failure)
		if err != nil {
			return err
		}
		f = sql.NullString{String: string(b), Valid: true}
	}
	var r sql.NullString
	if response != nil {
		r = sql.NullString{String: *response, Valid: true}
	}
	rec := 0
	if recovered {
		rec = 1
	}
	return j.exec(ctx, "recording the answer", `UPDATE items SET response = ?, failure = ?, duration_ms = ?, answered_at = ?, recovered = ? WHERE item_id = ?`,
		r, f, d.Milliseconds(), j.now().UnixNano(), rec, itemID)
}

// ForgetFailure removes a failure answer so that the item runs again when
// it is offered again; failures never reached QuickBooks' data.
func (j *Journal) ForgetFailure(ctx context.Context, itemID string) error {
	return j.exec(ctx, "forgetting a failure", `UPDATE items SET failure = NULL, answered_at = NULL WHERE item_id = ? AND failure IS NOT NULL`, itemID)
}

// Reported records that the platform acknowledged the item's answer.
func (j *Journal) Reported(ctx context.Context, itemID string) error {
	return j.exec(ctx, "marking item reported", `UPDATE items SET reported_at = ? WHERE item_id = ?`, j.now().UnixNano(), itemID)
}

func (j *Journal) exec(ctx context.Context, what, q string, args ...any) error {
	res, err := j.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("connector: journal: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 && what != "forgetting a failure" {
		return fmt.Errorf("connector: journal: %s: no such item", what)
	}
	return nil
}

const entryColumns = `item_id, lease_id, connection_id, kind, request, message_set_id, attempt, received_at, sent_at,
response, failure, duration_ms, answered_at, reported_at, recovered`

// Get returns an item's entry; an error wrapping ErrNoEntry when unknown.
func (j *Journal) Get(ctx context.Context, itemID string) (*Entry, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+entryColumns+` FROM items WHERE item_id = ?`, itemID)
	if err != nil {
		return nil, fmt.Errorf("connector: journal: %w", err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("connector: journal: item %s: %w", itemID, ErrNoEntry)
	}
	return es[0], nil
}

// ErrNoEntry is wrapped by Get for an unknown item.
var ErrNoEntry = errors.New("not in the journal")

// Unreported returns the items whose answer the platform has not
// acknowledged, oldest first.
func (j *Journal) Unreported(ctx context.Context) ([]*Entry, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+entryColumns+` FROM items WHERE reported_at IS NULL ORDER BY received_at`)
	if err != nil {
		return nil, fmt.Errorf("connector: journal: %w", err)
	}
	return scanEntries(rows)
}

// Recent returns the n most recent items of a connection ("" for all),
// newest first, with the first 4 KB of their request and without their
// response documents.
func (j *Journal) Recent(ctx context.Context, connectionID string, n int) ([]*Entry, error) {
	// The request's start is enough for the log to say what it did
	// (Describe); whole requests may be large.
	rows, err := j.db.QueryContext(ctx, `SELECT item_id, lease_id, connection_id, kind, substr(request, 1, 4096), message_set_id, attempt, received_at, sent_at,
CASE WHEN response IS NULL THEN NULL ELSE '' END, failure, duration_ms, answered_at, reported_at, recovered
FROM items WHERE ? = '' OR connection_id = ? ORDER BY received_at DESC LIMIT ?`, connectionID, connectionID, n)
	if err != nil {
		return nil, fmt.Errorf("connector: journal: %w", err)
	}
	return scanEntries(rows)
}

// Prune deletes reported items received before t and returns how many.
func (j *Journal) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := j.db.ExecContext(ctx, `DELETE FROM items WHERE reported_at IS NOT NULL AND received_at < ?`, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("connector: journal: prune: %w", err)
	}
	return res.RowsAffected()
}

func scanEntries(rows *sql.Rows) ([]*Entry, error) {
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		var e Entry
		var received, durMS int64
		var sent, answered, reported sql.NullInt64
		var resp, fail sql.NullString
		var rec int
		if err := rows.Scan(&e.ItemID, &e.LeaseID, &e.ConnectionID, &e.Kind, &e.Request, &e.MessageSetID, &e.Attempt,
			&received, &sent, &resp, &fail, &durMS, &answered, &reported, &rec); err != nil {
			return nil, fmt.Errorf("connector: journal: %w", err)
		}
		e.ReceivedAt = time.Unix(0, received)
		e.SentAt = nanoTime(sent)
		e.AnsweredAt = nanoTime(answered)
		e.ReportedAt = nanoTime(reported)
		e.Duration = time.Duration(durMS) * time.Millisecond
		e.Recovered = rec != 0
		if resp.Valid {
			s := resp.String
			e.Response = &s
		}
		if fail.Valid {
			var f gateway.Failure
			if err := json.Unmarshal([]byte(fail.String), &f); err != nil {
				return nil, fmt.Errorf("connector: journal: item %s has a damaged failure: %w", e.ItemID, err)
			}
			e.Failure = &f
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

func nanoTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(0, v.Int64)
	return &t
}
