-- Operation extend_leases: renew the leases of running jobs whose token still holds.
-- Parameters:
--   %(queue)s          text    the queue
--   %(leases)s         text    a JSON array of {"id", "token"} (the lease tokens held by the worker)
--   %(lease_seconds)s  float8  new lease length from the server's now
-- Returns one row per renewed lease: id, cancel_requested. Missing ids lost their lease.
-- name: extend
UPDATE jobs j
SET lease_expires = extract(epoch FROM clock_timestamp())::float8 + %(lease_seconds)s
FROM json_to_recordset(%(leases)s::json) AS l(id text, token text)
WHERE j.queue = %(queue)s AND j.id = ANY(ARRAY(SELECT id FROM json_to_recordset(%(leases)s::json) AS x(id text)))
  AND j.id = l.id AND j.state = 'active' AND j.lease_token = l.token
RETURNING j.id, j.cancel_requested
