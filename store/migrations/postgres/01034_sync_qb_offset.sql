-- The UTC offset QuickBooks writes its times with (seconds east; NULL
-- until a pass saw one): QuickBooks writes local time with its zone's
-- standard offset even in daylight saving time, so the engine asks for
-- "modified since" in QuickBooks' local time, without an offset
-- (qbconnect.SyncState.QBOffset). States written before keep NULL and
-- are asked in UTC, as before, until their next pass sees a time.

-- +goose Up
ALTER TABLE sync_states ADD COLUMN qb_offset INTEGER;

-- +goose Down
ALTER TABLE sync_states DROP COLUMN qb_offset;
