-- Operation extend_leases: renew the lease of a running job if the token still holds.
-- Parameters: :queue :id :token :lease_expires
-- name: extend
UPDATE jobs SET lease_expires = :lease_expires
WHERE queue = :queue AND id = :id AND state = 'active' AND lease_token = :token
RETURNING cancel_requested
