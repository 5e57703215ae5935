#!lua flags=no-writes
-- count_jobs: how many jobs are in each state.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base.
-- Returns: waiting, delayed, active, completed, failed.
--@include queue
local waiting = 0
for _, p in ipairs(redis.call('ZRANGE', W, 0, -1)) do
  waiting = waiting + redis.call('LLEN', waiting_key(p))
end
return {waiting, redis.call('ZCARD', D), redis.call('ZCARD', A), redis.call('ZCARD', C), redis.call('ZCARD', F)}
