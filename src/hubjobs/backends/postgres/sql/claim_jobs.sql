-- Operation claim_jobs: claim up to a budget of runnable jobs for one worker.
-- Sent as one transaction (pipelined: one round trip): `lock_limits`, then `claim`.
--   lock_limits locks the queue's settings row only when it has a rate limit or a global
--   concurrency, so that limited claims are serialised and `claim` (a new statement, hence a new
--   snapshot under READ COMMITTED) counts active jobs and recent starts exactly. Unlimited
--   queues take no lock and claims run side by side with SKIP LOCKED.
--   claim, in one statement: promotes up to %(promote_limit)s due delayed jobs (due by the
--   transaction's now(): a stable value the delayed index can range over, never ahead of the
--   clock), computes the budget (0 when paused; else the least of the limit, the free global
--   slots and the rate-limit room), picks the best runnable jobs among waiting and just-promoted
--   ones in priority then FIFO order (FOR NO KEY UPDATE SKIP LOCKED; the locked rows cannot move,
--   so they are then updated by their ctid, a direct heap access), makes them active under a
--   fresh lease token, records their starts for the rate limit and prunes starts that left the
--   rate window; it also reads when the earliest delayed job left will be due, so that an idle
--   worker needs no round trip to know how long it may sleep.
-- Parameters:
--   %(queue)s          text    the queue
--   %(limit)s          int     most jobs wanted (free slots of the worker)
--   %(promote_limit)s  int     most due delayed jobs promoted in one claim
--   %(token)s          text    the lease token of this claim
--   %(lease_seconds)s  float8  lease length
--   %(worker_id)s      text    the claiming worker
--   fail_corrupt only: %(id)s text (the job), %(reason)s text (why it cannot be decoded)
-- Returns the claimed rows (all columns of jobs) in no particular order, each with
-- next_delayed_due (run_at of the earliest delayed job left, or NULL); when nothing was claimed,
-- one row whose job columns are all NULL carries next_delayed_due.
-- name: lock_limits
SELECT 1 FROM queues
WHERE name = %(queue)s AND (concurrency IS NOT NULL OR rate_max IS NOT NULL)
FOR UPDATE
-- name: claim
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
settings AS (
    SELECT coalesce(bool_or(paused), false) AS paused, max(concurrency) AS concurrency,
           max(rate_max) AS rate_max, max(rate_period) AS rate_period
    FROM queues WHERE name = %(queue)s
),
budget AS (
    SELECT CASE WHEN s.paused THEN 0 ELSE greatest(0, least(
               %(limit)s::bigint,
               CASE WHEN s.concurrency IS NULL THEN %(limit)s::bigint
                    ELSE s.concurrency - (SELECT count(*) FROM jobs
                                          WHERE queue = %(queue)s AND state = 'active') END,
               CASE WHEN s.rate_max IS NULL OR s.rate_period IS NULL THEN %(limit)s::bigint
                    ELSE s.rate_max - (SELECT count(*) FROM rate_starts r
                                       WHERE r.queue = %(queue)s AND r.at > c.now - s.rate_period) END
           )) END AS n
    FROM settings s, clock c
),
due AS (
    SELECT rid, ctid AS row_id, priority, run_at AS t
    FROM jobs
    WHERE queue = %(queue)s AND state = 'delayed' AND run_at <= extract(epoch FROM now())::float8
    ORDER BY run_at, rid
    LIMIT %(promote_limit)s
    FOR NO KEY UPDATE SKIP LOCKED
),
ready AS (
    SELECT rid, ctid AS row_id, priority, enqueued_at AS t
    FROM jobs
    WHERE queue = %(queue)s AND state = 'waiting'
    ORDER BY priority, enqueued_at, rid
    LIMIT (SELECT n FROM budget)
    FOR NO KEY UPDATE SKIP LOCKED
),
picked AS (
    SELECT rid, row_id FROM (SELECT * FROM ready UNION ALL SELECT * FROM due) candidates
    ORDER BY priority, t, rid
    LIMIT (SELECT n FROM budget)
),
promoted AS (
    UPDATE jobs SET state = 'waiting', enqueued_at = run_at
    WHERE ctid = ANY(ARRAY(SELECT row_id FROM due WHERE rid NOT IN (SELECT rid FROM picked)))
),
claimed AS (
    UPDATE jobs j
    SET state = 'active',
        enqueued_at = CASE WHEN j.state = 'delayed' THEN j.run_at ELSE j.enqueued_at END,
        lease_token = %(token)s, lease_expires = c.now + %(lease_seconds)s,
        worker_id = %(worker_id)s, started_at = c.now, cancel_requested = false
    FROM clock c
    WHERE j.ctid = ANY(ARRAY(SELECT row_id FROM picked))
    RETURNING j.*
),
started AS (
    INSERT INTO rate_starts (queue, at)
    SELECT %(queue)s, c.now FROM claimed, clock c, settings s WHERE s.rate_max IS NOT NULL
),
pruned AS (
    DELETE FROM rate_starts r USING settings s, clock c
    WHERE r.queue = %(queue)s AND (s.rate_period IS NULL OR r.at <= c.now - s.rate_period)
),
next_delayed AS (
    SELECT min(run_at) AS due FROM jobs
    WHERE queue = %(queue)s AND state = 'delayed' AND rid NOT IN (SELECT rid FROM due)
)
SELECT claimed.*, next_delayed.due AS next_delayed_due
FROM next_delayed LEFT JOIN claimed ON true
-- name: fail_corrupt
UPDATE jobs
SET state = 'failed', finished_at = extract(epoch FROM clock_timestamp())::float8,
    lease_token = NULL, lease_expires = NULL, failed_reason = %(reason)s
WHERE queue = %(queue)s AND id = %(id)s AND state = 'active' AND lease_token = %(token)s
