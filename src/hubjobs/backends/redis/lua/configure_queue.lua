#!lua flags=allow-oom
-- configure_queue: store a queue's rate limit and global concurrency ("" = no limit) and wake
-- idle workers, since a limit may have loosened.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] rate_max; ARGV[3] rate_period (seconds); ARGV[4] concurrency.
--@include queue
local names = {'rate_max', 'rate_period', 'concurrency'}
for i, name in ipairs(names) do
  local v = ARGV[i + 1]
  if v == '' then redis.call('HDEL', M, name) else redis.call('HSET', M, name, v) end
end
wake()
return 1
