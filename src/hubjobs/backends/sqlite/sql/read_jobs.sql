-- Operation read_jobs: read-only queries for one job, lists, search, counts and logs.
-- Parameters: :queue :id :state :offset :limit :pattern (LIKE pattern, escaped with '\')
-- name: get
SELECT * FROM jobs WHERE queue = :queue AND id = :id
-- name: logs
SELECT at, line FROM job_logs WHERE queue = :queue AND job_id = :id ORDER BY rowid
-- name: list_run_order
SELECT * FROM jobs WHERE queue = :queue AND state = :state
ORDER BY priority, enqueued_at, rid LIMIT :limit OFFSET :offset
-- name: list_delayed
SELECT * FROM jobs WHERE queue = :queue AND state = 'delayed'
ORDER BY run_at, rid LIMIT :limit OFFSET :offset
-- name: list_active
SELECT * FROM jobs WHERE queue = :queue AND state = 'active'
ORDER BY started_at, rid LIMIT :limit OFFSET :offset
-- name: list_finished_desc
SELECT * FROM jobs WHERE queue = :queue AND state = :state
ORDER BY finished_at DESC, rid DESC LIMIT :limit OFFSET :offset
-- name: search
SELECT * FROM jobs
WHERE queue = :queue AND (:state IS NULL OR state = :state)
  AND (id LIKE :pattern ESCAPE '\' OR name LIKE :pattern ESCAPE '\' OR data LIKE :pattern ESCAPE '\'
       OR failed_reason LIKE :pattern ESCAPE '\')
ORDER BY rid DESC LIMIT :limit
-- name: counts
SELECT state, count(*) FROM jobs WHERE queue = :queue GROUP BY state
-- name: queues
SELECT DISTINCT queue FROM jobs UNION SELECT name FROM queues ORDER BY 1
-- name: next_delayed
SELECT min(run_at) FROM jobs WHERE queue = :queue AND state = 'delayed'
