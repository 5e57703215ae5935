#!lua flags=allow-oom
-- set_schedule_paused: pause a schedule (its ticks add no jobs) or resume it.
-- KEYS[1] schedule specs hash; KEYS[2] schedule runs hash (unused); KEYS[3] set of paused schedule ids.
-- ARGV[1] id; ARGV[2] "1" to pause, "0" to resume.
-- Returns 1 if the schedule exists, else 0.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[3], ARGV[1])
else
  redis.call('SREM', KEYS[3], ARGV[1])
end
return 1
