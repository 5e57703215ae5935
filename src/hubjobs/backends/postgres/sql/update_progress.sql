-- Operation update_progress: store a running job's progress if its lease token still holds.
-- Parameters:
--   %(queue)s     text  the queue
--   %(id)s        text  the job
--   %(token)s     text  the lease token held by the worker
--   %(progress)s  text  progress as JSON text (a number 0-100 or an object)
-- name: update
UPDATE jobs SET progress = %(progress)s::json
WHERE queue = %(queue)s AND id = %(id)s AND state = 'active' AND lease_token = %(token)s
