-- QuickBooks Web Connector: the platform's OwnerID, per-connection
-- credentials and persisted sessions (package qbwc).

-- +goose Up
CREATE TABLE qbwc_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE qbwc_credentials (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id),
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    user_name     TEXT NOT NULL UNIQUE,
    password_hash BYTEA NOT NULL,
    file_id       TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    failed_since  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE qbwc_sessions (
    id            TEXT PRIMARY KEY,
    ticket_hash   BYTEA NOT NULL UNIQUE,
    connection_id TEXT NOT NULL REFERENCES connections (id),
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    company_id    TEXT NOT NULL,
    status        TEXT NOT NULL,
    company_file  TEXT NOT NULL DEFAULT '',
    hcp_done      BOOLEAN NOT NULL DEFAULT FALSE,
    op_id         TEXT NOT NULL DEFAULT '',
    lease_id      TEXT NOT NULL DEFAULT '',
    recovery      BOOLEAN NOT NULL DEFAULT FALSE,
    sent          INTEGER NOT NULL DEFAULT 0,
    received      INTEGER NOT NULL DEFAULT 0,
    pending_noop  BOOLEAN NOT NULL DEFAULT FALSE,
    noops         INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    closed_at     BIGINT
);
CREATE INDEX qbwc_sessions_connection ON qbwc_sessions (connection_id, created_at);
-- One update at a time per connection: a second authenticate answers busy.
CREATE UNIQUE INDEX qbwc_sessions_open ON qbwc_sessions (connection_id) WHERE status = 'open';

-- +goose Down
DROP TABLE qbwc_sessions;
DROP TABLE qbwc_credentials;
DROP TABLE qbwc_settings;
