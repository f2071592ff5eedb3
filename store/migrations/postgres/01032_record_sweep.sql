-- A full pass reconciles: the records of its company and type that it did
-- not return, and that nothing wrote since it started, were deleted in
-- QuickBooks (SyncPage.SweepUnseen). records.seen is the sweep generation
-- of the last full pass that returned the record; sync_states.sweep_gen
-- counts the type's passes and sweep_from is the store's clock when the
-- pass under way started.

-- +goose Up
ALTER TABLE records ADD COLUMN seen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_states ADD COLUMN sweep_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_states ADD COLUMN sweep_from BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_states DROP COLUMN sweep_from;
ALTER TABLE sync_states DROP COLUMN sweep_gen;
ALTER TABLE records DROP COLUMN seen;
