-- Records' JSON is compressed with lz4 rather than pglz once it is long
-- enough for TOAST (about 2 kB, a third of the invoices): pglz was about
-- a fifth of the time a sync page's insert takes, lz4 costs a fraction of
-- it. Only values written from now on use it; stored ones read as before.
-- A server built without lz4 (or older than PostgreSQL 14, which has no
-- per-column compression) keeps pglz.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE records ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE records ALTER COLUMN data SET COMPRESSION default';
EXCEPTION WHEN syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd
