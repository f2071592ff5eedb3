-- A full pass says why it is full (qbconnect.SyncFullReason: first_sync,
-- requested, read_whole, ...), in the type's state and in the pass's
-- history; '' for an incremental pass. Passes recorded before keep ''.

-- +goose Up
ALTER TABLE sync_states ADD COLUMN full_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN full_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN full_reason;
ALTER TABLE sync_states DROP COLUMN full_reason;
