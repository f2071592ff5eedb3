package store_test

// undoAddedColumns undoes the migrations from 01032 on that add columns,
// which cannot apply twice, for a test that applies the migrations before
// them again: 01032 (records.seen, sync_states' sweep_gen and sweep_from)
// and 01033 (sync_states' and sync_runs' full_reason).
func undoAddedColumns(exec func(q string)) {
	exec(`ALTER TABLE records DROP COLUMN seen`)
	exec(`ALTER TABLE sync_states DROP COLUMN sweep_gen`)
	exec(`ALTER TABLE sync_states DROP COLUMN sweep_from`)
	exec(`ALTER TABLE sync_states DROP COLUMN full_reason`)
	exec(`ALTER TABLE sync_runs DROP COLUMN full_reason`)
}
