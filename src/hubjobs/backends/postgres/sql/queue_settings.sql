-- Operation queue_settings: pause / resume, rate limit and global concurrency of a queue.
-- Resuming or reconfiguring wakes the queue's idle workers (NOTIFY, delivered on commit).
-- Parameters:
--   %(queue)s        text    the queue
--   %(channel)s      text    the NOTIFY channel of this schema's job wake-ups (payload: queue)
--   %(paused)s       bool    set_paused
--   %(rate_max)s     int     configure: starts allowed per period (NULL: no rate limit)
--   %(rate_period)s  float8  configure: the period in seconds
--   %(concurrency)s  int     configure: jobs active at once across all workers (NULL: no limit)
-- name: set_paused
WITH saved AS (
    INSERT INTO queues (name, paused) VALUES (%(queue)s, %(paused)s)
    ON CONFLICT (name) DO UPDATE SET paused = excluded.paused
    RETURNING paused
)
SELECT pg_notify(%(channel)s, %(queue)s) FROM saved WHERE NOT paused
-- name: configure
WITH saved AS (
    INSERT INTO queues (name, rate_max, rate_period, concurrency)
    VALUES (%(queue)s, %(rate_max)s, %(rate_period)s, %(concurrency)s)
    ON CONFLICT (name) DO UPDATE SET rate_max = excluded.rate_max, rate_period = excluded.rate_period,
                                     concurrency = excluded.concurrency
    WHERE (queues.rate_max, queues.rate_period, queues.concurrency)
          IS DISTINCT FROM (excluded.rate_max, excluded.rate_period, excluded.concurrency)
    RETURNING name
)
SELECT pg_notify(%(channel)s, %(queue)s) FROM saved
-- name: get
SELECT paused, rate_max, rate_period, concurrency FROM queues WHERE name = %(queue)s
