#!lua flags=allow-oom
-- record_schedule_run: compare-and-set a schedule's last and next run: applied only if its
-- last run is still the expected one, so that one tick adds one job whatever the number of
-- scheduler processes.
-- KEYS[1] schedule specs hash; KEYS[2] schedule runs hash (id -> "last|next").
-- ARGV[1] id; ARGV[2] expected last run ("" = none); ARGV[3] new last run; ARGV[4] new next run ("" = none).
-- Returns 1 if moved, 0 if another process moved it first (or the schedule is gone).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local runs = redis.call('HGET', KEYS[2], ARGV[1]) or '|'
local last = string.match(runs, '^([^|]*)|')
if last ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. '|' .. ARGV[4])
return 1
