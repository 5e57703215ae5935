-- Migration 0002: throughput history (see history.sql).
-- Tables: throughput (jobs completed and failed per queue per minute) and durations (jobs per
-- queue, hour, kind 'wait' or 'run' and duration bucket). Both are bounded by record_history,
-- which drops rows older than the kept period.
-- name: apply
CREATE TABLE IF NOT EXISTS throughput (
    queue     TEXT    NOT NULL,
    minute    INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_throughput_minute ON throughput (minute);
CREATE TABLE IF NOT EXISTS durations (
    queue  TEXT    NOT NULL,
    hour   INTEGER NOT NULL,
    kind   TEXT    NOT NULL CHECK (kind IN ('wait','run')),
    bucket INTEGER NOT NULL,
    n      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, hour, kind, bucket)
) WITHOUT ROWID;
