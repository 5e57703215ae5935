-- Operation history: the throughput history (record_history / read_history).
-- Parameters:
--   add_minutes:    %(queues)s text[] %(minutes)s bigint[] %(completed)s bigint[] %(failed)s bigint[]
--                   (one element per queue and minute; no key twice)
--   add_durations:  %(queues)s text[] %(hours)s bigint[] %(kinds)s text[] %(buckets)s int[] %(ns)s bigint[]
--   prune:          %(queues)s text[] %(cutoff)s bigint (rows before the cutoff go)
--   read_points:    %(queue)s text (NULL = every queue) %(since)s %(until)s %(step)s (seconds per point)
--   read_durations: %(queue)s text (NULL = every queue) %(since_hour)s %(until)s
-- name: add_minutes
INSERT INTO throughput AS t (queue, minute, completed, failed)
SELECT * FROM unnest(%(queues)s::text[], %(minutes)s::bigint[], %(completed)s::bigint[], %(failed)s::bigint[])
ON CONFLICT (queue, minute) DO UPDATE SET completed = t.completed + excluded.completed,
                                          failed = t.failed + excluded.failed
-- name: add_durations
INSERT INTO durations AS d (queue, hour, kind, bucket, n)
SELECT * FROM unnest(%(queues)s::text[], %(hours)s::bigint[], %(kinds)s::text[], %(buckets)s::int[], %(ns)s::bigint[])
ON CONFLICT (queue, hour, kind, bucket) DO UPDATE SET n = d.n + excluded.n
-- name: prune_minutes
DELETE FROM throughput WHERE queue = ANY(%(queues)s::text[]) AND minute < %(cutoff)s
-- name: prune_durations
DELETE FROM durations WHERE queue = ANY(%(queues)s::text[]) AND hour < %(cutoff)s
-- name: read_points
SELECT (minute / %(step)s) * %(step)s AS at, sum(completed) AS completed, sum(failed) AS failed
FROM throughput
WHERE (%(queue)s::text IS NULL OR queue = %(queue)s::text) AND minute >= %(since)s AND minute < %(until)s
GROUP BY 1 ORDER BY 1
-- name: read_durations
SELECT kind, bucket, sum(n) AS n
FROM durations
WHERE (%(queue)s::text IS NULL OR queue = %(queue)s::text) AND hour >= %(since_hour)s AND hour < %(until)s
GROUP BY kind, bucket
