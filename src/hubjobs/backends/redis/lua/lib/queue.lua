-- Library included (by `--@include queue`) at the top of every queue script: the layout of a
-- queue's keys, clock and encoding helpers. All keys share the hash tag {prefix:queue}.
--
-- KEYS (the same eleven, in this order, for every queue script):
--   KEYS[1]  J  jobs hash. Field <id> = the job's immutable "pack", a JSON array
--              [created, seq, priority, max_stalled, name, options_code, data] (seq: the
--              order the job was added to its queue, from settings.seq; packs written before
--              seq existed lack it and count as seq 0);
--              <id>\0m meta "state|attempts|stalled|started|finished|run_at|worker"
--              (state: "" unfinished, "c" completed, "f" failed), <id>\0r result JSON,
--              <id>\0g progress JSON, <id>\0x failed reason (text), <id>\0e errors JSON array.
--   KEYS[2]  W  zset of priorities having a waiting list (member = score = priority)
--   KEYS[3]  D  delayed zset, score = run_at in microseconds
--   KEYS[4]  A  active zset, score = lease expiry in microseconds
--   KEYS[5]  L  leases hash: <id> = "token|cancel|started|attempts|stalled|run_at|priority|worker"
--   KEYS[6]  C  completed zset, score = finished time in microseconds
--   KEYS[7]  F  failed zset, score = finished time in microseconds
--   KEYS[8]  M  settings hash: paused, rate_max, rate_period, concurrency, next_due (microseconds),
--              seq (the last order number given to an added job)
--   KEYS[9]  R  rate-limit log zset (one member per claim, score = claim time in microseconds)
--   KEYS[10] K  wake-up marker zset (member "m"); idle workers BZPOPMIN it
--   KEYS[11] G  set of job ids that have a log list
-- ARGV[1] the queue's key base "{prefix:queue}:"; the waiting list of priority p is
--         <base>w:<p> (FIFO), the log of job <id> is the list <base>l:<id>.
-- Times are microseconds on the Redis clock (TIME); fields read by clients hold seconds.
--
-- Run order (the same on every backend): priority, then the time the job became due, then the
-- order it was added. A waiting list is appended in due order because every append first moves
-- the delayed jobs already due (`push_waiting` calls `promote_due`), and jobs that become due
-- together (a delay shared by a batch, a retry or promotion of many) are appended by seq.

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
-- microseconds as exact seconds text (no rounding: never later than the clock reading)
local function usecs(us) return string.format('%d.%06d', math.floor(us / 1000000), us % 1000000) end
-- seconds text (as `usecs` writes it) back to exact microseconds
local function text_us(text)
  local s, f = string.match(text or '', '^(%d+)%.?(%d*)')
  if not s then return 0 end
  f = string.sub(f .. '000000', 1, 6)
  return tonumber(s) * 1000000 + tonumber(f)
end

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

-- created (seconds text), priority (text), max_stalled (number) and seq (number) from a pack
local function pack_head(pack)
  local c, q, p, ms = string.match(pack, '^%[([^,]*),(%d+),(%d+),(%d+),')
  if c then return c, p, tonumber(ms), tonumber(q) end
  c, p, ms = string.match(pack, '^%[([^,]*),(%d+),(%d+),')
  return c, p, tonumber(ms), 0
end

-- the next `n` order numbers of the queue: returns the first
local function next_seq(n)
  return redis.call('HINCRBY', M, 'seq', n) - n + 1
end

-- ids sorted by the order they were added (seq, then creation time, then id)
local function by_order_added(ids)
  if #ids < 2 then return ids end
  local keyed = {}
  for i, id in ipairs(ids) do
    local pack = redis.call('HGET', J, id)
    local c, _, _, q = '', nil, nil, 0
    if pack then c, _, _, q = pack_head(pack) end
    keyed[i] = {q, text_us(c), id}
  end
  table.sort(keyed, function(x, y)
    if x[1] ~= y[1] then return x[1] < y[1] end
    if x[2] ~= y[2] then return x[2] < y[2] end
    return x[3] < y[3]
  end)
  local out = {}
  for i, k in ipairs(keyed) do out[i] = k[3] end
  return out
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

-- append ids of one priority to its waiting list as they are (front = true: to be claimed
-- first); an empty list registers its priority and wakes idle workers
local function append_waiting(prio, ids, front)
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

-- move delayed jobs whose run_at has come to the end of their waiting list, in due order (ties
-- by order added); returns the new settings.next_due (microseconds text, or false)
local PROMOTE_BATCH = 1000
local function promote_due(now)
  local due = redis.call('ZRANGEBYSCORE', D, '-inf', ustr(now), 'WITHSCORES', 'LIMIT', 0, PROMOTE_BATCH)
  if #due > 0 then
    if #due == 2 * PROMOTE_BATCH then  -- complete the group of the last run_at, so ties stay together
      local last = due[#due]
      local rest = redis.call('ZRANGEBYSCORE', D, '(' .. last, last)
      for _, id in ipairs(rest) do
        due[#due + 1] = id
        due[#due + 1] = last
      end
    end
    local ids, groups, order = {}, {}, {}
    for i = 1, #due, 2 do
      local score = due[i + 1]
      if not groups[score] then
        groups[score] = {}
        order[#order + 1] = score
      end
      table.insert(groups[score], due[i])
      ids[#ids + 1] = due[i]
    end
    for _, score in ipairs(order) do
      for _, id in ipairs(by_order_added(groups[score])) do
        local pack = redis.call('HGET', J, id)
        if pack then
          local _, p = pack_head(pack)
          append_waiting(p, {id}, false)
        end
      end
    end
    chunked('ZREM', D, ids)
  end
  local first = redis.call('ZRANGE', D, 0, 0, 'WITHSCORES')
  if first[2] then
    redis.call('HSET', M, 'next_due', first[2])
    return first[2]
  end
  redis.call('HDEL', M, 'next_due')
  return false
end

-- append ids of one priority to its waiting list (front = true: to be claimed first). An
-- append to the end first promotes the delayed jobs already due, which became due earlier.
local function push_waiting(prio, ids, front)
  if not front then
    local nd = tonumber(redis.call('HGET', M, 'next_due'))
    if nd then
      local now = clock()
      if nd <= now then promote_due(now) end
    end
  end
  append_waiting(prio, ids, front)
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
