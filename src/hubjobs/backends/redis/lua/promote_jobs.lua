#!lua flags=allow-oom
-- promote_jobs: delayed jobs to the end of their waiting list now (in the order they were added).
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2..] job ids.
-- Returns the ids promoted.
--@include queue
local out, given = {}, {}
for i = 2, #ARGV do given[#given + 1] = ARGV[i] end
for _, id in ipairs(by_order_added(given)) do
  local pack = redis.call('HGET', J, id)
  if pack and redis.call('ZREM', D, id) == 1 then
    local m = redis.call('HGET', J, id .. '\0m')
    if m then
      local s, a, k, st, f, _, w = parse_meta(m)
      redis.call('HSET', J, id .. '\0m', make_meta(s, a, k, st, f, '', w))
    end
    local _, p = pack_head(pack)
    push_waiting(p, {id}, false)
    out[#out + 1] = id
  end
end
return out
