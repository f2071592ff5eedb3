-- An outcome whose response is the operation's result (the applied
-- response, or a duplicate post of the same bytes) no longer keeps a second
-- copy: response is NULL and response_is_result says where it is.

-- +goose Up
ALTER TABLE operation_outcomes ADD COLUMN response_is_result INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE operation_outcomes DROP COLUMN response_is_result;
