package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Finished operations are kept for a while, then go: a sync page's result
// (a qbXML document of about a megabyte, whose records are stored by then)
// soon, and every finished operation with its leases and outcomes later.
// Both run in batches, oldest first, so that neither holds the database
// for long.

// doneStatuses is the SQL list of final operation statuses.
var doneStatuses = "'" + strings.Join([]string{string(qbconnect.OpSucceeded), string(qbconnect.OpFailed),
	string(qbconnect.OpTimedOut), string(qbconnect.OpCanceled)}, "', '") + "'"

// PruneOperations deletes up to limit operations that finished before
// cutoff, oldest first, with their leases and outcomes, and returns how
// many it deleted. The idempotency key of a deleted operation may be used
// again.
func (q *QueueStore) PruneOperations(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int
	err := q.db.inTx(ctx, func(tx *tx) error {
		ids, err := q.finishedBefore(ctx, tx, cutoff, limit, "")
		if err != nil || len(ids) == 0 {
			return err
		}
		in, args := inList(ids)
		for _, stmt := range []string{
			"DELETE FROM operation_leases WHERE op_id IN " + in,
			"DELETE FROM operation_outcomes WHERE op_id IN " + in,
			"DELETE FROM operations WHERE id IN " + in,
		} {
			if _, err := tx.exec(ctx, stmt, args...); err != nil {
				return fmt.Errorf("prune operations: %w", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// DropSyncResults clears the results of up to limit sync pages that
// finished before cutoff, and their outcomes' responses, and returns how
// many it cleared. The operations stay, with their status and error.
func (q *QueueStore) DropSyncResults(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int
	err := q.db.inTx(ctx, func(tx *tx) error {
		ids, err := q.finishedBefore(ctx, tx, cutoff, limit, "AND kind = '"+string(qbconnect.OpSync)+"' AND result IS NOT NULL")
		if err != nil || len(ids) == 0 {
			return err
		}
		in, args := inList(ids)
		if _, err := tx.exec(ctx, "UPDATE operations SET result = NULL WHERE id IN "+in, args...); err != nil {
			return fmt.Errorf("drop sync results: %w", err)
		}
		if _, err := tx.exec(ctx, "UPDATE operation_outcomes SET response = NULL WHERE response IS NOT NULL AND op_id IN "+in, args...); err != nil {
			return fmt.Errorf("drop sync results: %w", err)
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func (q *QueueStore) finishedBefore(ctx context.Context, tx *tx, cutoff time.Time, limit int, and string) ([]string, error) {
	if limit <= 0 {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "retention batch must be positive, not %d", limit)
	}
	// A page a sync pass still awaits (the platform stopped before handling
	// it: Reconcile will) and an operation a Web Connector session holds
	// stay, whatever their age.
	rows, err := tx.query(ctx, "SELECT id FROM operations WHERE completed_at < ? AND status IN ("+doneStatuses+") "+and+
		" AND id NOT IN (SELECT op_id FROM sync_states) AND id NOT IN (SELECT op_id FROM qbwc_sessions)"+
		" ORDER BY completed_at LIMIT ?", micros(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("finished operations: %w", err)
	}
	return scanIDs(rows)
}

// inList returns "(?, ?, ...)" and its arguments.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}
