-- Times are Unix microseconds (INTEGER), booleans 0/1, JSON as TEXT.

-- +goose Up
CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE companies (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    external_id TEXT NOT NULL DEFAULT '',
    metadata    TEXT NOT NULL DEFAULT '{}',
    schedule    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE INDEX companies_org ON companies (org_id, seq);

CREATE TABLE connectors (
    id              TEXT PRIMARY KEY,
    credential_hash BLOB NOT NULL UNIQUE,
    version         TEXT NOT NULL DEFAULT '',
    signer          TEXT NOT NULL DEFAULT '',
    thumbprint      TEXT NOT NULL DEFAULT '',
    hostname        TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER,
    revoked_at      INTEGER
);

CREATE TABLE connections (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    org_id            TEXT NOT NULL REFERENCES orgs (id),
    company_id        TEXT NOT NULL REFERENCES companies (id),
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    connector_id      TEXT REFERENCES connectors (id),
    file_path         TEXT NOT NULL DEFAULT '',
    file_company_name TEXT NOT NULL DEFAULT '',
    file_id           TEXT NOT NULL DEFAULT '',
    paused            INTEGER NOT NULL DEFAULT 0,
    paused_until      INTEGER,
    health_code       TEXT NOT NULL,
    health_message    TEXT NOT NULL DEFAULT '',
    health_resolution TEXT NOT NULL DEFAULT '',
    health_qb_code    TEXT NOT NULL DEFAULT '',
    health_since      INTEGER NOT NULL,
    needs_user        INTEGER NOT NULL DEFAULT 0,
    last_request_at   INTEGER,
    last_success_at   INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    linked_at         INTEGER,
    -- The Web Connector's password (its user name is the connection ID).
    wc_password_hash  BLOB
);
-- At most one active connection per company.
CREATE UNIQUE INDEX connections_active ON connections (company_id) WHERE status <> 'Unlinked';
CREATE INDEX connections_connector ON connections (connector_id);
CREATE INDEX connections_company ON connections (org_id, company_id, seq);

CREATE TABLE link_codes (
    code_hash     BLOB PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    company_id    TEXT NOT NULL REFERENCES companies (id),
    connection_id TEXT NOT NULL REFERENCES connections (id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);

CREATE TABLE operations (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    org_id           TEXT NOT NULL REFERENCES orgs (id),
    company_id       TEXT NOT NULL REFERENCES companies (id),
    connection_id    TEXT NOT NULL REFERENCES connections (id),
    kind             TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    status           TEXT NOT NULL,
    idempotency_key  TEXT, -- NULL when the client gave none
    request          TEXT NOT NULL,
    message_set_id   TEXT NOT NULL DEFAULT '',
    meta             BLOB,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    not_before       INTEGER NOT NULL,
    deadline         INTEGER,
    lease_id         TEXT,
    lease_expires_at INTEGER,
    result           BLOB,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    completed_at     INTEGER
);
CREATE UNIQUE INDEX operations_idempotency ON operations (org_id, idempotency_key);
CREATE INDEX operations_queue ON operations (connection_id, status, priority, seq);
CREATE INDEX operations_company ON operations (org_id, company_id, seq);
CREATE INDEX operations_org ON operations (org_id, seq);
CREATE INDEX operations_deadline ON operations (status, deadline) WHERE deadline IS NOT NULL;
CREATE INDEX operations_lease ON operations (status, lease_expires_at) WHERE status = 'InFlight';

CREATE TABLE operation_leases (
    lease_id   TEXT PRIMARY KEY,
    op_id      TEXT NOT NULL REFERENCES operations (id),
    attempt    INTEGER NOT NULL,
    leased_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX operation_leases_op ON operation_leases (op_id);

CREATE TABLE operation_outcomes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT NOT NULL REFERENCES operations (id),
    lease_id    TEXT NOT NULL,
    applied     INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    response    BLOB,
    failure     TEXT
);
CREATE INDEX operation_outcomes_op ON operation_outcomes (op_id, seq);

CREATE TABLE records (
    company_id    TEXT NOT NULL,
    type          TEXT NOT NULL,
    id            TEXT NOT NULL,
    edit_sequence TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    ref_id        TEXT NOT NULL DEFAULT '',
    txn_date      TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    modified_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    data          TEXT NOT NULL,
    PRIMARY KEY (company_id, type, id)
);
CREATE INDEX records_updated ON records (company_id, type, updated_at, id);
CREATE INDEX records_name ON records (company_id, type, name);

-- +goose Down
DROP TABLE records;
DROP TABLE operation_outcomes;
DROP TABLE operation_leases;
DROP TABLE operations;
DROP TABLE link_codes;
DROP TABLE connections;
DROP TABLE connectors;
DROP TABLE companies;
DROP TABLE api_keys;
DROP TABLE orgs;
