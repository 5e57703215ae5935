#!lua
-- add_jobs: add jobs to a queue; a job whose id exists (in any state) is left as it is.
-- Producers get an OOM error when Redis is out of memory (no allow-oom flag).
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] number of jobs n; then 2 values per job:
--   id, then "<when>;<pack tail>" where the pack tail is the pack after "[created,seq," (it
--   starts with the priority) and when is "" = waiting now, "+<us>" = delayed by <us> microseconds,
--   "<us>" = absolute run_at in microseconds.
-- Returns: the creation time (seconds) of added jobs, {index, state} pairs of the jobs whose
-- id already existed (1-based), {indexes} of jobs added as delayed. Others were added waiting.
--@include queue
local now = clock()
local created = usecs(now)
local n = tonumber(ARGV[2])
local existing, delayed = {}, {}
local batch_prio, batch = nil, {}
local seq = next_seq(n)

local function flush()
  if #batch > 0 then push_waiting(batch_prio, batch, false) end
  batch = {}
end

for i = 1, n do
  local id, arg = ARGV[1 + 2 * i], ARGV[2 + 2 * i]
  local sep = string.find(arg, ';', 1, true)
  local when, tail = string.sub(arg, 1, sep - 1), string.sub(arg, sep + 1)
  if redis.call('HSETNX', J, id, '[' .. created .. ',' .. (seq + i - 1) .. ',' .. tail) == 1 then
    local run_at = nil
    if when ~= '' then
      if string.sub(when, 1, 1) == '+' then
        run_at = now + tonumber(string.sub(when, 2))
      else
        run_at = tonumber(when)
      end
      if run_at <= now then run_at = nil end
    end
    if run_at then
      redis.call('HSET', J, id .. '\0m', make_meta('', 0, 0, '', '', secs(run_at), ''))
      redis.call('ZADD', D, ustr(run_at), id)
      lower_next_due(redis.call('HGET', M, 'next_due'), run_at)
      wake()
      delayed[#delayed + 1] = i
    else
      local prio = string.match(tail, '^(%d+),')
      if prio ~= batch_prio then
        flush()
        batch_prio = prio
      end
      batch[#batch + 1] = id
    end
  else
    existing[#existing + 1] = i
    existing[#existing + 1] = job_state(id)
  end
end
flush()
return {created, existing, delayed}
