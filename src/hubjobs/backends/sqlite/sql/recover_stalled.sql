-- Operation recover_stalled: active jobs whose lease expired go back to waiting with their
-- stall count raised, or to failed once the count passes max_stalled.
-- Parameters: :queue :now :limit :error (JSON of the try error recorded on failure)
-- name: fail_over_limit
UPDATE jobs
SET state = 'failed', finished_at = :now, stalled_count = stalled_count + 1, lease_token = NULL,
    lease_expires = NULL,
    failed_reason = 'job stalled more than ' || max_stalled || ' time(s) (its worker died or froze)',
    errors = json_insert(errors, '$[#]', json_object('attempt', attempts_made + 1,
        'message', 'job stalled more than ' || max_stalled || ' time(s) (its worker died or froze)',
        'stacktrace', '', 'at', :now))
WHERE rid IN (
    SELECT rid FROM jobs WHERE queue = :queue AND state = 'active' AND lease_expires < :now
      AND stalled_count + 1 > max_stalled LIMIT :limit
)
RETURNING id
-- name: requeue
UPDATE jobs
SET state = 'waiting', stalled_count = stalled_count + 1, lease_token = NULL, lease_expires = NULL
WHERE rid IN (
    SELECT rid FROM jobs WHERE queue = :queue AND state = 'active' AND lease_expires < :now LIMIT :limit
)
RETURNING id
