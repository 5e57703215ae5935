#!lua flags=allow-oom
-- recover_stalled: active jobs whose lease expired go back to the front of their waiting list
-- with their stall count raised, or to failed once the count passes their max_stalled.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] most jobs to recover in this call.
-- Returns: {requeued ids}, {failed ids}.
--@include queue
local now = clock()
local ids = redis.call('ZRANGEBYSCORE', A, '-inf', '(' .. ustr(now), 'LIMIT', 0, tonumber(ARGV[2]))
local requeued, failed, failed_pairs = {}, {}, {}
for _, id in ipairs(ids) do
  local lease = redis.call('HGET', L, id)
  local pack = redis.call('HGET', J, id)
  if lease and pack then
    local _, _, started, a, k, ra, p, worker = parse_lease(lease)
    local _, _, max_stalled = pack_head(pack)
    k = tonumber(k) + 1
    if k > max_stalled then
      local reason = 'job stalled more than ' .. max_stalled .. ' time(s) (its worker died or froze)'
      local errs = append_error(id, error_entry(tonumber(a) + 1, '"' .. reason .. '"', '""', now))
      redis.call('HSET', J, id .. '\0m', make_meta('f', a, k, started, secs(now), ra, worker),
        id .. '\0x', reason, id .. '\0e', errs)
      failed[#failed + 1] = id
      failed_pairs[#failed_pairs + 1] = ustr(now)
      failed_pairs[#failed_pairs + 1] = id
    else
      redis.call('HSET', J, id .. '\0m', make_meta('', a, k, started, '', ra, worker))
      push_waiting(p, {id}, true)
      requeued[#requeued + 1] = id
    end
  end
end
if #ids > 0 then
  chunked('HDEL', L, ids)
  chunked('ZREM', A, ids)
  if #failed_pairs > 0 then zadd_pairs(F, failed_pairs) end
end
return {requeued, failed}
