-- Webhook endpoints can be disabled (PATCH enabled=false) and keep their
-- previous secret during a rotation's overlap; deliveries may replay an
-- earlier delivery of the same event to the same endpoint, so the pair
-- (endpoint, event) is no longer unique. SQLite cannot drop a constraint:
-- the deliveries table is rebuilt (nothing refers to it).
--
-- Secrets created before this stay as they are: "whsec_" and 32 Crockford
-- characters, which read as base64 too, so the Standard Webhooks key is
-- their base64-decoded part (24 bytes) with no change for receivers.

-- +goose Up
ALTER TABLE webhook_endpoints ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at INTEGER;

CREATE TABLE webhook_deliveries_new (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    org_id       TEXT NOT NULL,
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id     TEXT NOT NULL REFERENCES webhook_events (id),
    status       TEXT NOT NULL,
    attempts     TEXT NOT NULL DEFAULT '[]',
    enqueued     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    replay_of    TEXT NOT NULL DEFAULT ''
);
INSERT INTO webhook_deliveries_new (seq, id, org_id, endpoint_id, event_id, status, attempts, enqueued, created_at, delivered_at)
    SELECT seq, id, org_id, endpoint_id, event_id, status, attempts, enqueued, created_at, delivered_at FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
CREATE INDEX webhook_deliveries_unqueued ON webhook_deliveries (created_at) WHERE NOT enqueued;
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- +goose Down
DELETE FROM webhook_deliveries WHERE replay_of <> '';
DROP INDEX webhook_deliveries_event;
ALTER TABLE webhook_deliveries DROP COLUMN replay_of;
CREATE UNIQUE INDEX webhook_deliveries_endpoint_event ON webhook_deliveries (endpoint_id, event_id);
ALTER TABLE webhook_endpoints DROP COLUMN previous_secret_expires_at;
ALTER TABLE webhook_endpoints DROP COLUMN previous_secret;
ALTER TABLE webhook_endpoints DROP COLUMN enabled;
