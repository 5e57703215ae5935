-- Operation update_progress: store a running job's progress if the token still holds.
-- Parameters: :queue :id :token :progress (JSON)
-- name: update
UPDATE jobs SET progress = :progress
WHERE queue = :queue AND id = :id AND state = 'active' AND lease_token = :token
