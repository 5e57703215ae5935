#!lua
-- add_job: add one job that waits now (a single add without delay or run_at), with the least
-- work on the path from an add to an idle worker's wake-up (no library, four keys). A job
-- whose id exists is left as it is and nil is returned: the caller asks add_jobs for its state.
-- Nil is also returned, adding nothing, while a delayed job is due and not yet moved to its
-- waiting list: add_jobs moves it first, so that it runs before this later job.
-- Producers get an OOM error when Redis is out of memory (no allow-oom flag).
-- KEYS[1] J jobs hash, KEYS[2] W zset of priorities having a waiting list, KEYS[3] K wake-up
--   marker, KEYS[4] M settings hash (the queue layout is documented in lib/queue.lua).
-- ARGV[1] key base; ARGV[2] id (stored form); ARGV[3] priority; ARGV[4] the pack tail (the pack
--   after "[created,seq,", starting with the priority).
-- Returns: the creation time (exact seconds text, microseconds), or nil.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local due = tonumber(redis.call('HGET', KEYS[4], 'next_due'))
if due and due <= now then return false end
local id, prio = ARGV[2], ARGV[3]
if redis.call('HEXISTS', KEYS[1], id) == 1 then return false end
local created = string.format('%d.%06d', tonumber(t[1]), tonumber(t[2]))
local seq = redis.call('HINCRBY', KEYS[4], 'seq', 1)
redis.call('HSET', KEYS[1], id, '[' .. created .. ',' .. seq .. ',' .. ARGV[4])
-- an empty list registers its priority and wakes idle workers (as push_waiting in lib/queue.lua)
if redis.call('RPUSH', ARGV[1] .. 'w:' .. prio, id) == 1 then
  redis.call('ZADD', KEYS[2], prio, prio)
  redis.call('ZADD', KEYS[3], 0, 'm')
end
return created
