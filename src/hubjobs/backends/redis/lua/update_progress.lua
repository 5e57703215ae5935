#!lua flags=allow-oom
-- update_progress: store a running job's progress if its lease token still holds.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] job id; ARGV[3] lease token; ARGV[4] progress JSON.
-- Returns 1 if stored, 0 if the token is stale.
--@include queue
local id = ARGV[2]
local lease = redis.call('HGET', L, id)
if not lease or parse_lease(lease) ~= ARGV[3] then return 0 end
redis.call('HSET', J, id .. '\0g', ARGV[4])
return 1
