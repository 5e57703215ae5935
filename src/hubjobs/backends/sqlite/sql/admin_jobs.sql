-- Operation admin_jobs: retry failed, remove, promote, cancel, clean and drain.
-- Parameters: :queue :id :now :limit :before :state
-- name: retry_one
UPDATE jobs
SET state = 'waiting', attempts_made = 0, stalled_count = 0, enqueued_at = :now, run_at = NULL,
    finished_at = NULL, failed_reason = NULL, progress = NULL, result = NULL
WHERE queue = :queue AND id = :id AND state = 'failed'
RETURNING id
-- name: retry_all
UPDATE jobs
SET state = 'waiting', attempts_made = 0, stalled_count = 0, enqueued_at = :now, run_at = NULL,
    finished_at = NULL, failed_reason = NULL, progress = NULL, result = NULL
WHERE rid IN (SELECT rid FROM jobs WHERE queue = :queue AND state = 'failed' LIMIT :limit)
RETURNING id
-- name: remove_one
DELETE FROM jobs WHERE queue = :queue AND id = :id AND state != 'active' RETURNING id
-- name: promote_one
UPDATE jobs SET state = 'waiting', enqueued_at = :now, run_at = NULL
WHERE queue = :queue AND id = :id AND state = 'delayed'
RETURNING id
-- name: cancel_one
UPDATE jobs SET cancel_requested = 1 WHERE queue = :queue AND id = :id AND state = 'active' RETURNING id
-- name: clean_finished
DELETE FROM jobs WHERE rid IN (
    SELECT rid FROM jobs WHERE queue = :queue AND state = :state AND finished_at < :before LIMIT :limit
)
-- name: clean_unfinished
DELETE FROM jobs WHERE rid IN (
    SELECT rid FROM jobs WHERE queue = :queue AND state = :state AND created_at < :before LIMIT :limit
)
-- name: drain_waiting
DELETE FROM jobs WHERE queue = :queue AND state = 'waiting'
-- name: drain_delayed
DELETE FROM jobs WHERE queue = :queue AND state = 'delayed'
