-- Library included (by `--@include claim`, after `queue`) in the scripts that claim jobs:
-- the claim itself (after promoting due delayed jobs with `promote_due` of lib/queue.lua) (pause, global concurrency, rate limit).

local PRIO_BATCH = 16

-- the queue settings used by claims: paused, rate_max, rate_period, concurrency, next_due
local function read_settings()
  return redis.call('HMGET', M, 'paused', 'rate_max', 'rate_period', 'concurrency', 'next_due')
end

-- Claim up to `limit` jobs in priority then FIFO order. Returns a flat list of 8 values per
-- job: id, pack, attempts, stalled, run_at, progress, failed reason, errors. Keeps cfg[5]
-- (next_due) current.
local function claim(cfg, limit, lease_us, token, worker, now)
  local nd = tonumber(cfg[5])
  if nd and nd <= now then cfg[5] = promote_due(now) end
  if cfg[1] == '1' or limit <= 0 then return {} end
  local cc = tonumber(cfg[4])
  if cc then limit = math.min(limit, cc - redis.call('ZCARD', A)) end
  local rate_max, rate_period = tonumber(cfg[2]), tonumber(cfg[3])
  if rate_max and rate_period then
    redis.call('ZREMRANGEBYSCORE', R, '-inf', ustr(now - rate_period * 1000000))
    limit = math.min(limit, rate_max - redis.call('ZCARD', R))
  end
  if limit <= 0 then return {} end

  local out, leases, active, starts = {}, {}, {}, {}
  local started = secs(now)
  local expires = ustr(now + lease_us)
  local taken = 0
  -- priorities with a waiting list, lowest first, read PRIO_BATCH at a time
  local prios = redis.call('ZRANGE', W, 0, PRIO_BATCH - 1)
  local pi = 1
  while taken < limit do
    if pi > #prios then
      if #prios < PRIO_BATCH then break end
      prios = redis.call('ZRANGE', W, 0, PRIO_BATCH - 1)
      pi = 1
      if #prios == 0 then break end
    end
    local p = prios[pi]
    local want = limit - taken
    local ids = redis.call('LPOP', waiting_key(p), want)
    if not ids then
      redis.call('ZREM', W, p)
      pi = pi + 1
    else
      if #ids < want then
        redis.call('ZREM', W, p)
        pi = pi + 1
      end
      for _, id in ipairs(ids) do
        local v = redis.call('HMGET', J, id, id .. '\0m', id .. '\0g', id .. '\0x', id .. '\0e')
        if v[1] then
          local _, a, k, _, _, ra = parse_meta(v[2])
          taken = taken + 1
          leases[#leases + 1] = id
          leases[#leases + 1] = token .. '|0|' .. started .. '|' .. a .. '|' .. k .. '|' .. ra .. '|' .. p
            .. '|' .. worker
          active[#active + 1] = expires
          active[#active + 1] = id
          starts[#starts + 1] = ustr(now)
          starts[#starts + 1] = token .. ':' .. taken
          out[#out + 1] = id
          out[#out + 1] = v[1]
          out[#out + 1] = a
          out[#out + 1] = k
          out[#out + 1] = ra
          out[#out + 1] = v[3]
          out[#out + 1] = v[4]
          out[#out + 1] = v[5]
        end
      end
    end
  end
  if taken > 0 then
    for i = 1, #leases, 2 * CHUNK do
      redis.call('HSET', L, unpack(leases, i, math.min(i + 2 * CHUNK - 1, #leases)))
    end
    zadd_pairs(A, active)
    if rate_max and rate_period then zadd_pairs(R, starts) end
    -- jobs are left and this claimer is full: let another idle worker look
    -- jobs left (in the last list or another priority's): wake another idle worker
    if taken == limit and (pi <= #prios or #prios == PRIO_BATCH) then wake() end
  end
  return out
end
