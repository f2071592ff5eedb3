package store_test

// undoRecordSweep undoes migration 01032 (records.seen, sync_states'
// sweep_gen and sweep_from), whose ADD COLUMNs cannot apply twice, for a
// test that applies the migrations before it again.
func undoRecordSweep(exec func(q string)) {
	exec(`ALTER TABLE records DROP COLUMN seen`)
	exec(`ALTER TABLE sync_states DROP COLUMN sweep_gen`)
	exec(`ALTER TABLE sync_states DROP COLUMN sweep_from`)
}
