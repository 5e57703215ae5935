-- Operation history: the throughput history (record_history / read_history).
-- Parameters:
--   add_minute:    :queue :minute (epoch s, multiple of 60) :completed :failed
--   add_duration:  :queue :hour (epoch s, multiple of 3600) :kind ('wait'|'run') :bucket :n
--   prune_*:       :queue :cutoff (epoch s; rows before it go)
--   read_points:   :queue (NULL = every queue) :since :until :step (seconds per point)
--   read_durations::queue (NULL = every queue) :since_hour :until
-- name: add_minute
INSERT INTO throughput (queue, minute, completed, failed) VALUES (:queue, :minute, :completed, :failed)
ON CONFLICT (queue, minute) DO UPDATE SET completed = completed + excluded.completed,
                                          failed = failed + excluded.failed
-- name: add_duration
INSERT INTO durations (queue, hour, kind, bucket, n) VALUES (:queue, :hour, :kind, :bucket, :n)
ON CONFLICT (queue, hour, kind, bucket) DO UPDATE SET n = n + excluded.n
-- name: prune_minutes
DELETE FROM throughput WHERE queue = :queue AND minute < :cutoff
-- name: prune_durations
DELETE FROM durations WHERE queue = :queue AND hour < :cutoff
-- name: read_points
SELECT (minute / :step) * :step AS at, sum(completed) AS completed, sum(failed) AS failed
FROM throughput
WHERE (:queue IS NULL OR queue = :queue) AND minute >= :since AND minute < :until
GROUP BY 1 ORDER BY 1
-- name: read_durations
SELECT kind, bucket, sum(n) AS n
FROM durations
WHERE (:queue IS NULL OR queue = :queue) AND hour >= :since_hour AND hour < :until
GROUP BY kind, bucket
