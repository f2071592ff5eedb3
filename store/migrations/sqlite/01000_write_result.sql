-- A finished write keeps its result as the sync engine decoded it when the
-- operation completed (status, QuickBooks' error, the record it returned),
-- in the completion's transaction, so that reading the operation never
-- decodes its qbXML answer again. NULL for other operations and for writes
-- finished before this column.

-- +goose Up
ALTER TABLE operations ADD COLUMN write_result TEXT;

-- +goose Down
ALTER TABLE operations DROP COLUMN write_result;
