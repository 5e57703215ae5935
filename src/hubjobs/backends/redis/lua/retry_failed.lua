#!lua flags=allow-oom
-- retry_failed: failed jobs back to the end of their waiting list with attempts, stall count,
-- result, progress and failed reason reset (their error history is kept). They become due
-- together, so they are appended in the order they were added.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] "all" or "ids"; ARGV[3] limit (for "all"); ARGV[4..] ids (for "ids").
-- Returns the ids moved.
--@include queue
local ids
if ARGV[2] == 'all' then
  ids = redis.call('ZRANGE', F, 0, tonumber(ARGV[3]) - 1)
else
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local out = {}
for _, id in ipairs(by_order_added(ids)) do
  local pack = redis.call('HGET', J, id)
  if pack and redis.call('ZREM', F, id) == 1 then
    local _, _, _, st, _, _, w = parse_meta(redis.call('HGET', J, id .. '\0m'))
    redis.call('HSET', J, id .. '\0m', make_meta('', 0, 0, st, '', '', w))
    redis.call('HDEL', J, id .. '\0r', id .. '\0g', id .. '\0x')
    local _, p = pack_head(pack)
    push_waiting(p, {id}, false)
    out[#out + 1] = id
  end
end
return out
