-- Operation add_jobs: insert one job unless (queue, id) exists.
-- Parameters: :queue :id :name :data :state :priority :enqueued_at :run_at :created_at
--             :max_attempts :max_stalled :options
-- name: insert
INSERT INTO jobs (queue, id, name, data, state, priority, enqueued_at, run_at, created_at,
                  max_attempts, max_stalled, options)
VALUES (:queue, :id, :name, :data, :state, :priority, :enqueued_at, :run_at, :created_at,
        :max_attempts, :max_stalled, :options)
ON CONFLICT (queue, id) DO NOTHING
-- name: existing_state
SELECT state FROM jobs WHERE queue = :queue AND id = :id
