-- Operation workers: heartbeats of running workers.
-- Parameters: :id :info (JSON WorkerInfo) :expires :now
-- name: upsert
INSERT INTO workers (id, info, expires) VALUES (:id, :info, :expires)
ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires = excluded.expires
-- name: remove
DELETE FROM workers WHERE id = :id
-- name: prune
DELETE FROM workers WHERE expires < :now
-- name: list
SELECT info FROM workers WHERE expires >= :now ORDER BY id
