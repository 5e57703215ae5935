-- Operation queue_settings: pause / resume and rate limit / global concurrency of a queue.
-- Parameters: :queue :paused :rate_max :rate_period :concurrency
-- name: set_paused
INSERT INTO queues (name, paused) VALUES (:queue, :paused)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused
-- name: configure
INSERT INTO queues (name, rate_max, rate_period, concurrency) VALUES (:queue, :rate_max, :rate_period, :concurrency)
ON CONFLICT (name) DO UPDATE SET rate_max = excluded.rate_max, rate_period = excluded.rate_period,
    concurrency = excluded.concurrency
-- name: get
SELECT paused, rate_max, rate_period, concurrency FROM queues WHERE name = :queue
