-- Operation events: the per-queue cross-process event stream.
-- Parameters: :queue :event :job_id :at :data (JSON) :after (event id) :limit :max_len
-- name: insert
INSERT INTO events (queue, event, job_id, at, data) VALUES (:queue, :event, :job_id, :at, :data)
-- name: trim
DELETE FROM events WHERE queue = :queue AND id <= (
    SELECT id FROM events WHERE queue = :queue ORDER BY id DESC LIMIT 1 OFFSET :max_len
)
-- name: read_after
SELECT id, queue, event, job_id, at, data FROM events WHERE queue = :queue AND id > :after
ORDER BY id LIMIT :limit
-- name: last_id
SELECT coalesce(max(id), 0) FROM events WHERE queue = :queue
