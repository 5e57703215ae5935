#!lua flags=allow-oom
-- extend_leases: renew the leases of running jobs whose token still holds; report the jobs
-- whose lease was lost and those an admin asked to cancel.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] lease in microseconds; ARGV[3] n; ARGV[4..3+n] job ids;
-- ARGV[4+n..3+2n] their tokens.
-- Returns: {lost ids}, {ids with a cancel request}.
--@include queue
local now = clock()
local n = tonumber(ARGV[3])
local expires = ustr(now + tonumber(ARGV[2]))
local lost, cancel, renew = {}, {}, {}
for i = 1, n do
  local id, token = ARGV[3 + i], ARGV[3 + n + i]
  local lease = redis.call('HGET', L, id)
  local ltok, flag
  if lease then ltok, flag = parse_lease(lease) end
  if not lease or ltok ~= token then
    lost[#lost + 1] = id
  else
    renew[#renew + 1] = expires
    renew[#renew + 1] = id
    if flag == '1' then cancel[#cancel + 1] = id end
  end
end
if #renew > 0 then
  for i = 1, #renew, 2 * CHUNK do
    redis.call('ZADD', A, 'XX', unpack(renew, i, math.min(i + 2 * CHUNK - 1, #renew)))
  end
end
return {lost, cancel}
