-- Operation recover_stalled: active jobs whose lease expired go back to waiting with their stall
-- count raised, or to failed once the count passes max_stalled; workers are woken if any job
-- went back to waiting. Rows locked elsewhere (being finished right now) are skipped.
-- Parameters:
--   %(queue)s    text  the queue
--   %(channel)s  text  the NOTIFY channel of this schema's job wake-ups (payload: queue)
--   %(limit)s    int   most jobs handled in one call
-- Returns one row per job: id, outcome ('requeued' | 'failed').
-- name: recover
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
stalled AS (
    SELECT ctid AS row_id FROM jobs
    WHERE queue = %(queue)s AND state = 'active' AND lease_expires < extract(epoch FROM now())::float8
    ORDER BY lease_expires
    LIMIT %(limit)s
    FOR NO KEY UPDATE SKIP LOCKED
),
failed AS (
    UPDATE jobs j
    SET state = 'failed', finished_at = c.now, stalled_count = j.stalled_count + 1,
        lease_token = NULL, lease_expires = NULL,
        failed_reason = 'job stalled more than ' || j.max_stalled || ' time(s) (its worker died or froze)',
        errors = j.errors || jsonb_build_array(jsonb_build_object(
            'attempt', j.attempts_made + 1,
            'message', 'job stalled more than ' || j.max_stalled || ' time(s) (its worker died or froze)',
            'stacktrace', '', 'at', c.now))
    FROM clock c
    WHERE j.ctid = ANY(ARRAY(SELECT row_id FROM stalled)) AND j.stalled_count + 1 > j.max_stalled
    RETURNING j.id, 'failed'::text AS outcome
),
requeued AS (
    UPDATE jobs j
    SET state = 'waiting', stalled_count = j.stalled_count + 1, lease_token = NULL, lease_expires = NULL
    WHERE j.ctid = ANY(ARRAY(SELECT row_id FROM stalled)) AND j.stalled_count + 1 <= j.max_stalled
    RETURNING j.id, 'requeued'::text AS outcome
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent FROM (SELECT 1 FROM requeued LIMIT 1) any_row
)
SELECT id, outcome FROM failed
UNION ALL
SELECT id, outcome FROM requeued CROSS JOIN notified
