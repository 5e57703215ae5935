-- Migration 0001: the initial schema of the SQLite backend.
-- Tables: jobs (one row per job, all states), job_logs, queues (settings), rate_starts
-- (sliding log of claim times for rate limits), workers (heartbeats), events (cross-process
-- stream), schedules. A trigger deletes a job's logs with the job.
-- name: apply
CREATE TABLE IF NOT EXISTS jobs (
    rid              INTEGER PRIMARY KEY,
    queue            TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    data             TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('waiting','delayed','active','completed','failed')),
    priority         INTEGER NOT NULL,
    enqueued_at      REAL    NOT NULL,
    run_at           REAL,
    created_at       REAL    NOT NULL,
    started_at       REAL,
    finished_at      REAL,
    attempts_made    INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    max_stalled      INTEGER NOT NULL,
    stalled_count    INTEGER NOT NULL DEFAULT 0,
    options          TEXT    NOT NULL,
    progress         TEXT,
    result           TEXT,
    failed_reason    TEXT,
    errors           TEXT    NOT NULL DEFAULT '[]',
    lease_token      TEXT,
    lease_expires    REAL,
    worker_id        TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS ix_jobs_waiting  ON jobs (queue, priority, enqueued_at, rid) WHERE state = 'waiting';
CREATE INDEX IF NOT EXISTS ix_jobs_delayed  ON jobs (queue, run_at) WHERE state = 'delayed';
CREATE INDEX IF NOT EXISTS ix_jobs_active   ON jobs (queue, lease_expires) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS ix_jobs_finished ON jobs (queue, state, finished_at) WHERE state IN ('completed','failed');
CREATE INDEX IF NOT EXISTS ix_jobs_state    ON jobs (queue, state);
CREATE TABLE IF NOT EXISTS job_logs (
    queue  TEXT NOT NULL,
    job_id TEXT NOT NULL,
    at     REAL NOT NULL,
    line   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_job_logs ON job_logs (queue, job_id);
CREATE TRIGGER IF NOT EXISTS tr_jobs_delete_logs AFTER DELETE ON jobs BEGIN
    DELETE FROM job_logs WHERE queue = old.queue AND job_id = old.id;
END;
CREATE TABLE IF NOT EXISTS queues (
    name        TEXT PRIMARY KEY,
    paused      INTEGER NOT NULL DEFAULT 0,
    rate_max    INTEGER,
    rate_period REAL,
    concurrency INTEGER
);
CREATE TABLE IF NOT EXISTS rate_starts (
    queue TEXT NOT NULL,
    at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_rate_starts ON rate_starts (queue, at);
CREATE TABLE IF NOT EXISTS workers (
    id        TEXT PRIMARY KEY,
    info      TEXT NOT NULL,
    expires   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    queue  TEXT NOT NULL,
    event  TEXT NOT NULL,
    job_id TEXT,
    at     REAL NOT NULL,
    data   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS ix_events_queue ON events (queue, id);
CREATE TABLE IF NOT EXISTS schedules (
    id        TEXT PRIMARY KEY,
    spec      TEXT NOT NULL,
    next_run  REAL,
    last_run  REAL
);
