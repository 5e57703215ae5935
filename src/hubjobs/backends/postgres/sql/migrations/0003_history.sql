-- Migration 0003: throughput history (see history.sql).
-- Tables: throughput (jobs completed and failed per queue per minute) and durations (jobs per
-- queue, hour, kind 'wait' or 'run' and duration bucket). Both are bounded by record_history,
-- which drops rows older than the kept period.
-- name: apply
CREATE TABLE IF NOT EXISTS throughput (
    queue     text COLLATE "C" NOT NULL,
    minute    bigint NOT NULL,
    completed bigint NOT NULL DEFAULT 0,
    failed    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, minute)
);
CREATE INDEX IF NOT EXISTS ix_throughput_minute ON throughput (minute);
CREATE TABLE IF NOT EXISTS durations (
    queue  text COLLATE "C" NOT NULL,
    hour   bigint NOT NULL,
    kind   text NOT NULL CHECK (kind IN ('wait','run')),
    bucket integer NOT NULL,
    n      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, hour, kind, bucket)
);
