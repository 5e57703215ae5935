-- Migration 0003: a schedule can be paused (see schedules.sql, name set_paused).
-- Column: schedules.paused, 1 while an admin has the schedule paused (its ticks add no jobs).
-- name: apply
ALTER TABLE schedules ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
