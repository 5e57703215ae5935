#!lua flags=no-writes
-- list_workers: WorkerInfo JSON of every worker whose heartbeat has not expired.
-- KEYS[1] workers hash; KEYS[2] worker expiry zset (microseconds).
-- ARGV: none.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%d', now), '+inf')
if #ids == 0 then return {} end
local out = {}
for _, info in ipairs(redis.call('HMGET', KEYS[1], unpack(ids))) do
  if info then out[#out + 1] = info end
end
return out
