#!lua flags=allow-oom
-- cancel_jobs: flag active jobs for cancellation; their worker sees it at lease renewal.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2..] job ids.
-- Returns the ids flagged.
--@include queue
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local lease = redis.call('HGET', L, id)
  if lease then
    local token, _, started, a, k, ra, p, worker = parse_lease(lease)
    redis.call('HSET', L, id, token .. '|1|' .. started .. '|' .. a .. '|' .. k .. '|' .. ra .. '|' .. p .. '|' .. worker)
    out[#out + 1] = id
  end
end
return out
