-- A company's sync: the passes one request or one scheduler tick started
-- together (sync_runs.group_id), which ends once each of them ended and
-- then raises one sync.completed. ended_at is set in the transaction that
-- ends the last pass, so the event is recorded once.

-- +goose Up
CREATE TABLE sync_groups (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    company_id TEXT NOT NULL,
    trigger_by TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER
);
ALTER TABLE sync_runs ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sync_runs_group ON sync_runs (group_id) WHERE group_id <> '';

-- +goose Down
DROP INDEX sync_runs_group;
ALTER TABLE sync_runs DROP COLUMN group_id;
DROP TABLE sync_groups;
