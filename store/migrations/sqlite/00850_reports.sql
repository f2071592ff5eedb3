-- The last answer to each report query of a company (GET
-- /v1/companies/{id}/reports/{report}), with the operation fetching a newer
-- one. Times are Unix microseconds; as_of is 0 until an answer arrived.

-- +goose Up
CREATE TABLE reports (
    org_id       TEXT NOT NULL,
    company_id   TEXT NOT NULL,
    report_key   TEXT NOT NULL,
    operation_id TEXT NOT NULL DEFAULT '',
    data         TEXT,
    as_of        INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (company_id, report_key)
);

-- +goose Down
DROP TABLE reports;
