#!lua flags=allow-oom
-- append_log: append a timestamped line to an existing job's log, keeping the newest lines.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] job id; ARGV[3] line; ARGV[4] most lines kept.
-- Log entries are "<seconds> <line>". Returns 1 if appended, 0 if the job does not exist.
--@include queue
local id = ARGV[2]
if redis.call('HEXISTS', J, id) == 0 then return 0 end
local key = log_key(id)
redis.call('RPUSH', key, secs(clock()) .. ' ' .. ARGV[3])
redis.call('LTRIM', key, -tonumber(ARGV[4]), -1)
redis.call('SADD', G, id)
return 1
