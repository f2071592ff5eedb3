-- Connector releases and their files, signing certificates and expiry
-- warnings, update reports, rotation campaigns, and the mail outbox.
-- Times are Unix microseconds (BIGINT), JSON as TEXT.

-- +goose Up
CREATE TABLE releases (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    version      TEXT NOT NULL UNIQUE,
    channel      TEXT NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    thumbprint   TEXT NOT NULL,
    rollout      TEXT NOT NULL,
    campaign_id  TEXT NOT NULL DEFAULT '',
    published_at BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX releases_channel ON releases (channel, seq);

CREATE TABLE release_artifacts (
    release_id     TEXT NOT NULL REFERENCES releases (id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    platform       TEXT NOT NULL DEFAULT '',
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    signature_kind TEXT NOT NULL DEFAULT '',
    signature      TEXT NOT NULL DEFAULT '',
    data           BYTEA NOT NULL,
    PRIMARY KEY (release_id, name)
);

CREATE TABLE signing_certificates (
    thumbprint    TEXT PRIMARY KEY,
    subject       TEXT NOT NULL,
    common_name   TEXT NOT NULL DEFAULT '',
    issuer        TEXT NOT NULL DEFAULT '',
    serial        TEXT NOT NULL DEFAULT '',
    not_before    BIGINT,
    not_after     BIGINT,
    first_seen_at BIGINT NOT NULL
);

CREATE TABLE certificate_warnings (
    thumbprint     TEXT NOT NULL,
    threshold_days BIGINT NOT NULL,
    warned_at      BIGINT NOT NULL,
    PRIMARY KEY (thumbprint, threshold_days)
);

CREATE TABLE update_reports (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id TEXT NOT NULL,
    from_version TEXT NOT NULL,
    to_version   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    at           BIGINT NOT NULL
);
CREATE INDEX update_reports_connector ON update_reports (connector_id, seq);

CREATE TABLE campaigns (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    release_id      TEXT NOT NULL REFERENCES releases (id),
    version         TEXT NOT NULL,
    status          TEXT NOT NULL,
    old_thumbprints TEXT NOT NULL,
    new_thumbprint  TEXT NOT NULL,
    rollout_at      BIGINT NOT NULL,
    reminder_after  BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    notified_at     BIGINT,
    completed_at    BIGINT
);

CREATE TABLE campaign_connections (
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    connection_id   TEXT NOT NULL,
    org_id          TEXT NOT NULL,
    company_id      TEXT NOT NULL,
    company_name    TEXT NOT NULL,
    connector_id    TEXT NOT NULL,
    file            TEXT NOT NULL,
    state           TEXT NOT NULL,
    sub_state       TEXT NOT NULL DEFAULT '',
    health_code     TEXT NOT NULL DEFAULT '',
    old_thumbprint  TEXT NOT NULL,
    since           BIGINT NOT NULL,
    updated_at      BIGINT,
    reauthorized_at BIGINT,
    reminded_at     BIGINT,
    PRIMARY KEY (campaign_id, connection_id)
);
CREATE INDEX campaign_connections_org ON campaign_connections (org_id, campaign_id);

-- Who receives an organisation's release and rotation notices.
CREATE TABLE org_contacts (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, email)
);

CREATE TABLE mail_outbox (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    dedupe_key  TEXT UNIQUE, -- NULL when the message may repeat
    kind        TEXT NOT NULL,
    org_id      TEXT NOT NULL DEFAULT '',
    recipients  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX mail_outbox_status ON mail_outbox (status, seq);

-- +goose Down
DROP TABLE mail_outbox;
DROP TABLE org_contacts;
DROP TABLE campaign_connections;
DROP TABLE campaigns;
DROP TABLE update_reports;
DROP TABLE certificate_warnings;
DROP TABLE signing_certificates;
DROP TABLE release_artifacts;
DROP TABLE releases;
