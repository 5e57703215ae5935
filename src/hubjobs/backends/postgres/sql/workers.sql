-- Operation workers: heartbeats of running workers; a worker disappears `ttl` seconds after its
-- last heartbeat.
-- Parameters:
--   %(id)s    text    the worker id
--   %(info)s  text    the WorkerInfo as JSON text
--   %(ttl)s   float8  seconds the record stays alive
-- name: upsert
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
saved AS (
    INSERT INTO workers (id, info, expires)
    SELECT %(id)s, %(info)s::json, c.now + %(ttl)s FROM clock c
    ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires = excluded.expires
),
pruned AS (
    DELETE FROM workers w USING clock c WHERE w.expires < c.now AND w.id <> %(id)s
)
SELECT 1
-- name: remove
DELETE FROM workers WHERE id = %(id)s
-- name: list
SELECT info FROM workers WHERE expires >= extract(epoch FROM clock_timestamp())::float8 ORDER BY id
