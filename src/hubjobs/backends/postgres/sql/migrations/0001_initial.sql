-- Migration 0001: the initial schema of the PostgreSQL backend.
-- Runs inside one transaction, holding the migration advisory lock, with search_path set to the
-- backend's schema (so no name here is schema-qualified). Times are epoch seconds (float8) on the
-- server's clock, as the storage contract speaks them.
-- Tables:
--   jobs           one row per job in any state; partial indexes fit each state's queries
--   job_logs       log lines per job (removed with the job by ON DELETE CASCADE)
--   queues         per-queue settings: paused, rate limit, global concurrency
--   rate_starts    sliding log of claim times, for rate limits
--   workers        worker heartbeats
--   event_streams  the number of the last event of each queue's stream
--   event_batches  the cross-process event streams: one row per published batch (a JSON array
--                  written by the backend itself, kept as text: validating it would cost more
--                  than the insert), its events numbered per queue, the last one's number as key
--   schedules      cron / interval schedules and their run bookkeeping
-- name: apply
CREATE TABLE jobs (
    rid              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue            text             NOT NULL,
    id               text             NOT NULL,
    name             text             NOT NULL,
    data             json             NOT NULL,
    state            text             NOT NULL,
    priority         integer          NOT NULL,
    enqueued_at      double precision NOT NULL,
    run_at           double precision,
    created_at       double precision NOT NULL,
    started_at       double precision,
    finished_at      double precision,
    attempts_made    integer          NOT NULL DEFAULT 0,
    max_attempts     integer          NOT NULL,
    max_stalled      integer          NOT NULL,
    stalled_count    integer          NOT NULL DEFAULT 0,
    options          json             NOT NULL,
    progress         json,
    result           json,
    failed_reason    text,
    errors           jsonb            NOT NULL DEFAULT '[]',
    lease_token      text,
    lease_expires    double precision,
    worker_id        text,
    cancel_requested boolean          NOT NULL DEFAULT false,
    log_count        bigint           NOT NULL DEFAULT 0,
    CONSTRAINT jobs_queue_id_key UNIQUE (queue, id),
    CONSTRAINT jobs_state_check CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed'))
);
CREATE INDEX ix_jobs_waiting ON jobs (queue, priority, enqueued_at, rid) WHERE state = 'waiting';
CREATE INDEX ix_jobs_delayed ON jobs (queue, run_at, rid) WHERE state = 'delayed';
CREATE INDEX ix_jobs_active ON jobs (queue, lease_expires) WHERE state = 'active';
CREATE INDEX ix_jobs_finished ON jobs (queue, state, finished_at, rid) WHERE state IN ('completed', 'failed');

CREATE TABLE job_logs (
    job_rid bigint           NOT NULL REFERENCES jobs (rid) ON DELETE CASCADE,
    line_no bigint           NOT NULL,
    at      double precision NOT NULL,
    line    text             NOT NULL,
    PRIMARY KEY (job_rid, line_no)
);

CREATE TABLE queues (
    name        text PRIMARY KEY,
    paused      boolean NOT NULL DEFAULT false,
    rate_max    integer,
    rate_period double precision,
    concurrency integer
);

CREATE TABLE rate_starts (
    queue text             NOT NULL,
    at    double precision NOT NULL
);
CREATE INDEX ix_rate_starts ON rate_starts (queue, at);

CREATE TABLE workers (
    id      text PRIMARY KEY,
    info    json             NOT NULL,
    expires double precision NOT NULL
);

CREATE TABLE event_streams (
    queue   text PRIMARY KEY,
    last_no bigint NOT NULL
);

CREATE TABLE event_batches (
    queue   text    NOT NULL,
    last_no bigint  NOT NULL,
    count   integer NOT NULL,
    events  text    NOT NULL,
    PRIMARY KEY (queue, last_no)
);

CREATE TABLE schedules (
    id       text PRIMARY KEY,
    spec     text NOT NULL,
    next_run double precision,
    last_run double precision
);
