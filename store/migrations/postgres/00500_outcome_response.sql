-- An outcome whose response is the operation's result (the applied
-- response, or a duplicate post of the same bytes) no longer keeps a second
-- copy: response is NULL and response_is_result says where it is.
--
-- Results are large qbXML documents (about 1 MB per sync page) that TOAST
-- compresses; lz4 costs the server several times less CPU than the default
-- pglz. A server built without lz4 keeps pglz.

-- +goose Up
ALTER TABLE operation_outcomes ADD COLUMN response_is_result BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE operations ALTER COLUMN result SET COMPRESSION lz4;
    ALTER TABLE operation_outcomes ALTER COLUMN response SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE operation_outcomes DROP COLUMN response_is_result;
ALTER TABLE operations ALTER COLUMN result SET COMPRESSION DEFAULT;
ALTER TABLE operation_outcomes ALTER COLUMN response SET COMPRESSION DEFAULT;
