package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// SyncStore keeps the sync engine's state: one row per company and data
// type (status, high-water marks, the checkpoint of the pass under way) and
// the history of passes. A page of records, the checkpoint that follows it
// and the operation of the next page are written in one transaction
// (BeginSyncPage).
type SyncStore struct {
	db       *DB
	ended    qbconnect.SyncEndFunc        // see OnPassEnd
	runEnded qbconnect.SyncRunEndFunc     // see OnRunEnd
	changed  qbconnect.RecordsChangedFunc // see OnRecordsChanged
}

// NewSyncStore returns the sync store of db.
func NewSyncStore(db *DB) *SyncStore { return &SyncStore{db: db} }

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
	run_id, mode, full_reason, trigger_by, op_id, iterator_id, restarts, pages, fetched, deleted, remaining, pass_high_water, started_at, updated_at, qb_offset`

func scanSyncState(row interface{ Scan(...any) error }) (*qbconnect.SyncState, error) {
	st := &qbconnect.SyncState{}
	var errJSON sql.NullString
	var high, delMark, passHigh, updated int64
	var lastFull, lastComplete, started, offset sql.NullInt64
	err := row.Scan(&st.CompanyID, &st.DataType, &st.OrgID, &st.Status, &errJSON, &high, &delMark, &lastFull, &lastComplete,
		&st.RunID, &st.Mode, &st.FullReason, &st.Trigger, &st.OpID, &st.IteratorID, &st.Restarts, &st.Pages, &st.Fetched, &st.Deleted,
		&st.Remaining, &passHigh, &started, &updated, &offset)
	if err != nil {
		return nil, err
	}
	if t, ok := qbconnect.ParseSyncTrigger(string(st.Trigger)); ok {
		st.Trigger = t // a row an earlier version wrote after migration 01030
	}
	st.HighWater, st.DeletedMark, st.PassHighWater = zeroMicros(high), zeroMicros(delMark), zeroMicros(passHigh)
	st.LastFullAt, st.LastCompleteAt, st.StartedAt = timePtr(lastFull), timePtr(lastComplete), timePtr(started)
	st.UpdatedAt = fromMicros(updated)
	if offset.Valid {
		o := int(offset.Int64)
		st.QBOffset = &o
	}
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
		nullMicros(st.LastFullAt), nullMicros(st.LastCompleteAt), st.RunID, st.Mode, st.FullReason, st.Trigger, st.OpID, st.IteratorID,
		st.Restarts, st.Pages, st.Fetched, st.Deleted, st.Remaining, microsOrZero(st.PassHighWater), nullMicros(st.StartedAt), micros(now),
		nullOffset(st.QBOffset)}
}

// nullOffset is a sync state's QBOffset as a column value.
func nullOffset(o *int) sql.NullInt64 {
	if o == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*o), Valid: true}
}

const syncStateSet = `org_id = ?, status = ?, error = ?, high_water = ?, deleted_mark = ?, last_full_at = ?, last_complete_at = ?,
	run_id = ?, mode = ?, full_reason = ?, trigger_by = ?, op_id = ?, iterator_id = ?, restarts = ?, pages = ?, fetched = ?, deleted = ?,
	remaining = ?, pass_high_water = ?, started_at = ?, updated_at = ?, qb_offset = ?`

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
		if err := syncedCompany(ctx, tx, st.OrgID, st.CompanyID); err != nil {
			return err
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
		if err := putSyncState(ctx, tx, st, s.db.now()); err != nil {
			return err
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

// PassStart is a pass for StartSyncPasses: its state (RunID names the
// pass; OpID is set to its first page's operation), its run for the
// history, and the operation of its first page.
type PassStart struct {
	State *qbconnect.SyncState
	Run   *qbconnect.SyncRun
	Page  *qbconnect.Operation
}

// StartSyncPasses records passes of one company's data types as
// StartSyncPass does, each with its first page queued (QueueStore.Enqueue
// of Page) and named by its state, all in one transaction: a company's
// sync costs one commit rather than three per data type, and no pass is
// recorded without its first page or queued before the others are
// recorded. It returns, in the order of passes, the stored state of each
// type (the one under way for a type that has a pass already, which is
// left alone) and how many passes it started. Every pass must be of the
// same company and organisation; an error records none of them.
func (s *SyncStore) StartSyncPasses(ctx context.Context, passes []PassStart) ([]*qbconnect.SyncState, int, error) {
	if len(passes) == 0 {
		return nil, 0, nil
	}
	first := passes[0].State
	for _, p := range passes {
		st := p.State
		if st.CompanyID == "" || st.DataType == "" || st.RunID == "" || p.Run == nil || p.Run.ID != st.RunID || p.Page == nil {
			return nil, 0, qbconnect.Errorf(qbconnect.EInvalid, "sync pass: company, data type, a run ID shared with the run and a first page are required")
		}
		if st.CompanyID != first.CompanyID || st.OrgID != first.OrgID {
			return nil, 0, qbconnect.Errorf(qbconnect.EInvalid, "sync passes: every pass must be of company %s", first.CompanyID)
		}
	}
	// States are locked and written in the order of their data types,
	// whatever the caller's, so that two starts of one company cannot
	// deadlock.
	order := make([]int, len(passes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(passes[a].State.DataType, passes[b].State.DataType) })
	started := 0
	var byType map[string]*qbconnect.SyncState
	err := s.db.inTx(ctx, func(tx *tx) error {
		started = 0
		if err := syncedCompany(ctx, tx, first.OrgID, first.CompanyID); err != nil {
			return err
		}
		active, err := s.activeTypes(ctx, tx, passes)
		if err != nil {
			return err
		}
		// The first pages are queued in the caller's order, which is the
		// order the connector gets them in.
		queue := &QueueStore{db: s.db}
		opIDs := make([]string, len(passes))
		for i, p := range passes {
			if !active[p.State.DataType] {
				if opIDs[i], err = queue.enqueue(ctx, tx, p.Page); err != nil {
					return err
				}
			}
		}
		now := s.db.now()
		grouped := map[string]bool{}
		for _, i := range order {
			p := passes[i]
			if active[p.State.DataType] {
				continue
			}
			st := *p.State
			st.OpID = opIDs[i]
			if err := putSyncState(ctx, tx, &st, now); err != nil {
				return err
			}
			if p.Run.SyncID != "" && !grouped[p.Run.SyncID] {
				if err := insertSyncGroup(ctx, tx, p.Run); err != nil {
					return err
				}
				grouped[p.Run.SyncID] = true
			}
			if err := insertRunRow(ctx, tx, p.Run); err != nil {
				return err
			}
			started++
		}
		// The states as this transaction leaves them: read after the
		// commit, a connector woken by it could already have moved them.
		byType, err = s.passStates(ctx, tx, passes, "")
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*qbconnect.SyncState, len(passes))
	for i, p := range passes {
		if out[i] = byType[p.State.DataType]; out[i] == nil {
			return nil, 0, fmt.Errorf("start sync: the state of %s/%s is gone", first.CompanyID, p.State.DataType)
		}
	}
	return out, started, nil
}

// activeTypes locks the stored states of the passes' company and types
// and returns the types with a pass under way.
func (s *SyncStore) activeTypes(ctx context.Context, tx *tx, passes []PassStart) (map[string]bool, error) {
	states, err := s.passStates(ctx, tx, passes, s.db.forUpdate("FOR UPDATE"))
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, st := range states {
		if st.Status.Active() {
			active[st.DataType] = true
		}
	}
	return active, nil
}

// passStates reads, in tx, the stored states of the passes' company and
// types, by type; lock is appended to the statement.
func (s *SyncStore) passStates(ctx context.Context, tx *tx, passes []PassStart, lock string) (map[string]*qbconnect.SyncState, error) {
	args := []any{passes[0].State.CompanyID}
	for _, p := range passes {
		args = append(args, p.State.DataType)
	}
	rows, err := tx.query(ctx, "SELECT "+syncStateColumns+" FROM sync_states WHERE company_id = ? AND type IN (?"+
		strings.Repeat(", ?", len(passes)-1)+") ORDER BY type"+lock, args...)
	if err != nil {
		return nil, fmt.Errorf("start sync: %w", err)
	}
	defer rows.Close()
	states := map[string]*qbconnect.SyncState{}
	for rows.Next() {
		st, err := scanSyncState(rows)
		if err != nil {
			return nil, fmt.Errorf("start sync: %w", err)
		}
		states[st.DataType] = st
	}
	return states, rows.Err()
}

// syncedCompany checks, for a pass about to start, that companyID is a
// company of orgID that was not deleted (ENotFound otherwise).
func syncedCompany(ctx context.Context, tx *tx, orgID, companyID string) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM companies WHERE id = ? AND org_id = ? AND deleted_at IS NULL", companyID, orgID).Scan(&n); err != nil {
		return fmt.Errorf("start sync: %w", err)
	}
	if n == 0 {
		return qbconnect.Errorf(qbconnect.ENotFound, "company %q not found", companyID)
	}
	return nil
}

// putSyncState writes st as its type's state, replacing the one before
// (a pass that starts). The pass gets the type's next sweep generation
// and, as sweep_from, the store's time: see SyncPage.SweepUnseen.
func putSyncState(ctx context.Context, tx *tx, st *qbconnect.SyncState, now time.Time) error {
	args := append(append([]any{st.CompanyID, st.DataType}, syncStateArgs(st, now)...), micros(now))
	if _, err := tx.exec(ctx, `INSERT INTO sync_states (company_id, type, org_id, status, error, high_water, deleted_mark, last_full_at,
		last_complete_at, run_id, mode, full_reason, trigger_by, op_id, iterator_id, restarts, pages, fetched, deleted, remaining, pass_high_water,
		started_at, updated_at, qb_offset, sweep_from, sweep_gen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (company_id, type) DO UPDATE SET `+excludedSet(syncStateSet)+
		`, sweep_from = excluded.sweep_from, sweep_gen = sync_states.sweep_gen + 1`, args...); err != nil {
		return fmt.Errorf("start sync: %w", err)
	}
	return nil
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
	if run.SyncID != "" {
		if err := insertSyncGroup(ctx, tx, run); err != nil {
			return err
		}
	}
	return insertRunRow(ctx, tx, run)
}

// insertSyncGroup records the company sync run is part of, unless it is
// recorded already: the company's sync starts with its first pass.
func insertSyncGroup(ctx context.Context, tx *tx, run *qbconnect.SyncRun) error {
	if _, err := tx.exec(ctx, `INSERT INTO sync_groups (id, org_id, company_id, trigger_by, started_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, run.SyncID, run.OrgID, run.CompanyID, run.Trigger, micros(run.StartedAt)); err != nil {
		return fmt.Errorf("insert sync: %w", err)
	}
	return nil
}

// insertRunRow adds run to the history; its company sync, if any, must
// be recorded (insertSyncGroup).
func insertRunRow(ctx context.Context, tx *tx, run *qbconnect.SyncRun) error {
	_, err := tx.exec(ctx, `INSERT INTO sync_runs (id, org_id, company_id, type, mode, full_reason, trigger_by, status, error, pages, fetched,
		deleted, restarts, started_at, finished_at, group_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.ID, run.OrgID, run.CompanyID, run.DataType, run.Mode, run.FullReason, run.Trigger, run.Status, encodeError(run.Error),
		run.Pages, run.Fetched, run.Deleted, run.Restarts, micros(run.StartedAt), nullMicros(run.FinishedAt), run.SyncID)
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

// OnRecordsChanged makes fn run in the transaction of each sync page that
// created, changed or deleted records, with those records' IDs, when the
// company's organisation has an enabled webhook endpoint that receives
// record.* events (finding which records changed costs a read of the
// batch's IDs and an upsert that returns the rows it wrote, spent only
// then; each page pays one small read of the endpoints). Call it before s
// is used.
func (s *SyncStore) OnRecordsChanged(fn qbconnect.RecordsChangedFunc) { s.changed = fn }

// OnRunEnd makes fn run in the transaction that ends the last pass of a
// company's sync (the passes started with one SyncRun.SyncID), once per
// sync, so that the sync's event is recorded with it. Call it before s
// is used.
func (s *SyncStore) OnRunEnd(fn qbconnect.SyncRunEndFunc) { s.runEnded = fn }

// passEnded runs the OnPassEnd hook when st and run end a pass, and the
// OnRunEnd hook when that pass was the last of its sync.
func (s *SyncStore) passEnded(ctx context.Context, tx *tx, st *qbconnect.SyncState, run *qbconnect.SyncRun) error {
	if run == nil || run.Status != st.Status || (st.Status != qbconnect.SyncComplete && st.Status != qbconnect.SyncFailed) {
		return nil
	}
	if s.ended != nil {
		if err := s.ended(ctx, tx, st); err != nil {
			return err
		}
	}
	if s.runEnded == nil {
		return nil
	}
	sum, err := s.syncEnded(ctx, tx, run.ID)
	if err != nil || sum == nil {
		return err
	}
	return s.runEnded(ctx, tx, sum)
}

// syncEnded ends the sync of the pass runID, which just ended in tx, when
// no pass of it is under way any more, and returns its summary; nil when
// the pass belongs to no sync, or the sync goes on or ended already. The
// sync's row is locked first, so that of two passes ending at once the
// second to commit sees the first ended: the sync ends exactly once.
func (s *SyncStore) syncEnded(ctx context.Context, tx *tx, runID string) (*qbconnect.SyncSummary, error) {
	// The sync of the pass, locked; a run's sync never changes.
	sum := &qbconnect.SyncSummary{DataTypes: []qbconnect.SyncTypeSummary{}}
	var started int64
	var ended sql.NullInt64
	err := tx.queryRow(ctx, `SELECT g.id, g.org_id, g.company_id, g.trigger_by, g.started_at, g.ended_at FROM sync_groups g
		JOIN sync_runs r ON r.group_id = g.id WHERE r.id = ?`+s.db.forUpdate("FOR UPDATE OF g"),
		runID).Scan(&sum.ID, &sum.OrgID, &sum.CompanyID, &sum.Trigger, &started, &ended)
	if err == sql.ErrNoRows || err == nil && ended.Valid {
		return nil, nil // no sync, or ended already
	}
	if err != nil {
		return nil, fmt.Errorf("sync of run %s: %w", runID, err)
	}
	groupID := sum.ID
	// Most passes end while others of the sync are under way: one probe,
	// in a statement of its own so that it sees what committed while the
	// lock was awaited, before reading every pass. (group_id <> '' lets a
	// generic plan use the partial index sync_runs_group.)
	var underWay bool
	if err := tx.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM sync_runs WHERE group_id = ? AND group_id <> '' AND status NOT IN (?, ?))",
		groupID, qbconnect.SyncComplete, qbconnect.SyncFailed).Scan(&underWay); err != nil {
		return nil, fmt.Errorf("sync %s: %w", groupID, err)
	}
	if underWay {
		return nil, nil
	}
	rows, err := tx.query(ctx, "SELECT id, type, mode, full_reason, status, error, pages, fetched, deleted FROM sync_runs WHERE group_id = ? AND group_id <> '' ORDER BY type", groupID)
	if err != nil {
		return nil, fmt.Errorf("sync %s: %w", groupID, err)
	}
	defer rows.Close()
	sum.Status = qbconnect.SyncComplete
	for rows.Next() {
		var t qbconnect.SyncTypeSummary
		var errJSON sql.NullString
		if err := rows.Scan(&t.RunID, &t.DataType, &t.Mode, &t.FullReason, &t.Status, &errJSON, &t.Pages, &t.Fetched, &t.Deleted); err != nil {
			return nil, fmt.Errorf("sync %s: %w", groupID, err)
		}
		switch t.Status {
		case qbconnect.SyncComplete:
		case qbconnect.SyncFailed:
			sum.Status = qbconnect.SyncFailed
		default:
			return nil, nil // a pass is under way
		}
		if errJSON.Valid {
			if t.Error, err = decodeError(errJSON.String); err != nil {
				return nil, err
			}
		}
		sum.DataTypes = append(sum.DataTypes, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", groupID, err)
	}
	rows.Close()
	now := s.db.now()
	if _, err := tx.exec(ctx, "UPDATE sync_groups SET ended_at = ? WHERE id = ?", micros(now), groupID); err != nil {
		return nil, fmt.Errorf("end sync %s: %w", groupID, err)
	}
	sum.StartedAt, sum.FinishedAt = fromMicros(started), now.UTC().Truncate(time.Microsecond)
	return sum, nil
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
	run, _, err := scanRun(s.db.queryRow(ctx, "SELECT "+runColumns+" FROM sync_runs WHERE id = ?", id))
	if run != nil {
		err = inOrg(err, run.OrgID, orgID)
	}
	if err != nil {
		return nil, notFound(err, "sync run", id)
	}
	return run, nil
}

const runColumns = `seq, id, org_id, company_id, type, mode, full_reason, trigger_by, status, error, pages, fetched, deleted, restarts, started_at, finished_at, group_id`

func scanRun(row interface{ Scan(...any) error }) (*qbconnect.SyncRun, int64, error) {
	run := &qbconnect.SyncRun{}
	var seq, started int64
	var finished sql.NullInt64
	var errJSON sql.NullString
	err := row.Scan(&seq, &run.ID, &run.OrgID, &run.CompanyID, &run.DataType, &run.Mode, &run.FullReason, &run.Trigger, &run.Status, &errJSON,
		&run.Pages, &run.Fetched, &run.Deleted, &run.Restarts, &started, &finished, &run.SyncID)
	if err != nil {
		return nil, 0, err
	}
	if t, ok := qbconnect.ParseSyncTrigger(string(run.Trigger)); ok {
		run.Trigger = t // a row an earlier version wrote after migration 01030
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
	shared  *sql.Stmt // the DB's prepared upsert of sqlitePageFlush records (SQLite); with seen on a full pass's page
	full    *sql.Stmt // shared, bound to this transaction
	fullNew *sql.Stmt // the DB's pageSeenNew, bound to this transaction (insertNew)
	deleted []string
	delAt   []int64
	done    bool
	// joined is the completion the page is part of (JoinSyncPage): the
	// page writes in its transaction, under a savepoint, and never commits
	// it.
	joined *completionTx
	// state is the stored state the page found (the awaited page's).
	state *qbconnect.SyncState
	// changes collects what the page changed when the OnRecordsChanged
	// hook wants it (nil otherwise); written receives the IDs one upsert
	// wrote while flush finds them.
	changes *qbconnect.RecordChanges
	written map[string]bool
	// fresh is set when the type never completed a pass and this pass
	// never restarted, so its records are most likely new: the page
	// inserts them (flushArrays, insertNew) until one is stored already.
	fresh bool
	// seen is, on a full pass's page, the pass's sweep generation, which
	// the page writes into every record it upserts; 0 on other pages.
	// sweepFrom is when (the store's clock) the pass started.
	seen, sweepFrom int64
	// origin is what the page's record events name: its organisation
	// (records pages only), company, data type and the pass (RunID) or
	// write (OperationID) they come from.
	origin qbconnect.RecordChanges
	// records is set on a page of records fetched outside a pass
	// (JoinRecordsPage, BeginRecordsPage, RecordsPage): it has no state
	// to check or save, and ends with CommitRecords.
	records bool
	// within is the page whose transaction a records page writes in
	// (RecordsPage), under a savepoint of its own; nil otherwise.
	within *SyncPage
}

// BeginSyncPage starts the transaction of the page named by expect of a
// company's data type. EConflict when the stored state has moved on (the
// page was ingested already, or the pass restarted), ENotFound when there
// is no state; the caller then drops the result.
func (s *SyncStore) BeginSyncPage(ctx context.Context, companyID, typ string, expect SyncKey) (*SyncPage, error) {
	t, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	p := &SyncPage{s: s, db: s.db, tx: t, ctx: ctx, expect: expect, company: companyID, typ: typ,
		now: micros(s.db.now()), shared: s.db.pageUpsert, origin: qbconnect.RecordChanges{CompanyID: companyID, DataType: typ, RunID: expect.RunID}}
	if err := p.open(); err != nil {
		_ = t.Rollback()
		return nil, err
	}
	return p, nil
}

// JoinSyncPage is BeginSyncPage in the transaction that completes the
// page's operation (Outcome.Then), so that the completion, the page's
// records, its checkpoint, the next page's operation and the events are
// one transaction. Commit writes without committing, and Rollback undoes
// only the page (a savepoint). Once the page commits, or when it was
// ingested already (EConflict, ENotFound), the operation's result is not
// stored: the page's records are. tx must be the store's own (Complete's);
// any other is EInvalid.
func (s *SyncStore) JoinSyncPage(ctx context.Context, done qbconnect.CompletionTx, companyID, typ string, expect SyncKey) (*SyncPage, error) {
	c, ok := done.(*completionTx)
	if !ok || c.tx.db != s.db {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "sync page: not a completion of this store")
	}
	p := &SyncPage{s: s, db: s.db, tx: c.tx, ctx: ctx, expect: expect, company: companyID, typ: typ,
		now: micros(s.db.now()), joined: c, shared: s.db.pageUpsert, origin: qbconnect.RecordChanges{CompanyID: companyID, DataType: typ, RunID: expect.RunID}}
	if _, err := c.tx.exec(ctx, "SAVEPOINT sync_page"); err != nil {
		return nil, fmt.Errorf("sync page: %w", err)
	}
	if err := p.open(); err != nil {
		if c := qbconnect.ErrorCodeOf(err); c == qbconnect.EConflict || c == qbconnect.ENotFound {
			p.joined.consumeResult()
		}
		p.rollbackJoined()
		return nil, err
	}
	return p, nil
}

// BeginRecordsPage starts the transaction of a page of records fetched
// outside a pass: the customers and vendors whose balances a pass's
// transactions or a write moved, read again by ListID. Its records are
// stored as a sync page's are (the same upsert, the same record events
// for those that were created or changed, none for a record that came
// back byte for byte as stored), but no sync state is checked or saved:
// the page ends with CommitRecords. origin names the organisation, the
// company and the data type of the records, and the pass (RunID) or the
// write (OperationID) their events come from; its ID lists are ignored.
func (s *SyncStore) BeginRecordsPage(ctx context.Context, origin qbconnect.RecordChanges) (*SyncPage, error) {
	if err := validOrigin(origin); err != nil {
		return nil, err
	}
	t, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	p := &SyncPage{s: s, db: s.db, tx: t, ctx: ctx, company: origin.CompanyID, typ: origin.DataType,
		now: micros(s.db.now()), shared: s.db.pageUpsert, origin: origin, records: true}
	if err := p.open(); err != nil {
		_ = t.Rollback()
		return nil, err
	}
	return p, nil
}

// JoinRecordsPage is BeginRecordsPage in the transaction that completes
// the operation that fetched the records (a sync engine's refresh, or a
// write whose message set read them back), as JoinSyncPage is for a
// pass's page: CommitRecords writes without committing, Rollback undoes
// only the page, and once the page commits the operation's result is
// not stored. tx must be the store's own (Complete's); any other is
// EInvalid.
func (s *SyncStore) JoinRecordsPage(ctx context.Context, done qbconnect.CompletionTx, origin qbconnect.RecordChanges) (*SyncPage, error) {
	if err := validOrigin(origin); err != nil {
		return nil, err
	}
	c, ok := done.(*completionTx)
	if !ok || c.tx.db != s.db {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "records page: not a completion of this store")
	}
	p := &SyncPage{s: s, db: s.db, tx: c.tx, ctx: ctx, company: origin.CompanyID, typ: origin.DataType,
		now: micros(s.db.now()), joined: c, shared: s.db.pageUpsert, origin: origin, records: true}
	if _, err := c.tx.exec(ctx, "SAVEPOINT sync_page"); err != nil {
		return nil, fmt.Errorf("records page: %w", err)
	}
	if err := p.open(); err != nil {
		p.rollbackJoined()
		return nil, err
	}
	return p, nil
}

// RecordsPage opens a records page (see BeginRecordsPage) in p's
// transaction, under a savepoint of its own: its CommitRecords writes
// without committing, its Rollback undoes only it, and p's Commit
// commits both. The sync engine stores the customers and vendors a pass
// read again this way in the page that ends the pass. origin must name
// p's company.
func (p *SyncPage) RecordsPage(origin qbconnect.RecordChanges) (*SyncPage, error) {
	if err := validOrigin(origin); err != nil {
		return nil, err
	}
	if p.done || origin.CompanyID != p.company {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "records page: the page is finished, or of another company")
	}
	r := &SyncPage{s: p.s, db: p.db, tx: p.tx, ctx: p.ctx, company: origin.CompanyID, typ: origin.DataType,
		now: p.now, shared: p.shared, origin: origin, records: true, within: p}
	if _, err := p.tx.exec(p.ctx, "SAVEPOINT sync_records"); err != nil {
		return nil, fmt.Errorf("records page: %w", err)
	}
	if err := r.open(); err != nil {
		r.rollbackSavepoint()
		return nil, err
	}
	return r, nil
}

func validOrigin(o qbconnect.RecordChanges) error {
	if o.OrgID == "" || o.CompanyID == "" || o.DataType == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "records page: organisation, company and data type are required")
	}
	return nil
}

// Stored returns the live (not deleted) records of the page's company
// with one of ids and one of types, as the page's transaction sees them:
// what it has not written yet is as it was stored before. Unknown IDs
// are left out.
func (p *SyncPage) Stored(ids []string, types ...string) ([]*qbconnect.Record, error) {
	if len(ids) == 0 || len(types) == 0 {
		return nil, nil
	}
	var out []*qbconnect.Record
	for start := 0; start < len(ids); start += recordBatch {
		batch := ids[start:min(start+recordBatch, len(ids))]
		inTypes, typeArgs := p.db.oneOf("r.type", types)
		inIDs, idArgs := p.db.oneOf("r.id", batch)
		args := append(append([]any{p.company}, typeArgs...), idArgs...)
		list, err := p.storedWhere("r.company_id = ? AND NOT r.deleted AND "+inTypes+" AND "+inIDs, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// StoredNames returns the names (a list element's FullName, a
// transaction's RefNumber) of the live records of the page's company and
// type typ with one of ids, by ID, as the page's transaction sees them.
// Unknown IDs are left out.
func (p *SyncPage) StoredNames(ids []string, typ string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for start := 0; start < len(ids); start += recordBatch {
		inIDs, idArgs := p.db.oneOf("id", ids[start:min(start+recordBatch, len(ids))])
		rows, err := p.tx.query(p.ctx, "SELECT id, name FROM records WHERE company_id = ? AND type = ? AND NOT deleted AND "+inIDs,
			append([]any{p.company, typ}, idArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("stored names: %w", err)
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("stored names: %w", err)
			}
			out[id] = name
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("stored names: %w", err)
		}
	}
	return out, nil
}

// NamedUnder returns the live records of the page's company, of one of
// types, whose name (a list element's FullName) starts with prefix and a
// colon: the sub-elements, at any depth, of the element named prefix.
// They are read through the (company, type, name) index.
func (p *SyncPage) NamedUnder(prefix string, types ...string) ([]*qbconnect.Record, error) {
	if prefix == "" || len(types) == 0 {
		return nil, nil
	}
	inTypes, typeArgs := p.db.oneOf("r.type", types)
	// ";" follows ":" in byte order: the range holds every name that
	// starts with prefix+":" and nothing else.
	args := append(append([]any{p.company}, typeArgs...), prefix+":", prefix+";")
	return p.storedWhere("r.company_id = ? AND NOT r.deleted AND "+inTypes+" AND r.name >= ? AND r.name < ?", args...)
}

// Referring returns the live records of the page's company, of any type,
// whose JSON names one of ids as a listId: the records that refer to
// those list elements (and the elements themselves). It reads every
// record of the company: a rename's work, not a page's. PostgreSQL
// searches them itself; on SQLite, whose instr (as compiled to Go)
// searched at a third of the speed, the page reads them once and
// searches them in Go (BenchmarkRenameOnALargeCompany).
func (p *SyncPage) Referring(ids []string) ([]*qbconnect.Record, error) {
	if p.db.dialect != Postgres {
		return p.referringScan(ids)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = `"listId":"` + id + `"`
	}
	return p.storedWhere(`r.company_id = ? AND NOT r.deleted AND EXISTS (SELECT 1 FROM unnest(?::text[]) AS k(key) WHERE strpos(r.data, k.key) > 0)`,
		p.company, keys)
}

// referringScan is Referring reading the company's records once and
// finding each `"listId":"` in Go.
func (p *SyncPage) referringScan(ids []string) ([]*qbconnect.Record, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	rows, err := p.tx.query(p.ctx, "SELECT r.type, r.id, r.data FROM records r WHERE r.company_id = ? AND NOT r.deleted", p.company)
	if err != nil {
		return nil, fmt.Errorf("referring records: %w", err)
	}
	defer rows.Close()
	key := []byte(`"listId":"`)
	found := map[string][]string{} // type → IDs
	var typ, id string
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&typ, &id, &data); err != nil {
			return nil, fmt.Errorf("referring records: %w", err)
		}
		for rest := []byte(data); ; {
			i := bytes.Index(rest, key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			end := bytes.IndexByte(rest, '"')
			if end >= 0 && want[string(rest[:end])] {
				found[typ] = append(found[typ], id)
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("referring records: %w", err)
	}
	rows.Close()
	types := make([]string, 0, len(found))
	for t := range found {
		types = append(types, t)
	}
	slices.Sort(types)
	var out []*qbconnect.Record
	for _, t := range types {
		list, err := p.Stored(found[t], t)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// storedWhere returns the records that where selects, as the page's
// transaction sees them.
func (p *SyncPage) storedWhere(where string, args ...any) ([]*qbconnect.Record, error) {
	rows, err := p.tx.query(p.ctx, "SELECT "+recordColumns+" FROM records r WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("stored records: %w", err)
	}
	defer rows.Close()
	var out []*qbconnect.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("stored records: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stored records: %w", err)
	}
	return out, nil
}

// open reads and locks the page's state in the page's transaction and
// checks that it awaits the page.
func (p *SyncPage) open() error {
	if p.records {
		return p.listen()
	}
	// The state and its sweep generation, in the statement that locks it
	// (on PostgreSQL, the row as it is once locked).
	var seen, sweepFrom int64
	st, err := scanSyncState(scanFunc(func(dest ...any) error {
		return p.tx.queryRow(p.ctx, "SELECT "+syncStateColumns+", sweep_gen, sweep_from FROM sync_states WHERE company_id = ? AND type = ?"+
			p.db.forUpdate("FOR UPDATE"), p.company, p.typ).Scan(append(dest, &seen, &sweepFrom)...)
	}))
	if err != nil {
		return notFound(err, "sync state", p.company+"/"+p.typ)
	}
	if key := KeyOf(st); key != p.expect || !st.Status.Active() {
		return qbconnect.Errorf(qbconnect.EConflict, "sync state of %s/%s is %s at run %s restart %d page %d, not the awaited page",
			p.company, p.typ, st.Status, key.RunID, key.Restarts, key.Pages)
	}
	p.state = st
	p.fresh = st.LastCompleteAt == nil && st.Restarts == 0
	if st.Mode == qbconnect.SyncFull {
		p.seen, p.sweepFrom = seen, sweepFrom
		p.shared = p.db.pageSeenUpsert
	}
	return p.listen()
}

// listen starts collecting what the page changes when the
// OnRecordsChanged hook wants it.
func (p *SyncPage) listen() error {
	if p.s.changed == nil {
		return nil
	}
	listens, err := recordEventsWanted(p.ctx, p.tx, p.company)
	if err != nil {
		return err
	}
	if listens {
		p.changes = p.newChanges()
	}
	return nil
}

// newChanges is an empty RecordChanges of the page's origin.
func (p *SyncPage) newChanges() *qbconnect.RecordChanges {
	ch := p.origin
	ch.Created, ch.Updated, ch.Deleted = nil, nil, nil
	return &ch
}

// Joined reports whether the page is part of a completion (JoinSyncPage).
func (p *SyncPage) Joined() bool { return p.joined != nil }

// State returns the stored state of the page's data type as the page
// found it (it awaits this page); nil on a records page.
func (p *SyncPage) State() *qbconnect.SyncState {
	if p.state == nil {
		return nil
	}
	st := *p.state
	return &st
}

// Discard forgets what the page wrote and was given so far but keeps the
// page open, so that Commit saves a state without its records (a pass
// that starts over or fails on a response it cannot use). Only a joined
// page (JoinSyncPage) can discard; others roll back.
func (p *SyncPage) Discard() error {
	if p.joined == nil || p.done {
		return fmt.Errorf("sync page: only an open joined page can discard")
	}
	if _, err := p.tx.exec(p.ctx, "ROLLBACK TO SAVEPOINT sync_page"); err != nil {
		return fmt.Errorf("sync page: %w", err)
	}
	p.batch, p.deleted, p.delAt = p.batch[:0], nil, nil
	if p.changes != nil {
		p.changes = p.newChanges()
	}
	return nil
}

// closeStmts closes the page's prepared statements bound to its
// transaction.
func (p *SyncPage) closeStmts() {
	for _, st := range []**sql.Stmt{&p.full, &p.fullNew} {
		if *st != nil {
			(*st).Close()
			*st = nil
		}
	}
}

func (p *SyncPage) rollbackJoined() {
	p.closeStmts()
	_, _ = p.tx.exec(p.ctx, "ROLLBACK TO SAVEPOINT sync_page")
	_, _ = p.tx.exec(p.ctx, "RELEASE SAVEPOINT sync_page")
}

// rollbackSavepoint undoes a records page opened in another page's
// transaction (RecordsPage).
func (p *SyncPage) rollbackSavepoint() {
	p.closeStmts()
	_, _ = p.tx.exec(p.ctx, "ROLLBACK TO SAVEPOINT sync_records")
	_, _ = p.tx.exec(p.ctx, "RELEASE SAVEPOINT sync_records")
}

// recordEventsWanted reports whether the company's organisation has an
// enabled endpoint that receives record.created, .updated or .deleted.
func recordEventsWanted(ctx context.Context, tx *tx, companyID string) (bool, error) {
	rows, err := tx.query(ctx, `SELECT w.events FROM webhook_endpoints w JOIN companies c ON c.org_id = w.org_id
		WHERE c.id = ? AND w.enabled AND w.deleted_at IS NULL`, companyID)
	if err != nil {
		return false, fmt.Errorf("record event subscribers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var events string
		if err := rows.Scan(&events); err != nil {
			return false, fmt.Errorf("record event subscribers: %w", err)
		}
		var types []qbconnect.EventType
		if err := json.Unmarshal([]byte(events), &types); err != nil {
			return false, fmt.Errorf("record event subscribers: %w", err)
		}
		if len(types) == 0 || slices.Contains(types, qbconnect.EventRecordCreated) || slices.Contains(types, qbconnect.EventRecordUpdated) ||
			slices.Contains(types, qbconnect.EventRecordDeleted) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// recordIDs returns which of ids are stored for the page's company and
// type.
func (p *SyncPage) recordIDs(ids []string) (map[string]bool, error) {
	inIDs, idArgs := p.db.oneOf("id", ids)
	rows, err := p.tx.query(p.ctx, "SELECT id FROM records WHERE company_id = ? AND type = ? AND "+inIDs,
		append([]any{p.company, p.typ}, idArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("changed records: %w", err)
	}
	ids2, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("changed records: %w", err)
	}
	out := make(map[string]bool, len(ids2))
	for _, id := range ids2 {
		out[id] = true
	}
	return out, nil
}

// Upsert adds a record of the page (its CompanyID and Type are set to the
// page's). It is written with the next full batch or at Commit.
func (p *SyncPage) Upsert(r *qbconnect.Record) error {
	if r.ID == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "record of type %s has no ID", p.typ)
	}
	r.CompanyID, r.Type = p.company, p.typ
	p.batch = append(p.batch, r)
	if len(p.batch) == p.flushAt() {
		return p.flush()
	}
	return nil
}

// sqlitePageFlush is how many records a page writes at a time on SQLite.
// The engine decodes a page on another goroutine while it writes what is
// decoded so far (syncengine's fill), so the two overlap only if the page
// writes before its last record arrives: in BenchmarkFullSync (500-record
// pages) writing every 100 records stored about a fifth more records per
// second of ingest than writing the page's 500 at once (five alternated
// runs each; 50 and 250 were no better). On PostgreSQL, whose work runs
// in its own process anyway, smaller writes only added round trips, and a
// page writes recordBatch at a time.
const sqlitePageFlush = 100

// flushAt is how many records the page collects before it writes them.
func (p *SyncPage) flushAt() int {
	if p.db.dialect == Postgres {
		return recordBatch
	}
	return sqlitePageFlush
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
	if p.changes == nil {
		return p.upsertBatch()
	}
	// Which records the batch creates and which it changes: those stored
	// before, and those the upsert wrote (it skips an unchanged record and
	// returns the IDs of the others).
	seen := make(map[string]bool, len(p.batch))
	ids := make([]string, 0, len(p.batch))
	for _, r := range p.batch {
		if !seen[r.ID] {
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
	}
	existed, err := p.recordIDs(ids)
	if err != nil {
		return err
	}
	written := map[string]bool{}
	p.written = written
	err = p.upsertBatch()
	p.written = nil
	if err != nil {
		return err
	}
	for _, id := range ids {
		switch {
		case !written[id]:
		case existed[id]:
			p.changes.Updated = append(p.changes.Updated, id)
		default:
			p.changes.Created = append(p.changes.Created, id)
		}
	}
	return nil
}

// upsertBatch writes the batch.
func (p *SyncPage) upsertBatch() error {
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
		p.args = p.appendRow(p.args, r)
	}
	if p.fresh {
		all, err := p.insertNew(len(uniq))
		if err != nil {
			return fmt.Errorf("insert records: %w", err)
		}
		if all {
			p.batch = p.batch[:0]
			return nil
		}
		p.fresh = false // the type has records: upsert the batch and the rest of the page
	}
	var err error
	switch {
	case p.written != nil && p.seen != 0:
		if err = p.upsertReturning(recordSeenInsertSQL(len(uniq), recordSeenChangedConflict), p.args...); err == nil {
			err = p.markSeen(uniq)
		}
	case p.written != nil:
		err = p.upsertReturning(recordInsertSQL(len(uniq)), p.args...)
	case len(uniq) == sqlitePageFlush:
		if p.full == nil {
			p.full = p.tx.StmtContext(p.ctx, p.shared)
		}
		_, err = p.full.ExecContext(p.ctx, p.args...)
	case p.seen != 0:
		_, err = p.tx.exec(p.ctx, recordSeenInsertSQL(len(uniq), recordSeenConflict), p.args...)
	default:
		_, err = p.tx.exec(p.ctx, recordInsertSQL(len(uniq)), p.args...)
	}
	if err != nil {
		return fmt.Errorf("upsert records: %w", err)
	}
	p.batch = p.batch[:0]
	return nil
}

// appendRow appends r's values in the order of recordRowColumns, and the
// page's seen on a full pass's page, to dst.
func (p *SyncPage) appendRow(dst []any, r *qbconnect.Record) []any {
	dst = append(dst, r.CompanyID, r.Type, r.ID, r.EditSequence, r.Name, r.RefID, r.TxnDate, r.Active,
		micros(r.ModifiedAt), p.now, r.Deleted, string(r.Data))
	if p.seen != 0 {
		dst = append(dst, p.seen)
	}
	return dst
}

// insertNew inserts the n records of p.args on SQLite with INSERT OR
// IGNORE, and reports whether every one was new; one stored already is
// left as it was, for the upsert that follows. A statement that cannot
// fail halfway needs no statement journal: an upsert (its DO UPDATE may
// abort) copies every page it is about to change into one first, which
// cost a first sync about a tenth of its ingest time (BenchmarkFullSync,
// ingest-cpu-records/s x1.12-1.22). With p.written it notes the IDs it
// inserted.
func (p *SyncPage) insertNew(n int) (bool, error) {
	insert := recordNewSQL(n, p.seen != 0)
	if p.written != nil {
		rows, err := p.tx.query(p.ctx, insert+" RETURNING id", p.args...)
		if err != nil {
			return false, err
		}
		ids, err := scanIDs(rows)
		for _, id := range ids {
			p.written[id] = true
		}
		return len(ids) == n, err
	}
	var res sql.Result
	var err error
	if n == sqlitePageFlush && p.seen != 0 {
		if p.fullNew == nil {
			p.fullNew = p.tx.StmtContext(p.ctx, p.db.pageSeenNew)
		}
		res, err = p.fullNew.ExecContext(p.ctx, p.args...)
	} else {
		res, err = p.tx.exec(p.ctx, insert, p.args...)
	}
	if err != nil {
		return false, err
	}
	inserted, err := res.RowsAffected()
	return inserted == int64(n), err
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
// PostgreSQL with one array per column (recordUnnestSQL). A page of a
// type that never completed a pass (fresh) copies them in first
// (insertFresh). If a record is there after all (an earlier attempt, a
// write), the copy is undone and the batch upserted.
func (p *SyncPage) flushArrays(rs []*qbconnect.Record) error {
	n := len(rs)
	ids, seqs, names, refs, dates, datas := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	active, deleted, modified := make([]bool, n), make([]bool, n), make([]int64, n)
	for i, r := range rs {
		ids[i], seqs[i], names[i], refs[i], dates[i], datas[i] = r.ID, r.EditSequence, r.Name, r.RefID, r.TxnDate, string(r.Data)
		active[i], deleted[i], modified[i] = r.Active, r.Deleted, micros(r.ModifiedAt)
	}
	args := []any{p.company, p.typ, p.now, ids, seqs, names, refs, dates, active, modified, deleted, datas}
	insert, upsert, changed := recordUnnestInsertSQL, recordUnnestSQL, recordUnnestSQL
	if p.seen != 0 {
		args = append([]any{p.company, p.typ, p.now, p.seen}, args[3:]...)
		insert, upsert, changed = recordSeenUnnestInsertSQL, recordSeenUnnestInsertSQL+recordSeenConflict, recordSeenUnnestInsertSQL+recordSeenChangedConflict
	}
	if p.fresh {
		inserted, err := p.insertFresh(rs, insert, args)
		if err != nil {
			return err
		}
		if inserted {
			if p.written != nil {
				for _, id := range ids {
					p.written[id] = true
				}
			}
			return nil
		}
		p.fresh = false // the type has records: upsert the rest of the page
	}
	if p.written != nil {
		if err := p.upsertReturning(changed, args...); err != nil || p.seen == 0 {
			return err
		}
		return p.markSeen(rs)
	}
	if _, err := p.tx.exec(p.ctx, upsert, args...); err != nil {
		return fmt.Errorf("upsert records: %w", err)
	}
	return nil
}

// markSeen writes the page's sweep generation into those of rs that an
// upsert which skips unchanged records left out: a full pass's page whose
// record events need what changed (see recordSeenConflict).
func (p *SyncPage) markSeen(rs []*qbconnect.Record) error {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	inIDs, idArgs := p.db.oneOf("id", ids)
	if _, err := p.tx.exec(p.ctx, "UPDATE records SET seen = ? WHERE company_id = ? AND type = ? AND seen <> ? AND "+inIDs,
		append([]any{p.seen, p.company, p.typ, p.seen}, idArgs...)...); err != nil {
		return fmt.Errorf("mark records seen: %w", err)
	}
	return nil
}

// insertFresh inserts rs and reports whether it inserted every one. A
// batch of fewer than copyMinRows records goes to insert
// (recordUnnestInsertSQL or recordSeenUnnestInsertSQL) with args,
// skipping those stored already (insertFreshRows); a larger one is copied
// with COPY under a savepoint, and when one of them is stored already,
// nothing of it is written. When every row is new, as in a company's first sync,
// either does an upsert's work for less: an upsert checks the primary key
// before it inserts and logs a confirmation after, and COPY writes and
// logs the rows a heap page at a time where an INSERT goes row by row.
func (p *SyncPage) insertFresh(rs []*qbconnect.Record, insert string, args []any) (bool, error) {
	if len(rs) < copyMinRows {
		return p.insertFreshRows(len(rs), insert+" ON CONFLICT (company_id, type, id) DO NOTHING", args)
	}
	if _, err := p.tx.exec(p.ctx, "SAVEPOINT sync_fresh"); err != nil {
		return false, fmt.Errorf("insert records: %w", err)
	}
	err := p.copyRecords(rs)
	if err != nil && isUniqueViolation(err) {
		if _, err := p.tx.exec(p.ctx, "ROLLBACK TO SAVEPOINT sync_fresh"); err != nil {
			return false, fmt.Errorf("insert records: %w", err)
		}
	} else if err != nil {
		return false, fmt.Errorf("insert records: %w", err)
	}
	if _, rerr := p.tx.exec(p.ctx, "RELEASE SAVEPOINT sync_fresh"); rerr != nil {
		return false, fmt.Errorf("insert records: %w", rerr)
	}
	return err == nil, nil
}

// insertFreshRows inserts the n records of args with insert, which skips
// a record stored already (ON CONFLICT DO NOTHING), and reports whether
// it inserted every one; with p.written it notes the IDs it inserted,
// since the upsert that follows leaves them out as unchanged. A small
// batch does without insertFresh's savepoint: in a company's first sync
// most pages are small (BenchmarkHundredCompaniesSync's hold 15 records
// on average), and the savepoint and its release were two of the page's
// round trips to the server.
func (p *SyncPage) insertFreshRows(n int, insert string, args []any) (bool, error) {
	if p.written != nil {
		rows, err := p.tx.query(p.ctx, insert+" RETURNING id", args...)
		if err != nil {
			return false, fmt.Errorf("insert records: %w", err)
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return false, fmt.Errorf("insert records: %w", err)
		}
		for _, id := range ids {
			p.written[id] = true
		}
		return len(ids) == n, nil
	}
	res, err := p.tx.exec(p.ctx, insert, args...)
	if err != nil {
		return false, fmt.Errorf("insert records: %w", err)
	}
	inserted, err := res.RowsAffected()
	return inserted == int64(n), err
}

// copyMinRows is the smallest batch insertFresh copies. A COPY costs more
// to start than an INSERT (two round trips, the statement then the rows,
// and a bulk-insert state on the server): in
// BenchmarkHundredCompaniesSync, whose pages hold 15 records on average,
// copying every batch cost more PostgreSQL CPU per record than it saved,
// while 500-record pages (BenchmarkFullSync) ingest 1.2-1.5 times faster
// copied.
const copyMinRows = 100

// copyRecords copies rs into records with COPY.
func (p *SyncPage) copyRecords(rs []*qbconnect.Record) error {
	columns := recordCopyColumns
	if p.seen != 0 {
		columns = append(columns[:len(columns):len(columns)], "seen")
	}
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = p.appendRow(make([]any, 0, len(columns)), r)
	}
	_, err := p.tx.copyFrom(p.ctx, "records", columns, rows)
	return err
}

// upsertReturning runs an upsert of records and notes in p.written the IDs
// of those it inserted or changed (an unchanged record is skipped by the
// upsert's condition, so RETURNING leaves it out).
func (p *SyncPage) upsertReturning(upsert string, args ...any) error {
	rows, err := p.tx.query(p.ctx, upsert+" RETURNING id", args...)
	if err != nil {
		return fmt.Errorf("upsert records: %w", err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return fmt.Errorf("upsert records: %w", err)
	}
	for _, id := range ids {
		p.written[id] = true
	}
	return nil
}

// Commit writes the remaining records, the deletions, the new state (which
// must be of the page's company and type) and run (may be nil), and commits.
func (p *SyncPage) Commit(st *qbconnect.SyncState, run *qbconnect.SyncRun) error {
	return p.finish(func() error {
		if p.records {
			return fmt.Errorf("sync page: a records page ends with CommitRecords")
		}
		if err := p.flush(); err != nil {
			return err
		}
		if err := p.applyDeletions(); err != nil {
			return err
		}
		if st.CompanyID != p.company || st.DataType != p.typ {
			return fmt.Errorf("sync page of %s/%s cannot save the state of %s/%s", p.company, p.typ, st.CompanyID, st.DataType)
		}
		if err := p.s.saveState(p.ctx, p.tx, st, p.expect); err != nil {
			return err
		}
		if ch := p.changes; ch != nil && len(ch.Created)+len(ch.Updated)+len(ch.Deleted) > 0 {
			ch.OrgID = st.OrgID
			if err := p.s.changed(p.ctx, p.tx, ch); err != nil {
				return err
			}
		}
		if err := updateRun(p.ctx, p.tx, run); err != nil {
			return err
		}
		return p.s.passEnded(p.ctx, p.tx, st, run)
	})
}

// applyDeletions marks deleted the records the page was told of
// (Delete), after its upserts.
func (p *SyncPage) applyDeletions() error {
	for i, id := range p.deleted {
		res, err := p.tx.exec(p.ctx, `UPDATE records SET deleted = TRUE, modified_at = ?, updated_at = ?
			WHERE company_id = ? AND type = ? AND id = ? AND NOT deleted`, p.delAt[i], p.now, p.company, p.typ, id)
		if err != nil {
			return fmt.Errorf("delete records: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 && p.changes != nil && !slices.Contains(p.changes.Deleted, id) {
			p.changes.Deleted = append(p.changes.Deleted, id)
		}
	}
	p.deleted, p.delAt = nil, nil
	return nil
}

// SweepUnseen, on the last page of a full pass, marks deleted every live
// record of the page's company and type that the pass did not return
// and that nothing wrote since the pass started, and returns their IDs: QuickBooks no longer has them, whether it reports their
// deletion no more (ListDeletedQuery and TxnDeletedQuery answer the last
// 90 days) or never did (a type without a deleted query). It writes the
// page's records and deletions first, and the deletions raise
// record.deleted events as a deleted query's do (OnRecordsChanged);
// their ModifiedAt is kept, since QuickBooks did not say when.
//
// Every upsert of a full pass's pages writes the pass's sweep generation
// (a number that grows with every pass of the type, set when the pass
// starts) into the record's seen, in the page's transaction; the sweep
// takes the records whose seen is another generation. A pass that
// restarted keeps its generation, so the sweep spares what an earlier
// attempt returned: never too much, at worst a deletion left for the
// next full pass. A record written since the pass started (its
// UpdatedAt, by the store's clock, not before the pass's start): a
// client's write that QuickBooks' iterator may have missed, or a
// customer a refresh read, is spared too. The sweep reads the type's
// records through the (company, type, updated_at) index; when none is
// older than the pass, as in a company's first sync, it costs one index
// probe. On a page of another pass it does nothing.
func (p *SyncPage) SweepUnseen() ([]string, error) {
	if p.done || p.records || p.state == nil {
		return nil, fmt.Errorf("sync page: only an open page of a pass can sweep")
	}
	if p.seen == 0 || p.sweepFrom == 0 {
		return nil, nil // not a full pass, or one started before the store kept generations
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	if err := p.applyDeletions(); err != nil {
		return nil, err
	}
	var oldest sql.NullInt64
	if err := p.tx.queryRow(p.ctx, "SELECT MIN(updated_at) FROM records WHERE company_id = ? AND type = ?",
		p.company, p.typ).Scan(&oldest); err != nil {
		return nil, fmt.Errorf("sweep records: %w", err)
	}
	if !oldest.Valid || oldest.Int64 >= p.sweepFrom {
		return nil, nil
	}
	rows, err := p.tx.query(p.ctx, `UPDATE records SET deleted = TRUE, updated_at = ?
		WHERE company_id = ? AND type = ? AND updated_at < ? AND NOT deleted AND seen <> ? RETURNING id`,
		p.now, p.company, p.typ, p.sweepFrom, p.seen)
	if err != nil {
		return nil, fmt.Errorf("sweep records: %w", err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("sweep records: %w", err)
	}
	if p.changes != nil {
		p.changes.Deleted = append(p.changes.Deleted, ids...)
	}
	return ids, nil
}

// CommitRecords writes the remaining records of a records page
// (BeginRecordsPage, JoinRecordsPage), runs the OnRecordsChanged hook
// with those that were created or changed, and commits. A pass's page
// is rolled back instead: it commits with its state.
func (p *SyncPage) CommitRecords() error {
	return p.finish(func() error {
		if !p.records {
			return fmt.Errorf("sync page: a pass's page commits with its state")
		}
		if err := p.flush(); err != nil {
			return err
		}
		if ch := p.changes; ch != nil && len(ch.Created)+len(ch.Updated) > 0 {
			return p.s.changed(p.ctx, p.tx, ch)
		}
		return nil
	})
}

// finish runs write, the page's last work, and commits (or, joined,
// leaves the commit to the completion); an error rolls the page back.
func (p *SyncPage) finish(write func() error) error {
	if p.done {
		return fmt.Errorf("sync page already finished")
	}
	p.done = true
	err := write()
	if p.within != nil {
		if err != nil {
			p.rollbackSavepoint()
			return err
		}
		p.closeStmts()
		if _, err := p.tx.exec(p.ctx, "RELEASE SAVEPOINT sync_records"); err != nil {
			return fmt.Errorf("records page: %w", err)
		}
		return nil
	}
	if p.joined != nil {
		if err != nil {
			p.rollbackJoined()
			return err
		}
		p.closeStmts()
		// The savepoint is left for the completion's commit to release,
		// as both databases do with the savepoints a COMMIT finds: a
		// round trip less per page. Nothing rolls back to it once the
		// page is done.
		p.joined.consumeResult()
		return nil
	}
	p.closeStmts()
	if err != nil {
		_ = p.tx.Rollback()
		return err
	}
	p.db.hub.expectEchoes(p.tx.wake)
	if err := p.tx.Commit(); err != nil {
		p.db.hub.commitFailed(p.tx.wake)
		return fmt.Errorf("commit: %w", err)
	}
	p.tx.committed()
	return nil
}

// Rollback abandons the page; after Commit it does nothing.
func (p *SyncPage) Rollback() {
	if p.done {
		return
	}
	p.done = true
	if p.within != nil {
		p.rollbackSavepoint()
		return
	}
	if p.joined != nil {
		p.rollbackJoined()
		return
	}
	p.closeStmts()
	_ = p.tx.Rollback()
}
