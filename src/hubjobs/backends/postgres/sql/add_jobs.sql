-- Operation add_jobs: insert a batch of jobs into one queue in one statement; an id that
-- already exists (any state) is left untouched and reported with created = false and its state.
-- Delay and run_at are resolved on the server's clock. Idle workers are woken with NOTIFY, which
-- PostgreSQL delivers on commit, so this also works inside a caller's own transaction.
-- Parameters:
--   %(queue)s    text  the queue
--   %(channel)s  text  the NOTIFY channel of this schema's job wake-ups (payload: queue)
--   %(jobs)s     text  a JSON array with one object per job (no id twice), keys:
--                      id, name, data (JSON text), priority, max_attempts, max_stalled,
--                      options (JSON text: the options without a column of their own),
--                      delay (seconds from now, 0 = at once),
--                      run_at (absolute epoch seconds or null; wins over the delay)
-- Returns one row per input, in input order: id, created, state, created_at (new jobs only).
-- name: insert
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
input AS (
    SELECT i.*, c.now,
           CASE WHEN i.run_at IS NOT NULL THEN i.run_at
                WHEN i.delay > 0 THEN c.now + i.delay END AS due
    FROM ROWS FROM (json_to_recordset(%(jobs)s::json)
                    AS (id text, name text, data text, priority int, max_attempts int, max_stalled int,
                        options text, delay float8, run_at float8))
         WITH ORDINALITY AS i(id, name, data, priority, max_attempts, max_stalled, options, delay, run_at, ord),
         clock c
),
inserted AS (
    INSERT INTO jobs (queue, id, name, data, state, priority, enqueued_at, run_at, created_at,
                      max_attempts, max_stalled, options)
    SELECT %(queue)s, id, name, data::json,
           CASE WHEN due > now THEN 'delayed' ELSE 'waiting' END,
           priority,
           CASE WHEN due > now THEN due ELSE now END,
           CASE WHEN due > now THEN due END,
           now, max_attempts, max_stalled, options::json
    FROM input
    ORDER BY ord
    ON CONFLICT (queue, id) DO NOTHING
    RETURNING id, state, created_at
),
notified AS (
    SELECT count(pg_notify(%(channel)s, %(queue)s)) AS sent FROM (SELECT 1 FROM inserted LIMIT 1) any_row
)
SELECT i.id, (ins.id IS NOT NULL) AS created,
       coalesce(ins.state, (SELECT old.state FROM jobs old WHERE old.queue = %(queue)s AND old.id = i.id))
           AS state,
       ins.created_at
FROM input i
LEFT JOIN inserted ins ON ins.id = i.id
CROSS JOIN notified
ORDER BY i.ord
