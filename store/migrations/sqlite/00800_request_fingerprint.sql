-- An Idempotency-Key reused for a different request is refused rather than
-- silently answered with the first operation: each operation keeps a
-- fingerprint of the client request that made it ('' for operations made
-- before this migration and for those without a key).

-- +goose Up
ALTER TABLE operations ADD COLUMN request_fingerprint TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE operations DROP COLUMN request_fingerprint;
