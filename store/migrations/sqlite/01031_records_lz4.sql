-- PostgreSQL compresses records' JSON with lz4 from 01031 on; SQLite
-- stores text uncompressed and has nothing to change.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
