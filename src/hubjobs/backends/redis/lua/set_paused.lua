#!lua flags=allow-oom
-- set_paused: pause or resume claims on a queue for every worker; resuming wakes idle workers.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] "1" to pause, "0" to resume.
--@include queue
redis.call('HSET', M, 'paused', ARGV[2])
if ARGV[2] == '0' then wake() end
return 1
