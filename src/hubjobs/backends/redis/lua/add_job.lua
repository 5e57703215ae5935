#!lua
-- add_job: add one job that waits now (a single add without delay or run_at), with the least
-- work on the path from an add to an idle worker's wake-up (no library, three keys). A job
-- whose id exists is left as it is and nil is returned: the caller asks add_jobs for its state.
-- Producers get an OOM error when Redis is out of memory (no allow-oom flag).
-- KEYS[1] J jobs hash, KEYS[2] W zset of priorities having a waiting list, KEYS[3] K wake-up
--   marker (the queue layout is documented in lib/queue.lua).
-- ARGV[1] key base; ARGV[2] id (stored form); ARGV[3] priority; ARGV[4] the pack tail (the pack
--   after "[created,", starting with the priority).
-- Returns: the creation time (seconds text), or nil when the id already exists.
local t = redis.call('TIME')
local created = string.format('%.3f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
local id, prio = ARGV[2], ARGV[3]
if redis.call('HSETNX', KEYS[1], id, '[' .. created .. ',' .. ARGV[4]) == 0 then return false end
-- an empty list registers its priority and wakes idle workers (as push_waiting in lib/queue.lua)
if redis.call('RPUSH', ARGV[1] .. 'w:' .. prio, id) == 1 then
  redis.call('ZADD', KEYS[2], prio, prio)
  redis.call('ZADD', KEYS[3], 0, 'm')
end
return created
