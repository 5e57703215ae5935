-- Operation read_jobs: read-only queries for one job, lists, search, counts, logs and queues.
-- Each list query is served by the partial index of its state (see migration 0001).
-- Parameters:
--   %(queue)s    text  the queue
--   %(id)s       text  a job id (get, logs)
--   %(state)s    text  a state (list_run_order, list_finished_desc, search: NULL = any)
--   %(offset)s   int   rows skipped (lists)
--   %(limit)s    int   most rows returned
--   %(pattern)s  text  ILIKE pattern, '\' escapes (search)
-- name: get
SELECT * FROM jobs WHERE queue = %(queue)s AND id = %(id)s
-- name: logs
SELECT l.at, l.line
FROM jobs j JOIN job_logs l ON l.job_rid = j.rid
WHERE j.queue = %(queue)s AND j.id = %(id)s
ORDER BY l.line_no
-- name: list_run_order
SELECT * FROM jobs WHERE queue = %(queue)s AND state = 'waiting'
ORDER BY priority, enqueued_at, rid LIMIT %(limit)s OFFSET %(offset)s
-- name: list_delayed
SELECT * FROM jobs WHERE queue = %(queue)s AND state = 'delayed'
ORDER BY run_at, rid LIMIT %(limit)s OFFSET %(offset)s
-- name: list_active
SELECT * FROM jobs WHERE queue = %(queue)s AND state = 'active'
ORDER BY started_at, rid LIMIT %(limit)s OFFSET %(offset)s
-- name: list_finished_desc
SELECT * FROM jobs WHERE queue = %(queue)s AND state = %(state)s AND state IN ('completed', 'failed')
ORDER BY finished_at DESC, rid DESC LIMIT %(limit)s OFFSET %(offset)s
-- name: search
SELECT * FROM jobs
WHERE queue = %(queue)s AND (%(state)s::text IS NULL OR state = %(state)s::text)
  AND (id ILIKE %(pattern)s OR name ILIKE %(pattern)s OR data::text ILIKE %(pattern)s
       OR failed_reason ILIKE %(pattern)s)
ORDER BY rid DESC LIMIT %(limit)s
-- name: counts
SELECT 'waiting' AS state, count(*) AS n FROM jobs WHERE queue = %(queue)s AND state = 'waiting'
UNION ALL
SELECT 'delayed', count(*) FROM jobs WHERE queue = %(queue)s AND state = 'delayed'
UNION ALL
SELECT 'active', count(*) FROM jobs WHERE queue = %(queue)s AND state = 'active'
UNION ALL
SELECT 'completed', count(*) FROM jobs WHERE queue = %(queue)s AND state = 'completed'
UNION ALL
SELECT 'failed', count(*) FROM jobs WHERE queue = %(queue)s AND state = 'failed'
-- name: queues
WITH RECURSIVE job_queues AS (
    SELECT min(queue) AS queue FROM jobs
    UNION ALL
    SELECT (SELECT min(queue) FROM jobs WHERE queue > q.queue) FROM job_queues q WHERE q.queue IS NOT NULL
)
SELECT queue FROM job_queues WHERE queue IS NOT NULL
UNION
SELECT name FROM queues
ORDER BY 1
-- name: next_delayed
SELECT min(run_at) AS due FROM jobs WHERE queue = %(queue)s AND state = 'delayed'
-- name: now
SELECT extract(epoch FROM clock_timestamp())::float8 AS now
