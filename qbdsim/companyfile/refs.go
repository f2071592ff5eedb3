package companyfile

import (
	"bytes"
	"context"
	"slices"
	"strings"
)

// The refs table lists, for every ListID, the objects whose stored Ret
// holds it as <ListID>...</ListID>: what a rename or a merge rewrites
// (rewriteRefs) and what keeps a list element from being deleted
// (checkUnused). It answers exactly what searching every Ret for the
// element would, without reading every Ret: a rename in a file of 30,000
// transactions took most of a second reading them.
//
// SQLite triggers (store.go) list in refs_stale each object inserted,
// whose Ret changed or deleted, with the Ret whose ListIDs refs holds
// for it (the first one, when it changes again before refs is brought
// up to date), and flushRefs replaces those ListIDs with the current
// Ret's. Every write transaction flushes before it commits, and every
// reader of refs flushes first, so refs is up to date whatever wrote
// the objects: the request processor, the generator, or an earlier
// simulator that knows nothing of refs.

// listIDsIn returns the distinct ListIDs a stored Ret holds, in the order
// they first appear: the text of each <ListID> element. A ListID is
// written as text without markup, so a Ret holds <ListID>id</ListID> if
// and only if id is among them.
func listIDsIn(ret []byte) []string {
	const open, closing = "<ListID>", "</ListID>"
	var ids []string
	seen := map[string]bool{}
	for {
		i := bytes.Index(ret, []byte(open))
		if i < 0 {
			return ids
		}
		ret = ret[i+len(open):]
		j := bytes.IndexByte(ret, '<')
		if j < 0 {
			return ids
		}
		if bytes.HasPrefix(ret[j:], []byte(closing)) {
			if id := string(ret[:j]); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		ret = ret[j:]
	}
}

// staleAllRefs lists every object in refs_stale as holding no ListIDs in
// refs yet, for flushRefs to index them all: once, when refs has just
// been created in a file written before it.
func staleAllRefs(ctx context.Context, q querier) error {
	_, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO refs_stale(seq, indexed) SELECT seq, NULL FROM objects`)
	return err
}

// flushRefs brings refs up to date with the objects listed in
// refs_stale, in q's transaction. Only the rows that change are written:
// a rename rewrites the names in hundreds of Rets, not their ListIDs.
// When seen is not nil, it gets each object listed that it lacks, by seq,
// with the Ret refs held for it (nil for an object inserted since):
// the account balances a write moves are found from it (moveBalances).
func flushRefs(ctx context.Context, q querier, seen map[int64][]byte) error {
	var drop, add []any
	rows, err := q.QueryContext(ctx, `SELECT s.seq, s.indexed, o.ret FROM refs_stale s LEFT JOIN objects o ON o.seq = s.seq ORDER BY s.seq`)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		var seq int64
		var indexed, ret []byte
		if err := rows.Scan(&seq, &indexed, &ret); err != nil {
			rows.Close()
			return err
		}
		n++
		if _, ok := seen[seq]; !ok && seen != nil {
			seen[seq] = indexed
		}
		was, is := listIDsIn(indexed), listIDsIn(ret)
		for _, id := range was {
			if !slices.Contains(is, id) {
				drop = append(drop, id, seq)
			}
		}
		for _, id := range is {
			if !slices.Contains(was, id) {
				add = append(add, id, seq)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	// One row a statement: SQLite looks a row value IN a list of
	// values up by scanning the table.
	for i := 0; i < len(drop); i += 2 {
		if _, err := q.ExecContext(ctx, `DELETE FROM refs WHERE list_id = ? AND seq = ?`, drop[i], drop[i+1]); err != nil {
			return err
		}
	}
	if err := insertRefs(ctx, q, add); err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `DELETE FROM refs_stale`)
	return err
}

// insertRefs adds rows to refs, given as ListID and seq in turn.
func insertRefs(ctx context.Context, q querier, rows []any) error {
	// A few hundred rows a statement keep within SQLite's limit on
	// bound values.
	const perInsert = 400
	for len(rows) > 0 {
		n := min(2*perInsert, len(rows))
		if _, err := q.ExecContext(ctx, `INSERT INTO refs(list_id, seq) VALUES `+strings.TrimSuffix(strings.Repeat("(?,?),", n/2), ","), rows[:n]...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
