package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
)

// SyncStore keeps the sync engine's state: one row per company and data
// type (status, high-water marks, the checkpoint of the pass under way) and
// the history of passes. A page of records, the checkpoint that follows it
// and the operation of the next page are written in one transaction
// (BeginSyncPage).
type SyncStore struct {
	db    *DB
	ended qbconnect.SyncEndFunc // see OnPassEnd

	mu   sync.Mutex
	full *sql.Stmt // the full-batch upsert, prepared once on the writer
}

// NewSyncStore returns the sync store of db. Keep one per DB: it caches a
// prepared statement.
func NewSyncStore(db *DB) *SyncStore { return &SyncStore{db: db} }

// fullBatch returns the prepared full-batch upsert, preparing it once.
func (s *SyncStore) fullBatch(ctx context.Context) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full == nil {
		st, err := s.db.write.PrepareContext(ctx, s.db.rebind(recordInsertSQL(recordBatch)))
		if err != nil {
			return nil, fmt.Errorf("prepare upsert: %w", err)
		}
		s.full = st
	}
	return s.full, nil
}

// SyncKey names the page of a pass whose result the engine awaits: the
// pass (RunID), how often it restarted, and how many pages it committed.
// Updates compare it with the stored state, so a duplicate or stale result
// never applies twice.
type SyncKey struct {
	RunID    string
	Restarts int
	Pages    int
}

// KeyOf returns the key of a state.
func KeyOf(st *qbconnect.SyncState) SyncKey {
	return SyncKey{RunID: st.RunID, Restarts: st.Restarts, Pages: st.Pages}
}

const syncStateColumns = `company_id, type, org_id, status, error, high_water, deleted_mark, last_full_at, last_complete_at,
	run_id, mode, trigger_by, op_id, iterator_id, restarts, pages, fetched, deleted, remaining, pass_high_water, started_at, updated_at`

func scanSyncState(row interface{ Scan(...any) error }) (*qbconnect.SyncState, error) {
	st := &qbconnect.SyncState{}
	var errJSON sql.NullString
	var high, delMark, passHigh, updated int64
	var lastFull, lastComplete, started sql.NullInt64
	err := row.Scan(&st.CompanyID, &st.DataType, &st.OrgID, &st.Status, &errJSON, &high, &delMark, &lastFull, &lastComplete,
		&st.RunID, &st.Mode, &st.Trigger, &st.OpID, &st.IteratorID, &st.Restarts, &st.Pages, &st.Fetched, &st.Deleted,
		&st.Remaining, &passHigh, &started, &updated)
	if err != nil {
		return nil, err
	}
	st.HighWater, st.DeletedMark, st.PassHighWater = zeroMicros(high), zeroMicros(delMark), zeroMicros(passHigh)
	st.LastFullAt, st.LastCompleteAt, st.StartedAt = timePtr(lastFull), timePtr(lastComplete), timePtr(started)
	st.UpdatedAt = fromMicros(updated)
	if errJSON.Valid {
		if st.Error, err = decodeError(errJSON.String); err != nil {
			return nil, fmt.Errorf("sync state error: %w", err)
		}
	}
	return st, nil
}

// zeroMicros keeps the zero time zero.
func zeroMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMicros(v)
}

func microsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func syncStateArgs(st *qbconnect.SyncState, now time.Time) []any {
	return []any{st.OrgID, st.Status, encodeError(st.Error), microsOrZero(st.HighWater), microsOrZero(st.DeletedMark),
		nullMicros(st.LastFullAt), nullMicros(st.LastCompleteAt), st.RunID, st.Mode, st.Trigger, st.OpID, st.IteratorID,
		st.Restarts, st.Pages, st.Fetched, st.Deleted, st.Remaining, microsOrZero(st.PassHighWater), nullMicros(st.StartedAt), micros(now)}
}

const syncStateSet = `org_id = ?, status = ?, error = ?, high_water = ?, deleted_mark = ?, last_full_at = ?, last_complete_at = ?,
	run_id = ?, mode = ?, trigger_by = ?, op_id = ?, iterator_id = ?, restarts = ?, pages = ?, fetched = ?, deleted = ?,
	remaining = ?, pass_high_water = ?, started_at = ?, updated_at = ?`

// FindSyncState returns the state of a company's data type; ENotFound when
// the type was never synced.
func (s *SyncStore) FindSyncState(ctx context.Context, companyID, typ string) (*qbconnect.SyncState, error) {
	st, err := scanSyncState(s.db.queryRow(ctx, "SELECT "+syncStateColumns+" FROM sync_states WHERE company_id = ? AND type = ?", companyID, typ))
	if err != nil {
		return nil, notFound(err, "sync state", companyID+"/"+typ)
	}
	return st, nil
}

// ListSyncStates returns the states of a company's data types, by type.
func (s *SyncStore) ListSyncStates(ctx context.Context, companyID string) ([]*qbconnect.SyncState, error) {
	return s.listStates(ctx, "company_id = ?", companyID)
}

// ActiveSyncStates returns every state with a pass under way (Queued or
// Fetching), across companies, for the engine's reconciliation.
func (s *SyncStore) ActiveSyncStates(ctx context.Context) ([]*qbconnect.SyncState, error) {
	return s.listStates(ctx, "status IN ('Queued', 'Fetching')")
}

func (s *SyncStore) listStates(ctx context.Context, where string, args ...any) ([]*qbconnect.SyncState, error) {
	rows, err := s.db.query(ctx, "SELECT "+syncStateColumns+" FROM sync_states WHERE "+where+" ORDER BY company_id, type", args...)
	if err != nil {
		return nil, fmt.Errorf("list sync states: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.SyncState{}
	for rows.Next() {
		st, err := scanSyncState(rows)
		if err != nil {
			return nil, fmt.Errorf("list sync states: %w", err)
		}
		list = append(list, st)
	}
	return list, rows.Err()
}

// StartSyncPass records a new pass: st becomes the state (its RunID names
// the pass) and run is added to the history. When a pass of the type is
// already under way it changes nothing and returns the current state and
// false. st.CompanyID must be a company of st.OrgID (ENotFound otherwise).
func (s *SyncStore) StartSyncPass(ctx context.Context, st *qbconnect.SyncState, run *qbconnect.SyncRun) (*qbconnect.SyncState, bool, error) {
	if st.CompanyID == "" || st.DataType == "" || st.RunID == "" || run.ID != st.RunID {
		return nil, false, qbconnect.Errorf(qbconnect.EInvalid, "sync pass: company, data type and a run ID shared with the run are required")
	}
	var started bool
	var cur *qbconnect.SyncState
	err := s.db.inTx(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM companies WHERE id = ? AND org_id = ? AND deleted_at IS NULL", st.CompanyID, st.OrgID).Scan(&n); err != nil {
			return fmt.Errorf("start sync: %w", err)
		}
		if n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "company %q not found", st.CompanyID)
		}
		old, err := scanSyncState(tx.queryRow(ctx, "SELECT "+syncStateColumns+" FROM sync_states WHERE company_id = ? AND type = ?"+
			s.db.forUpdate("FOR UPDATE"), st.CompanyID, st.DataType))
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return fmt.Errorf("start sync: %w", err)
		case old.Status.Active():
			cur = old
			return nil
		}
		now := s.db.now()
		args := append([]any{st.CompanyID, st.DataType}, syncStateArgs(st, now)...)
		_, err = tx.exec(ctx, `INSERT INTO sync_states (company_id, type, org_id, status, error, high_water, deleted_mark, last_full_at,
			last_complete_at, run_id, mode, trigger_by, op_id, iterator_id, restarts, pages, fetched, deleted, remaining, pass_high_water,
			started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (company_id, type) DO UPDATE SET `+excludedSet(syncStateSet), args...)
		if err != nil {
			return fmt.Errorf("start sync: %w", err)
		}
		if err := insertRun(ctx, tx, run); err != nil {
			return err
		}
		started = true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if !started {
		return cur, false, nil
	}
	got, err := s.FindSyncState(ctx, st.CompanyID, st.DataType)
	return got, true, err
}

// excludedSet turns "a = ?, b = ?" into "a = excluded.a, b = excluded.b".
func excludedSet(set string) string {
	parts := strings.Split(set, ",")
	for i, p := range parts {
		col := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p), "= ?"))
		parts[i] = col + " = excluded." + col
	}
	return strings.Join(parts, ", ")
}

func insertRun(ctx context.Context, tx *tx, run *qbconnect.SyncRun) error {
	_, err := tx.exec(ctx, `INSERT INTO sync_runs (id, org_id, company_id, type, mode, trigger_by, status, error, pages, fetched, deleted,
		restarts, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.ID, run.OrgID, run.CompanyID, run.DataType, run.Mode, run.Trigger, run.Status, encodeError(run.Error),
		run.Pages, run.Fetched, run.Deleted, run.Restarts, micros(run.StartedAt), nullMicros(run.FinishedAt))
	if err != nil {
		return fmt.Errorf("insert sync run: %w", err)
	}
	return nil
}

func updateRun(ctx context.Context, tx *tx, run *qbconnect.SyncRun) error {
	if run == nil {
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE sync_runs SET status = ?, error = ?, pages = ?, fetched = ?, deleted = ?, restarts = ?, finished_at = ?
		WHERE id = ?`, run.Status, encodeError(run.Error), run.Pages, run.Fetched, run.Deleted, run.Restarts, nullMicros(run.FinishedAt), run.ID)
	if err != nil {
		return fmt.Errorf("update sync run: %w", err)
	}
	return nil
}

// OnPassEnd makes fn run in the transaction that ends a pass (SaveSyncState
// or SyncPage.Commit with a state SyncComplete or SyncFailed and a run
// finished with that status), so that the pass's event is recorded with
// it (an outbox). Call it before s is used.
func (s *SyncStore) OnPassEnd(fn qbconnect.SyncEndFunc) { s.ended = fn }

// passEnded runs the OnPassEnd hook when st and run end a pass.
func (s *SyncStore) passEnded(ctx context.Context, tx *tx, st *qbconnect.SyncState, run *qbconnect.SyncRun) error {
	if s.ended == nil || run == nil || run.Status != st.Status ||
		(st.Status != qbconnect.SyncComplete && st.Status != qbconnect.SyncFailed) {
		return nil
	}
	return s.ended(ctx, tx, st)
}

// SaveSyncState replaces the state of st's company and type when the stored
// state still has key expect, and updates run (may be nil) in the same
// transaction. EConflict when the state moved on (a duplicate or stale
// result), ENotFound when there is none.
func (s *SyncStore) SaveSyncState(ctx context.Context, st *qbconnect.SyncState, run *qbconnect.SyncRun, expect SyncKey) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		if err := s.saveState(ctx, tx, st, expect); err != nil {
			return err
		}
		if err := updateRun(ctx, tx, run); err != nil {
			return err
		}
		return s.passEnded(ctx, tx, st, run)
	})
}

func (s *SyncStore) saveState(ctx context.Context, tx *tx, st *qbconnect.SyncState, expect SyncKey) error {
	args := append(syncStateArgs(st, s.db.now()), st.CompanyID, st.DataType, expect.RunID, expect.Restarts, expect.Pages)
	res, err := tx.exec(ctx, "UPDATE sync_states SET "+syncStateSet+
		" WHERE company_id = ? AND type = ? AND run_id = ? AND restarts = ? AND pages = ?", args...)
	if err != nil {
		return fmt.Errorf("save sync state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return qbconnect.Errorf(qbconnect.EConflict, "sync state of %s/%s moved on from run %s restart %d page %d",
			st.CompanyID, st.DataType, expect.RunID, expect.Restarts, expect.Pages)
	}
	return nil
}

// FindSyncRun returns a run of an organisation; ENotFound otherwise.
func (s *SyncStore) FindSyncRun(ctx context.Context, orgID, id string) (*qbconnect.SyncRun, error) {
	run, _, err := scanRun(s.db.queryRow(ctx, "SELECT "+runColumns+" FROM sync_runs WHERE org_id = ? AND id = ?", orgID, id))
	if err != nil {
		return nil, notFound(err, "sync run", id)
	}
	return run, nil
}

const runColumns = `seq, id, org_id, company_id, type, mode, trigger_by, status, error, pages, fetched, deleted, restarts, started_at, finished_at`

func scanRun(row interface{ Scan(...any) error }) (*qbconnect.SyncRun, int64, error) {
	run := &qbconnect.SyncRun{}
	var seq, started int64
	var finished sql.NullInt64
	var errJSON sql.NullString
	err := row.Scan(&seq, &run.ID, &run.OrgID, &run.CompanyID, &run.DataType, &run.Mode, &run.Trigger, &run.Status, &errJSON,
		&run.Pages, &run.Fetched, &run.Deleted, &run.Restarts, &started, &finished)
	if err != nil {
		return nil, 0, err
	}
	run.StartedAt, run.FinishedAt = fromMicros(started), timePtr(finished)
	if run.FinishedAt != nil {
		run.Duration = qbconnect.Duration(run.FinishedAt.Sub(run.StartedAt))
	}
	if errJSON.Valid {
		if run.Error, err = decodeError(errJSON.String); err != nil {
			return nil, 0, err
		}
	}
	return run, seq, nil
}

// ListSyncRuns returns a page of a company's sync history, newest first,
// and the next cursor ("" at the end). ENotFound for an unknown or
// other-org company.
func (s *SyncStore) ListSyncRuns(ctx context.Context, f qbconnect.SyncRunFilter) ([]*qbconnect.SyncRun, string, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	if _, err := NewCompanyStore(s.db).FindCompany(ctx, f.OrgID, f.CompanyID); err != nil {
		return nil, "", err
	}
	where, args := []string{"org_id = ?", "company_id = ?"}, []any{f.OrgID, f.CompanyID}
	if f.DataType != "" {
		where, args = append(where, "type = ?"), append(args, f.DataType)
	}
	if f.Cursor != "" {
		before, err := parseSeqCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "seq < ?"), append(args, before)
	}
	rows, err := s.db.query(ctx, "SELECT "+runColumns+" FROM sync_runs WHERE "+strings.Join(where, " AND ")+
		" ORDER BY seq DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list sync runs: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.SyncRun{}
	var next string
	var last int64
	for rows.Next() {
		run, seq, err := scanRun(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list sync runs: %w", err)
		}
		if len(list) == limit {
			next = seqCursor(last)
			break
		}
		list = append(list, run)
		last = seq
	}
	return list, next, rows.Err()
}

// SyncPage is a write transaction that ingests one page of a sync pass:
// records are upserted in multi-row batches as they are added, so a
// response streams into the database with one batch in memory, and Commit
// writes the checkpoint in the same transaction. With SQLite it holds the
// single writer until Commit or Rollback: keep a page small (MaxReturned).
type SyncPage struct {
	s       *SyncStore
	db      *DB
	tx      *tx
	ctx     context.Context
	expect  SyncKey
	company string
	typ     string
	now     int64
	batch   []*qbconnect.Record
	args    []any
	shared  *sql.Stmt // the store's prepared full-batch upsert
	full    *sql.Stmt // shared, bound to this transaction
	deleted []string
	delAt   []int64
	done    bool
}

// BeginSyncPage starts the transaction of the page named by expect of a
// company's data type. EConflict when the stored state has moved on (the
// page was ingested already, or the pass restarted), ENotFound when there
// is no state; the caller then drops the result.
func (s *SyncStore) BeginSyncPage(ctx context.Context, companyID, typ string, expect SyncKey) (*SyncPage, error) {
	// Prepare before the transaction: with SQLite the transaction holds
	// the only writer connection.
	var full *sql.Stmt
	if s.db.dialect != Postgres {
		var err error
		if full, err = s.fullBatch(ctx); err != nil {
			return nil, err
		}
	}
	stx, err := s.db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	p := &SyncPage{s: s, db: s.db, tx: &tx{Tx: stx, db: s.db}, ctx: ctx, expect: expect, company: companyID, typ: typ,
		now: micros(s.db.now()), shared: full}
	var key SyncKey
	var status qbconnect.SyncStatus
	err = p.tx.queryRow(ctx, "SELECT run_id, restarts, pages, status FROM sync_states WHERE company_id = ? AND type = ?"+
		s.db.forUpdate("FOR UPDATE"), companyID, typ).Scan(&key.RunID, &key.Restarts, &key.Pages, &status)
	if err != nil {
		_ = stx.Rollback()
		return nil, notFound(err, "sync state", companyID+"/"+typ)
	}
	if key != expect || !status.Active() {
		_ = stx.Rollback()
		return nil, qbconnect.Errorf(qbconnect.EConflict, "sync state of %s/%s is %s at run %s restart %d page %d, not the awaited page",
			companyID, typ, status, key.RunID, key.Restarts, key.Pages)
	}
	return p, nil
}

// Upsert adds a record of the page (its CompanyID and Type are set to the
// page's). It is written with the next full batch or at Commit.
func (p *SyncPage) Upsert(r *qbconnect.Record) error {
	if r.ID == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "record of type %s has no ID", p.typ)
	}
	r.CompanyID, r.Type = p.company, p.typ
	p.batch = append(p.batch, r)
	if len(p.batch) == recordBatch {
		return p.flush()
	}
	return nil
}

// Delete marks a record deleted in QuickBooks at time at; unknown IDs are
// ignored. Deletions apply at Commit, after the page's upserts.
func (p *SyncPage) Delete(id string, at time.Time) {
	p.deleted = append(p.deleted, id)
	p.delAt = append(p.delAt, micros(at))
}

func (p *SyncPage) flush() error {
	if len(p.batch) == 0 {
		return nil
	}
	// A record repeated within one statement would make the upsert touch a
	// row twice, which PostgreSQL refuses: the last one wins.
	uniq := p.batch
	seen := make(map[string]int, len(uniq))
	dups := false
	for i, r := range uniq {
		if _, ok := seen[r.ID]; ok {
			dups = true
		}
		seen[r.ID] = i
	}
	if dups {
		kept := make([]*qbconnect.Record, 0, len(uniq))
		for i, r := range uniq {
			if seen[r.ID] == i {
				kept = append(kept, r)
			}
		}
		uniq = kept
	}
	if p.db.dialect == Postgres {
		err := p.flushArrays(uniq)
		if err != nil {
			return err
		}
		p.batch = p.batch[:0]
		return nil
	}
	p.args = p.args[:0]
	for _, r := range uniq {
		p.args = append(p.args, r.CompanyID, r.Type, r.ID, r.EditSequence, r.Name, r.RefID, r.TxnDate, r.Active,
			micros(r.ModifiedAt), p.now, r.Deleted, string(r.Data))
	}
	var err error
	if len(uniq) == recordBatch {
		if p.full == nil {
			p.full = p.tx.StmtContext(p.ctx, p.shared)
		}
		_, err = p.full.ExecContext(p.ctx, p.args...)
	} else {
		_, err = p.tx.exec(p.ctx, recordInsertSQL(len(uniq)), p.args...)
	}
	if err != nil {
		return fmt.Errorf("upsert records: %w", err)
	}
	p.batch = p.batch[:0]
	return nil
}

// Enqueue stores op in the page's transaction, as QueueStore.Enqueue would, and
// returns its ID (the existing operation's for a used idempotency key):
// the sync engine queues a pass's next page with the checkpoint that
// names it, so a crash keeps both or neither. The connector is woken after
// Commit; after a Rollback the operation was never queued.
func (p *SyncPage) Enqueue(op *qbconnect.Operation) (string, error) {
	if p.done {
		return "", fmt.Errorf("sync page already finished")
	}
	return (&QueueStore{db: p.db}).enqueue(p.ctx, p.tx, op)
}

// flushArrays upserts rs, all of the page's company and type, on
// PostgreSQL with one array per column (recordUnnestSQL).
func (p *SyncPage) flushArrays(rs []*qbconnect.Record) error {
	n := len(rs)
	ids, seqs, names, refs, dates, datas := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	active, deleted, modified := make([]bool, n), make([]bool, n), make([]int64, n)
	for i, r := range rs {
		ids[i], seqs[i], names[i], refs[i], dates[i], datas[i] = r.ID, r.EditSequence, r.Name, r.RefID, r.TxnDate, string(r.Data)
		active[i], deleted[i], modified[i] = r.Active, r.Deleted, micros(r.ModifiedAt)
	}
	if _, err := p.tx.exec(p.ctx, recordUnnestSQL, p.company, p.typ, p.now, ids, seqs, names, refs, dates, active, modified, deleted, datas); err != nil {
		return fmt.Errorf("upsert records: %w", err)
	}
	return nil
}

// Commit writes the remaining records, the deletions, the new state (which
// must be of the page's company and type) and run (may be nil), and commits.
func (p *SyncPage) Commit(st *qbconnect.SyncState, run *qbconnect.SyncRun) error {
	if p.done {
		return fmt.Errorf("sync page already finished")
	}
	p.done = true
	err := func() error {
		if err := p.flush(); err != nil {
			return err
		}
		for i, id := range p.deleted {
			if _, err := p.tx.exec(p.ctx, `UPDATE records SET deleted = TRUE, modified_at = ?, updated_at = ?
				WHERE company_id = ? AND type = ? AND id = ? AND NOT deleted`, p.delAt[i], p.now, p.company, p.typ, id); err != nil {
				return fmt.Errorf("delete records: %w", err)
			}
		}
		if st.CompanyID != p.company || st.DataType != p.typ {
			return fmt.Errorf("sync page of %s/%s cannot save the state of %s/%s", p.company, p.typ, st.CompanyID, st.DataType)
		}
		if err := p.s.saveState(p.ctx, p.tx, st, p.expect); err != nil {
			return err
		}
		if err := updateRun(p.ctx, p.tx, run); err != nil {
			return err
		}
		return p.s.passEnded(p.ctx, p.tx, st, run)
	}()
	if p.full != nil {
		p.full.Close()
	}
	if err != nil {
		_ = p.tx.Rollback()
		return err
	}
	p.db.hub.expectEchoes(p.tx.wake)
	if err := p.tx.Commit(); err != nil {
		p.db.hub.commitFailed(p.tx.wake)
		return fmt.Errorf("commit: %w", err)
	}
	p.db.checkpoint.wrote()
	for _, k := range p.tx.wake {
		p.db.hub.notify(k)
	}
	return nil
}

// Rollback abandons the page; after Commit it does nothing.
func (p *SyncPage) Rollback() {
	if p.done {
		return
	}
	p.done = true
	if p.full != nil {
		p.full.Close()
	}
	_ = p.tx.Rollback()
}
