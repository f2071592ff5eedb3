-- Sync state per company and data type, and the history of sync passes.
-- Times are Unix microseconds (INTEGER); errors are JSON.

-- +goose Up
CREATE TABLE sync_states (
    company_id      TEXT NOT NULL REFERENCES companies (id),
    type            TEXT NOT NULL,
    org_id          TEXT NOT NULL,
    status          TEXT NOT NULL,
    error           TEXT,
    high_water      INTEGER NOT NULL DEFAULT 0,
    deleted_mark    INTEGER NOT NULL DEFAULT 0,
    last_full_at    INTEGER,
    last_complete_at INTEGER,
    run_id          TEXT NOT NULL DEFAULT '',
    mode            TEXT NOT NULL DEFAULT '',
    trigger_by      TEXT NOT NULL DEFAULT '',
    op_id           TEXT NOT NULL DEFAULT '',
    iterator_id     TEXT NOT NULL DEFAULT '',
    restarts        INTEGER NOT NULL DEFAULT 0,
    pages           INTEGER NOT NULL DEFAULT 0,
    fetched         INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    remaining       INTEGER NOT NULL DEFAULT 0,
    pass_high_water INTEGER NOT NULL DEFAULT 0,
    started_at      INTEGER,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (company_id, type)
);
CREATE INDEX sync_states_active ON sync_states (status) WHERE status IN ('Queued', 'Fetching');

CREATE TABLE sync_runs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL,
    company_id  TEXT NOT NULL REFERENCES companies (id),
    type        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    trigger_by  TEXT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT,
    pages       INTEGER NOT NULL DEFAULT 0,
    fetched     INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    restarts    INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX sync_runs_company ON sync_runs (company_id, seq);
CREATE INDEX sync_runs_company_type ON sync_runs (company_id, type, seq);

-- +goose Down
DROP TABLE sync_runs;
DROP TABLE sync_states;
