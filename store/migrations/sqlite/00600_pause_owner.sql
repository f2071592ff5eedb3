-- Who paused a connection, and when the end user made the last pause change
-- on the connector that was applied, are kept with the connection, so that
-- every server process sharing the database words the health the same way
-- and applies a change the connector sends again only once.

-- +goose Up
ALTER TABLE connections ADD COLUMN paused_by TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN pause_change_at INTEGER;

-- +goose Down
ALTER TABLE connections DROP COLUMN pause_change_at;
ALTER TABLE connections DROP COLUMN paused_by;
