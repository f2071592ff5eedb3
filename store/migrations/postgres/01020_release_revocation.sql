-- A release the operator revoked (qbconnect release revoke): never offered
-- again, and the connectors running it are told.

-- +goose Up
ALTER TABLE releases ADD COLUMN revoked_at BIGINT;
ALTER TABLE releases ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE releases DROP COLUMN revoke_reason;
ALTER TABLE releases DROP COLUMN revoked_at;
