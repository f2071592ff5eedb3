package store

import "context"

// MigrateDownTo undoes, with their Down sections, the migrations of db
// after version, for tests that apply later migrations again to a
// database as an older version left it.
func MigrateDownTo(ctx context.Context, db *DB, version int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// Stmt is a statement with its arguments, for WriteWithPutOff.
type Stmt struct {
	Query string
	Args  []any
}

// WriteWithPutOff runs now in a write transaction (inTx), puts each of
// later off until its commit (execAtCommit), and commits.
func WriteWithPutOff(ctx context.Context, db *DB, now Stmt, later ...Stmt) error {
	return db.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, now.Query, now.Args...); err != nil {
			return err
		}
		for _, s := range later {
			t.execAtCommit(s.Query, s.Args...)
		}
		return nil
	})
}
