-- Operation claim_jobs: promote due delayed jobs, then claim waiting jobs in priority, then
-- FIFO order, honouring the queue's paused flag, rate limit and global concurrency.
-- Parameters: :queue :now :limit :token :lease_expires :worker_id :window_start
-- name: promote_due
UPDATE jobs SET state = 'waiting', enqueued_at = run_at
WHERE queue = :queue AND state = 'delayed' AND run_at <= :now
-- name: settings
SELECT paused, rate_max, rate_period, concurrency FROM queues WHERE name = :queue
-- name: active_count
SELECT count(*) FROM jobs WHERE queue = :queue AND state = 'active'
-- name: prune_rate
DELETE FROM rate_starts WHERE queue = :queue AND at <= :window_start
-- name: rate_count
SELECT count(*) FROM rate_starts WHERE queue = :queue AND at > :window_start
-- name: record_start
INSERT INTO rate_starts (queue, at) VALUES (:queue, :now)
-- name: claim
UPDATE jobs
SET state = 'active', lease_token = :token, lease_expires = :lease_expires, worker_id = :worker_id,
    started_at = :now, cancel_requested = 0
WHERE rid IN (
    SELECT rid FROM jobs WHERE queue = :queue AND state = 'waiting'
    ORDER BY priority, enqueued_at, rid LIMIT :limit
)
RETURNING *
-- name: fail_corrupt
UPDATE jobs SET state = 'failed', finished_at = :now, lease_token = NULL, failed_reason = :reason
WHERE rid = :rid
