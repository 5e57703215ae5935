-- Library included (by `--@include queue`) at the top of every queue script: the layout of a
-- queue's keys, clock and encoding helpers. All keys share the hash tag {prefix:queue}.
--
-- KEYS (the same eleven, in this order, for every queue script):
--   KEYS[1]  J  jobs hash. Field <id> = the job's immutable "pack", a JSON array
--              [created, priority, max_stalled, name, options_code, data];
--              <id>\0m meta "state|attempts|stalled|started|finished|run_at|worker"
--              (state: "" unfinished, "c" completed, "f" failed), <id>\0r result JSON,
--              <id>\0g progress JSON, <id>\0x failed reason (text), <id>\0e errors JSON array.
--   KEYS[2]  W  zset of priorities having a waiting list (member = score = priority)
--   KEYS[3]  D  delayed zset, score = run_at in microseconds
--   KEYS[4]  A  active zset, score = lease expiry in microseconds
--   KEYS[5]  L  leases hash: <id> = "token|cancel|started|attempts|stalled|run_at|priority|worker"
--   KEYS[6]  C  completed zset, score = finished time in microseconds
--   KEYS[7]  F  failed zset, score = finished time in microseconds
--   KEYS[8]  M  settings hash: paused, rate_max, rate_period, concurrency, next_due (microseconds)
--   KEYS[9]  R  rate-limit log zset (one member per claim, score = claim time in microseconds)
--   KEYS[10] K  wake-up marker zset (member "m"); idle workers BZPOPMIN it
--   KEYS[11] G  set of job ids that have a log list
-- ARGV[1] the queue's key base "{prefix:queue}:"; the waiting list of priority p is
--         <base>w:<p> (FIFO), the log of job <id> is the list <base>l:<id>.
-- Times are microseconds on the Redis clock (TIME); fields read by clients hold seconds.

local J, W, D, A, L, C, F, M, R, K, G =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local BASE = ARGV[1]
local CHUNK = 500
local MAX_TRIM = 1000

local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- integer microseconds as exact decimal text (Lua's own tostring would round)
local function ustr(us) return string.format('%d', us) end
-- microseconds as seconds text for clients
local function secs(us) return string.format('%.6f', us / 1000000) end

local function waiting_key(prio) return BASE .. 'w:' .. prio end
local function log_key(id) return BASE .. 'l:' .. id end

local function wake() redis.call('ZADD', K, 0, 'm') end

-- call `cmd key <items...>` in chunks (Lua's unpack has a stack limit)
local function chunked(cmd, key, items)
  for i = 1, #items, CHUNK do
    redis.call(cmd, key, unpack(items, i, math.min(i + CHUNK - 1, #items)))
  end
end

-- pairs {score1, member1, score2, member2...} into a zset
local function zadd_pairs(key, pairs)
  for i = 1, #pairs, 2 * CHUNK do
    redis.call('ZADD', key, unpack(pairs, i, math.min(i + 2 * CHUNK - 1, #pairs)))
  end
end

-- created (seconds text), priority (text) and max_stalled (number) from a pack
local function pack_head(pack)
  local c, p, ms = string.match(pack, '^%[([^,]*),(%d+),(%d+),')
  return c, p, tonumber(ms)
end

local function parse_meta(m)
  if not m then return '', 0, 0, '', '', '', '' end
  local s, a, k, st, f, ra, w = string.match(m, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return s, tonumber(a) or 0, tonumber(k) or 0, st, f, ra, w
end

local function make_meta(s, a, k, st, f, ra, w)
  return s .. '|' .. a .. '|' .. k .. '|' .. st .. '|' .. f .. '|' .. ra .. '|' .. w
end

-- token, cancel, started, attempts, stalled, run_at, priority, worker
local function parse_lease(v)
  return string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
end

-- append ids of one priority to its waiting list (front = true: to be claimed first); an
-- empty list registers its priority and wakes idle workers
local function push_waiting(prio, ids, front)
  local key = waiting_key(prio)
  local n = 0
  for i = 1, #ids, CHUNK do
    n = redis.call(front and 'LPUSH' or 'RPUSH', key, unpack(ids, i, math.min(i + CHUNK - 1, #ids)))
  end
  if n == #ids then
    redis.call('ZADD', W, prio, prio)
    wake()
  end
end

-- keep settings.next_due at or before the earliest delayed job
local function lower_next_due(cfg_next_due, run_at)
  local nd = tonumber(cfg_next_due)
  if not nd or run_at < nd then redis.call('HSET', M, 'next_due', ustr(run_at)) end
end

-- the state of an existing job
local function job_state(id)
  local m = redis.call('HGET', J, id .. '\0m')
  if m then
    local s = string.sub(m, 1, 1)
    if s == 'c' then return 'completed' elseif s == 'f' then return 'failed' end
  end
  if redis.call('HEXISTS', L, id) == 1 then return 'active' end
  if redis.call('ZSCORE', D, id) then return 'delayed' end
  return 'waiting'
end

-- remove every field of the jobs from J and their log lists
local function delete_jobs(ids)
  for i = 1, #ids, CHUNK do
    local fields, part = {}, {}
    for j = i, math.min(i + CHUNK - 1, #ids) do
      local id = ids[j]
      part[#part + 1] = id
      fields[#fields + 1] = id
      fields[#fields + 1] = id .. '\0m'
      fields[#fields + 1] = id .. '\0r'
      fields[#fields + 1] = id .. '\0g'
      fields[#fields + 1] = id .. '\0x'
      fields[#fields + 1] = id .. '\0e'
    end
    redis.call('HDEL', J, unpack(fields))
    local has = redis.call('SMISMEMBER', G, unpack(part))
    local logs, with = {}, {}
    for j = 1, #has do
      if has[j] == 1 then
        logs[#logs + 1] = log_key(part[j])
        with[#with + 1] = part[j]
      end
    end
    if #logs > 0 then
      redis.call('DEL', unpack(logs))
      redis.call('SREM', G, unpack(with))
    end
  end
end

-- apply a retention rule to a finished zset: drop jobs older than age_us and beyond the newest
-- count (a negative value means no bound); at most MAX_TRIM jobs per rule per call
local function trim_finished(zkey, count, age_us, now)
  if age_us >= 0 then
    local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', '(' .. ustr(now - age_us), 'LIMIT', 0, MAX_TRIM)
    if #old > 0 then
      delete_jobs(old)
      chunked('ZREM', zkey, old)
    end
  end
  if count >= 0 then
    local over = redis.call('ZCARD', zkey) - count
    if over > 0 then
      local n = math.min(over, MAX_TRIM)
      local ids = redis.call('ZRANGE', zkey, 0, n - 1)
      delete_jobs(ids)
      redis.call('ZREMRANGEBYRANK', zkey, 0, n - 1)
    end
  end
end

-- JSON text of one try's error (message and stacktrace are JSON strings already)
local function error_entry(attempt, message_json, stack_json, now)
  return '{"attempt":' .. attempt .. ',"message":' .. message_json .. ',"stacktrace":' .. stack_json
    .. ',"at":' .. secs(now) .. '}'
end

local function append_error(id, entry)
  local errs = redis.call('HGET', J, id .. '\0e')
  if errs and #errs > 2 then return string.sub(errs, 1, -2) .. ',' .. entry .. ']' end
  return '[' .. entry .. ']'
end
