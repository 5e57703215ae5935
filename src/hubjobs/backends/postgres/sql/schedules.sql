-- Operation schedules: stored schedules and their run bookkeeping (compare-and-set).
-- Parameters:
--   %(id)s                 text    the schedule id
--   %(spec)s               text    the schedule spec as JSON text
--   %(next_run)s           float8  next run, epoch seconds or NULL
--   %(last_run)s           float8  last run, epoch seconds or NULL
--   %(expected_last_run)s  float8  record_run: the last_run the caller read (NULL: never ran)
--   %(paused)s             bool    set_paused: the new paused flag
-- name: upsert
INSERT INTO schedules (id, spec, next_run, last_run) VALUES (%(id)s, %(spec)s, %(next_run)s, %(last_run)s)
ON CONFLICT (id) DO UPDATE SET
    next_run = CASE WHEN schedules.spec = excluded.spec THEN schedules.next_run ELSE excluded.next_run END,
    spec = excluded.spec
-- name: remove
DELETE FROM schedules WHERE id = %(id)s
-- name: list
SELECT id, spec, next_run, last_run, paused FROM schedules ORDER BY id
-- name: record_run
UPDATE schedules SET last_run = %(last_run)s, next_run = %(next_run)s
WHERE id = %(id)s AND last_run IS NOT DISTINCT FROM %(expected_last_run)s::float8
-- name: set_paused
UPDATE schedules SET paused = %(paused)s WHERE id = %(id)s
