-- Finished operations are pruned oldest first, and the queue depth metric
-- counts operations by status: both by index rather than by reading the
-- whole table.

-- +goose Up
CREATE INDEX operations_completed ON operations (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX operations_status ON operations (status);

-- +goose Down
DROP INDEX operations_status;
DROP INDEX operations_completed;
