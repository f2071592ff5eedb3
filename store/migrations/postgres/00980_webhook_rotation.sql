-- Webhook endpoints can be disabled (PATCH enabled=false) and keep their
-- previous secret during a rotation's overlap; deliveries may replay an
-- earlier delivery of the same event to the same endpoint, so the pair
-- (endpoint, event) is no longer unique.
--
-- Secrets created before this stay as they are: "whsec_" and 32 Crockford
-- characters, which read as base64 too, so the Standard Webhooks key is
-- their base64-decoded part (24 bytes) with no change for receivers.

-- +goose Up
ALTER TABLE webhook_endpoints ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at BIGINT;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_event_id_key;
ALTER TABLE webhook_deliveries ADD COLUMN replay_of TEXT NOT NULL DEFAULT '';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- +goose Down
DELETE FROM webhook_deliveries WHERE replay_of <> '';
DROP INDEX webhook_deliveries_event;
ALTER TABLE webhook_deliveries DROP COLUMN replay_of;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_key UNIQUE (endpoint_id, event_id);
ALTER TABLE webhook_endpoints DROP COLUMN previous_secret_expires_at;
ALTER TABLE webhook_endpoints DROP COLUMN previous_secret;
ALTER TABLE webhook_endpoints DROP COLUMN enabled;
