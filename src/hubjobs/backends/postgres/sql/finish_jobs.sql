-- Operation finish_jobs: apply the outcomes of tries, each fenced by its lease token, in one
-- statement; a job that is no longer active under that token is left alone (refused).
-- The worker's call runs as one pipelined transaction (one round trip):
--   complete (every outcome is a completion that keeps the job) or apply (any mix), then
--   apply_retention.trim (when a policy needs it), then, with then_claim, claim_jobs.lock_limits
--   and claim_jobs.claim.
-- Outcome kinds: completed (result stored), retry (error recorded, attempts + 1, delayed until
-- now + delay or waiting when the delay is 0), failed (error recorded, attempts + 1),
-- released (back to waiting, attempts unchanged). Completed/failed outcomes whose retention
-- keeps none are deleted at once instead. Workers are woken (NOTIFY) when a job went back to
-- waiting/delayed, or when the queue has a global concurrency (a slot was freed).
-- Parameters:
--   %(queue)s    text      the queue
--   %(channel)s  text      the NOTIFY channel of this schema's job wake-ups (payload: queue)
--   %(outcomes)s text  a JSON array with one object per outcome, keys:
--                      id, token (the lease token held by the worker),
--                      kind (completed | retry | failed | released),
--                      result (completed: the result as JSON text), reason and stack (retry /
--                      failed: error message and stack trace), delay (retry: seconds, 0 = at once),
--                      drop (true: delete the job instead of keeping it; retention keeps none)
--                      complete takes only id, token and result.
-- Jobs are found by (queue, id) through the unique index (`id = ANY(ids)`), however many jobs are
-- active. Returns one row per applied outcome: id, state (the new state, or 'removed').
-- name: complete
WITH o AS (
    SELECT * FROM json_to_recordset(%(outcomes)s::json) AS o(id text, token text, result text)
),
completed AS (
    UPDATE jobs j
    SET state = 'completed', result = o.result::json,
        finished_at = extract(epoch FROM clock_timestamp())::float8,
        attempts_made = j.attempts_made + 1, failed_reason = NULL,
        lease_token = NULL, lease_expires = NULL
    FROM o
    WHERE j.queue = %(queue)s AND j.id = ANY(ARRAY(SELECT id FROM o))
      AND j.id = o.id AND j.state = 'active' AND j.lease_token = o.token
    RETURNING j.id, j.state
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent
    FROM queues
    WHERE name = %(queue)s AND concurrency IS NOT NULL AND EXISTS (SELECT 1 FROM completed)
)
SELECT c.id, c.state FROM completed c CROSS JOIN notified
-- name: apply
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
o AS (
    SELECT * FROM json_to_recordset(%(outcomes)s::json)
        AS o(id text, token text, kind text, result text, reason text, stack text, delay float8,
             "drop" boolean)
),
dropped AS (
    DELETE FROM jobs j USING o
    WHERE o."drop" AND j.queue = %(queue)s AND j.id = ANY(ARRAY(SELECT id FROM o WHERE "drop"))
      AND j.id = o.id AND j.state = 'active' AND j.lease_token = o.token
    RETURNING j.id, 'removed'::text AS state
),
updated AS (
    UPDATE jobs j
    SET state = CASE o.kind WHEN 'completed' THEN 'completed'
                            WHEN 'failed' THEN 'failed'
                            WHEN 'retry' THEN CASE WHEN o.delay > 0 THEN 'delayed' ELSE 'waiting' END
                            ELSE 'waiting' END,
        result = CASE WHEN o.kind = 'completed' THEN o.result::json ELSE j.result END,
        finished_at = CASE WHEN o.kind IN ('completed', 'failed') THEN c.now ELSE j.finished_at END,
        attempts_made = CASE WHEN o.kind = 'released' THEN j.attempts_made ELSE j.attempts_made + 1 END,
        failed_reason = CASE o.kind WHEN 'completed' THEN NULL
                                    WHEN 'released' THEN j.failed_reason
                                    ELSE o.reason END,
        errors = CASE WHEN o.kind IN ('retry', 'failed')
                      THEN j.errors || jsonb_build_array(jsonb_build_object(
                               'attempt', j.attempts_made + 1, 'message', coalesce(o.reason, ''),
                               'stacktrace', coalesce(o.stack, ''), 'at', c.now))
                      ELSE j.errors END,
        run_at = CASE WHEN o.kind = 'retry' THEN CASE WHEN o.delay > 0 THEN c.now + o.delay END
                      ELSE j.run_at END,
        enqueued_at = CASE WHEN o.kind = 'retry' THEN c.now + greatest(o.delay, 0) ELSE j.enqueued_at END,
        started_at = CASE WHEN o.kind = 'released' THEN NULL ELSE j.started_at END,
        lease_token = NULL,
        lease_expires = NULL
    FROM o, clock c
    WHERE NOT o."drop" AND j.queue = %(queue)s AND j.id = ANY(ARRAY(SELECT id FROM o WHERE NOT "drop"))
      AND j.id = o.id AND j.state = 'active' AND j.lease_token = o.token
    RETURNING j.id, j.state
),
applied AS (
    SELECT id, state FROM dropped UNION ALL SELECT id, state FROM updated
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent
    FROM (SELECT 1 FROM applied
          WHERE state IN ('waiting', 'delayed')
             OR EXISTS (SELECT 1 FROM queues WHERE name = %(queue)s AND concurrency IS NOT NULL)
          LIMIT 1) any_row
)
SELECT a.id, a.state FROM applied a CROSS JOIN notified
