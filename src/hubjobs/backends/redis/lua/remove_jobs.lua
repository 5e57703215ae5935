#!lua flags=allow-oom
-- remove_jobs: delete jobs that are not active, with their logs.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2..] job ids.
-- Returns the ids removed.
--@include queue
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local pack = redis.call('HGET', J, id)
  if pack then
    local state = job_state(id)
    if state ~= 'active' then
      if state == 'completed' then
        redis.call('ZREM', C, id)
      elseif state == 'failed' then
        redis.call('ZREM', F, id)
      elseif state == 'delayed' then
        redis.call('ZREM', D, id)
      else
        local _, p = pack_head(pack)
        redis.call('LREM', waiting_key(p), 1, id)
      end
      delete_jobs({id})
      out[#out + 1] = id
    end
  end
end
return out
