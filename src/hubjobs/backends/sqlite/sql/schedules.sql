-- Operation schedules: stored schedules and their run bookkeeping (compare-and-set).
-- Parameters: :id :spec (JSON) :next_run :last_run :expected_last_run :paused (0 or 1)
-- name: upsert
INSERT INTO schedules (id, spec, next_run, last_run) VALUES (:id, :spec, :next_run, :last_run)
ON CONFLICT (id) DO UPDATE SET
    next_run = CASE WHEN schedules.spec = excluded.spec THEN schedules.next_run ELSE excluded.next_run END,
    spec = excluded.spec
-- name: remove
DELETE FROM schedules WHERE id = :id
-- name: list
SELECT id, spec, next_run, last_run, paused FROM schedules ORDER BY id
-- name: record_run
UPDATE schedules SET last_run = :last_run, next_run = :next_run
WHERE id = :id AND ((last_run IS NULL AND :expected_last_run IS NULL) OR last_run = :expected_last_run)
-- name: set_paused
UPDATE schedules SET paused = :paused WHERE id = :id
