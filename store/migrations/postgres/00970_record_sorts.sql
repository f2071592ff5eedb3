-- Records listed in transaction-date order (GET .../{dataType}?sort=txnDate)
-- page through this index; name order uses records_name.

-- +goose Up
CREATE INDEX records_txn_date ON records (company_id, type, txn_date, id);

-- +goose Down
DROP INDEX records_txn_date;
