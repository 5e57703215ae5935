#!lua flags=allow-oom
-- record_heartbeat: register or refresh a worker and forget workers whose heartbeat expired.
-- KEYS[1] workers hash (id -> WorkerInfo JSON); KEYS[2] worker expiry zset (microseconds).
-- ARGV[1] worker id; ARGV[2] WorkerInfo JSON; ARGV[3] time to live in microseconds.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], string.format('%d', now + tonumber(ARGV[3])), ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%d', now), 'LIMIT', 0, 100)
if #expired > 0 then
  redis.call('HDEL', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
return 1
