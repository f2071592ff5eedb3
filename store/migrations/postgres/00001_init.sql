-- Times are Unix microseconds (BIGINT), JSON as TEXT, text keys in the "C"
-- collation so that range filters and cursors compare bytes.

-- +goose Up
CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE companies (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    external_id TEXT NOT NULL DEFAULT '',
    metadata    TEXT NOT NULL DEFAULT '{}',
    schedule    TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX companies_org ON companies (org_id, seq);

CREATE TABLE connectors (
    id              TEXT PRIMARY KEY,
    credential_hash BYTEA NOT NULL UNIQUE,
    version         TEXT NOT NULL DEFAULT '',
    signer          TEXT NOT NULL DEFAULT '',
    thumbprint      TEXT NOT NULL DEFAULT '',
    hostname        TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT,
    revoked_at      BIGINT
);

CREATE TABLE connections (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    org_id            TEXT NOT NULL REFERENCES orgs (id),
    company_id        TEXT NOT NULL REFERENCES companies (id),
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    connector_id      TEXT REFERENCES connectors (id),
    file_path         TEXT NOT NULL DEFAULT '',
    file_company_name TEXT NOT NULL DEFAULT '',
    file_id           TEXT NOT NULL DEFAULT '',
    paused            BOOLEAN NOT NULL DEFAULT FALSE,
    paused_until      BIGINT,
    health_code       TEXT NOT NULL,
    health_message    TEXT NOT NULL DEFAULT '',
    health_resolution TEXT NOT NULL DEFAULT '',
    health_qb_code    TEXT NOT NULL DEFAULT '',
    health_since      BIGINT NOT NULL,
    needs_user        BOOLEAN NOT NULL DEFAULT FALSE,
    last_request_at   BIGINT,
    last_success_at   BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    linked_at         BIGINT,
    -- The Web Connector's password (its user name is the connection ID).
    wc_password_hash  BYTEA
);
-- At most one active connection per company.
CREATE UNIQUE INDEX connections_active ON connections (company_id) WHERE status <> 'Unlinked';
CREATE INDEX connections_connector ON connections (connector_id);
CREATE INDEX connections_company ON connections (org_id, company_id, seq);

CREATE TABLE link_codes (
    code_hash     BYTEA PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    company_id    TEXT NOT NULL REFERENCES companies (id),
    connection_id TEXT NOT NULL REFERENCES connections (id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);

CREATE TABLE operations (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    meta             BYTEA,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    not_before       BIGINT NOT NULL,
    deadline         BIGINT,
    lease_id         TEXT,
    lease_expires_at BIGINT,
    result           BYTEA,
    error            TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    completed_at     BIGINT
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
    leased_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX operation_leases_op ON operation_leases (op_id);

CREATE TABLE operation_outcomes (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    op_id       TEXT NOT NULL REFERENCES operations (id),
    lease_id    TEXT NOT NULL,
    applied     BOOLEAN NOT NULL,
    received_at BIGINT NOT NULL,
    response    BYTEA,
    failure     TEXT
);
CREATE INDEX operation_outcomes_op ON operation_outcomes (op_id, seq);

CREATE TABLE records (
    company_id    TEXT NOT NULL,
    type          TEXT NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    edit_sequence TEXT NOT NULL DEFAULT '',
    name          TEXT COLLATE "C" NOT NULL DEFAULT '',
    ref_id        TEXT NOT NULL DEFAULT '',
    txn_date      TEXT COLLATE "C" NOT NULL DEFAULT '',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    modified_at   BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE,
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
