#!lua flags=allow-oom
-- clean_jobs: remove jobs of one state older than a cutoff: by finished time for completed and
-- failed, by created time for waiting and delayed (which scans that state's jobs).
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] state; ARGV[3] age in microseconds; ARGV[4] most jobs removed.
-- Returns how many jobs were removed.
--@include queue
local state, limit = ARGV[2], tonumber(ARGV[4])
local cutoff = clock() - tonumber(ARGV[3])
local removed = {}

local function created_before(id)
  local pack = redis.call('HGET', J, id)
  if not pack then return true end
  local c = pack_head(pack)
  return text_us(c) < cutoff
end

if limit <= 0 then return 0 end
if state == 'completed' or state == 'failed' then
  local z = (state == 'completed') and C or F
  removed = redis.call('ZRANGEBYSCORE', z, '-inf', '(' .. ustr(cutoff), 'LIMIT', 0, limit)
  if #removed > 0 then chunked('ZREM', z, removed) end
elseif state == 'delayed' then
  for _, id in ipairs(redis.call('ZRANGE', D, 0, -1)) do
    if #removed >= limit then break end
    if created_before(id) then removed[#removed + 1] = id end
  end
  if #removed > 0 then chunked('ZREM', D, removed) end
elseif state == 'waiting' then
  for _, p in ipairs(redis.call('ZRANGE', W, 0, -1)) do
    if #removed >= limit then break end
    local key = waiting_key(p)
    local keep, gone = {}, 0
    for _, id in ipairs(redis.call('LRANGE', key, 0, -1)) do
      if #removed < limit and created_before(id) then
        removed[#removed + 1] = id
        gone = gone + 1
      else
        keep[#keep + 1] = id
      end
    end
    if gone > 0 then
      redis.call('DEL', key)
      if #keep > 0 then chunked('RPUSH', key, keep) else redis.call('ZREM', W, p) end
    end
  end
else
  return redis.error_reply('cannot clean jobs in state ' .. state)
end
delete_jobs(removed)
return #removed
