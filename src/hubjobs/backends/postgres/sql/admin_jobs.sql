-- Operation admin_jobs: retry failed jobs, remove, promote, cancel, clean and drain.
-- Statements that make jobs runnable NOTIFY the queue's workers (delivered on commit). Jobs made
-- runnable together (a retry or promotion of many) share one due time, read once per statement,
-- so they keep the order they were added (rid) among themselves.
-- Parameters:
--   %(queue)s    text    the queue
--   %(channel)s  text    the NOTIFY channel of this schema's job wake-ups (payload: queue)
--   %(ids)s      text[]  job ids (retry_some, remove, promote, cancel)
--   %(limit)s    int     most jobs handled (retry_all, clean_*)
--   %(state)s    text    the state to clean
--   %(older_than)s      float8  clean jobs older than this many seconds
--   %(include_delayed)s bool    drain: remove delayed jobs too
-- name: retry_some
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
retried AS (
    UPDATE jobs
    SET state = 'waiting', attempts_made = 0, stalled_count = 0,
        enqueued_at = c.now, run_at = NULL,
        finished_at = NULL, failed_reason = NULL, progress = NULL, result = NULL
    FROM clock c
    WHERE queue = %(queue)s AND id = ANY(%(ids)s::text[]) AND state = 'failed'
    RETURNING id
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent FROM (SELECT 1 FROM retried LIMIT 1) any_row
)
SELECT id FROM retried CROSS JOIN notified
-- name: retry_all
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
picked AS (
    SELECT ctid AS row_id FROM jobs WHERE queue = %(queue)s AND state = 'failed'
    ORDER BY finished_at, rid LIMIT %(limit)s
    FOR NO KEY UPDATE SKIP LOCKED
),
retried AS (
    UPDATE jobs
    SET state = 'waiting', attempts_made = 0, stalled_count = 0,
        enqueued_at = c.now, run_at = NULL,
        finished_at = NULL, failed_reason = NULL, progress = NULL, result = NULL
    FROM clock c
    WHERE ctid = ANY(ARRAY(SELECT row_id FROM picked))
    RETURNING id
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent FROM (SELECT 1 FROM retried LIMIT 1) any_row
)
SELECT id FROM retried CROSS JOIN notified
-- name: remove
DELETE FROM jobs WHERE queue = %(queue)s AND id = ANY(%(ids)s::text[]) AND state <> 'active'
RETURNING id
-- name: promote
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
promoted AS (
    UPDATE jobs SET state = 'waiting', enqueued_at = c.now
    FROM clock c
    WHERE queue = %(queue)s AND id = ANY(%(ids)s::text[]) AND state = 'delayed'
    RETURNING id
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent FROM (SELECT 1 FROM promoted LIMIT 1) any_row
)
SELECT id FROM promoted CROSS JOIN notified
-- name: cancel
UPDATE jobs SET cancel_requested = true
WHERE queue = %(queue)s AND id = ANY(%(ids)s::text[]) AND state = 'active'
RETURNING id
-- name: clean_finished
DELETE FROM jobs WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM jobs
    WHERE queue = %(queue)s AND state = %(state)s AND state IN ('completed', 'failed')
      AND finished_at < extract(epoch FROM clock_timestamp())::float8 - %(older_than)s
    ORDER BY finished_at, rid
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
))
-- name: clean_unfinished
DELETE FROM jobs WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM jobs
    WHERE queue = %(queue)s AND state = %(state)s
      AND created_at < extract(epoch FROM clock_timestamp())::float8 - %(older_than)s
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
))
-- name: drain
DELETE FROM jobs
WHERE queue = %(queue)s AND (state = 'waiting' OR (%(include_delayed)s AND state = 'delayed'))
