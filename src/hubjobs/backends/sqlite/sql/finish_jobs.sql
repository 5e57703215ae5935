-- Operation finish_jobs: apply the outcome of a try, fenced by the lease token. A statement
-- changes nothing (rowcount 0) when the job is no longer active under that token.
-- Parameters: :queue :id :token :now, and per statement :result :error :reason :delay
-- name: complete
UPDATE jobs
SET state = 'completed', result = :result, finished_at = :now, attempts_made = attempts_made + 1, failed_reason = NULL,
    lease_token = NULL, lease_expires = NULL
WHERE queue = :queue AND id = :id AND state = 'active' AND lease_token = :token
-- name: fail
UPDATE jobs
SET state = 'failed', finished_at = :now, attempts_made = attempts_made + 1, failed_reason = :reason,
    errors = json_insert(errors, '$[#]', json(:error)), lease_token = NULL, lease_expires = NULL
WHERE queue = :queue AND id = :id AND state = 'active' AND lease_token = :token
-- name: retry
UPDATE jobs
SET state = CASE WHEN :delay > 0 THEN 'delayed' ELSE 'waiting' END,
    run_at = CASE WHEN :delay > 0 THEN :now + :delay ELSE NULL END,
    enqueued_at = :now + :delay, attempts_made = attempts_made + 1, failed_reason = :reason,
    errors = json_insert(errors, '$[#]', json(:error)), lease_token = NULL, lease_expires = NULL
WHERE queue = :queue AND id = :id AND state = 'active' AND lease_token = :token
-- name: release
UPDATE jobs
SET state = 'waiting', lease_token = NULL, lease_expires = NULL, started_at = NULL
WHERE queue = :queue AND id = :id AND state = 'active' AND lease_token = :token
-- name: delete_job
DELETE FROM jobs WHERE queue = :queue AND id = :id
