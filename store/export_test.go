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
