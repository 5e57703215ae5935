-- Migration 0004: a schedule can be paused (see schedules.sql, name set_paused).
-- Column: schedules.paused, true while an admin has the schedule paused (its ticks add no jobs).
-- name: apply
ALTER TABLE schedules ADD COLUMN IF NOT EXISTS paused boolean NOT NULL DEFAULT false;
