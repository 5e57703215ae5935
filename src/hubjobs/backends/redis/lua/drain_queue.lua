#!lua flags=allow-oom
-- drain_queue: remove waiting jobs (and delayed ones when asked), at most a budget per call
-- so that Redis is never blocked for long; the caller repeats while more remain.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] "1" to include delayed jobs; ARGV[3] most jobs removed this call.
-- Returns: how many were removed, 1 if more remain (else 0).
--@include queue
local budget = tonumber(ARGV[3])
local removed = 0
for _, p in ipairs(redis.call('ZRANGE', W, 0, -1)) do
  if removed >= budget then break end
  local key = waiting_key(p)
  local ids = redis.call('LRANGE', key, 0, budget - removed - 1)
  if #ids > 0 then
    delete_jobs(ids)
    redis.call('LTRIM', key, #ids, -1)
    removed = removed + #ids
  end
  if redis.call('LLEN', key) == 0 then redis.call('ZREM', W, p) end
end
if ARGV[2] == '1' and removed < budget then
  local ids = redis.call('ZRANGE', D, 0, budget - removed - 1)
  if #ids > 0 then
    delete_jobs(ids)
    chunked('ZREM', D, ids)
    removed = removed + #ids
  end
  if redis.call('ZCARD', D) == 0 then redis.call('HDEL', M, 'next_due') end
end
local more = 0
if removed >= budget then more = 1 end
return {removed, more}
