#!lua flags=allow-oom
-- finish_jobs: apply the outcomes of tries, each fenced by its lease token, apply retention,
-- then optionally claim more jobs: a worker's whole cycle in one round trip. Runs under OOM
-- so that in-flight jobs still finish when Redis is full.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] number of outcomes n; then per outcome: kind, id, token and
--   kind "c" (completed): result JSON, keep count, keep age;
--   kind "r" (retry):     failed reason text, message JSON string, stack JSON string, delay;
--   kind "f" (failed):    failed reason text, message JSON string, stack JSON string, keep count, keep age;
--   kind "l" (released):  nothing more.
--   (times in microseconds; a keep count or age of -1 means no bound, 0 means keep none)
-- then 4 values for the claim: limit (0 = no claim), lease in microseconds, token, worker id.
-- Returns: {applied ids}, {refused ids}, {now, lease expiry, {claimed jobs as claim_jobs},
-- earliest due time of a delayed job}.
--@include queue
--@include claim
local now = clock()
local n = tonumber(ARGV[2])
local cfg = read_settings()

local outcomes, ids = {}, {}
local pos = 3
for i = 1, n do
  local o = {kind = ARGV[pos], id = ARGV[pos + 1], token = ARGV[pos + 2]}
  pos = pos + 3
  if o.kind == 'c' then
    o.result, o.count, o.age = ARGV[pos], tonumber(ARGV[pos + 1]), tonumber(ARGV[pos + 2])
    pos = pos + 3
  elseif o.kind == 'r' then
    o.reason, o.message, o.stack, o.delay = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], tonumber(ARGV[pos + 3])
    pos = pos + 4
  elseif o.kind == 'f' then
    o.reason, o.message, o.stack = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2]
    o.count, o.age = tonumber(ARGV[pos + 3]), tonumber(ARGV[pos + 4])
    pos = pos + 5
  elseif o.kind ~= 'l' then
    return redis.error_reply('unknown outcome kind ' .. tostring(o.kind))
  end
  outcomes[i] = o
  ids[i] = o.id
end

local leases = {}
for i = 1, #ids, CHUNK do
  local part = redis.call('HMGET', L, unpack(ids, i, math.min(i + CHUNK - 1, #ids)))
  for _, v in ipairs(part) do leases[#leases + 1] = v end
end

local applied, refused, completed, failed, drop = {}, {}, {}, {}, {}
local rules, rule_seen = {}, {}
local function keep_rule(zkey, count, age)
  if count < 0 and age < 0 then return end
  local key = zkey .. '|' .. count .. '|' .. age
  if not rule_seen[key] then
    rule_seen[key] = true
    rules[#rules + 1] = {zkey, count, age}
  end
end

for i, o in ipairs(outcomes) do
  local id = o.id
  local lease = leases[i]
  local ltok, _, started, a, k, ra, p, worker
  if lease then ltok, _, started, a, k, ra, p, worker = parse_lease(lease) end
  if not lease or ltok ~= o.token then
    refused[#refused + 1] = id
  else
    applied[#applied + 1] = id
    a, k = tonumber(a), tonumber(k)
    -- in outcome order, and never after jobs claimed below (which start at now)
    local finished = now - (n - i)
    if o.kind == 'c' then
      if o.count == 0 or o.age == 0 then
        drop[#drop + 1] = id
      else
        redis.call('HSET', J, id .. '\0m', make_meta('c', a + 1, k, started, secs(finished), ra, worker),
          id .. '\0r', o.result)
        if a > 0 then redis.call('HDEL', J, id .. '\0x') end
        completed[#completed + 1] = ustr(finished)
        completed[#completed + 1] = id
        keep_rule(C, o.count, o.age)
      end
    elseif o.kind == 'r' or o.kind == 'f' then
      local errs = append_error(id, error_entry(a + 1, o.message, o.stack, now))
      if o.kind == 'f' then
        if o.count == 0 or o.age == 0 then
          drop[#drop + 1] = id
        else
          redis.call('HSET', J, id .. '\0m', make_meta('f', a + 1, k, started, secs(finished), ra, worker),
            id .. '\0x', o.reason, id .. '\0e', errs)
          failed[#failed + 1] = ustr(finished)
          failed[#failed + 1] = id
          keep_rule(F, o.count, o.age)
        end
      elseif o.delay > 0 then
        local run_at = now + o.delay
        redis.call('HSET', J, id .. '\0m', make_meta('', a + 1, k, started, '', secs(run_at), worker),
          id .. '\0x', o.reason, id .. '\0e', errs)
        redis.call('ZADD', D, ustr(run_at), id)
        local nd = tonumber(cfg[5])
        if not nd or run_at < nd then
          cfg[5] = ustr(run_at)
          redis.call('HSET', M, 'next_due', cfg[5])
        end
        wake()
      else
        redis.call('HSET', J, id .. '\0m', make_meta('', a + 1, k, started, '', '', worker),
          id .. '\0x', o.reason, id .. '\0e', errs)
        push_waiting(p, {id}, false)
        cfg[5] = redis.call('HGET', M, 'next_due')  -- the append may have promoted due jobs
      end
    else
      redis.call('HSET', J, id .. '\0m', make_meta('', a, k, '', '', ra, worker))
      push_waiting(p, {id}, true)
    end
  end
end

if #applied > 0 then
  chunked('HDEL', L, applied)
  chunked('ZREM', A, applied)
  if #completed > 0 then zadd_pairs(C, completed) end
  if #failed > 0 then zadd_pairs(F, failed) end
  if #drop > 0 then delete_jobs(drop) end
  for _, rule in ipairs(rules) do trim_finished(rule[1], rule[2], rule[3], now) end
end

local limit = tonumber(ARGV[pos])
local lease_us = tonumber(ARGV[pos + 1])
local jobs = {}
if limit > 0 then jobs = claim(cfg, limit, lease_us, ARGV[pos + 2], ARGV[pos + 3], now) end
-- slots under a global concurrency limit were freed: let idle workers look
if #applied > 0 and cfg[4] and redis.call('ZCARD', W) > 0 then wake() end
return {applied, refused, {secs(now), secs(now + lease_us), jobs, cfg[5]}}
