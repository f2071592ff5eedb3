-- Failed link attempts per client address (an IPv4 address or an IPv6 /64),
-- kept in the database so that the limit holds across every server process
-- sharing it. window_start and the counters are reset when the window ends.

-- +goose Up
CREATE TABLE link_attempts (
    addr         TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE link_attempts;
