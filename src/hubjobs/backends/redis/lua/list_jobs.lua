#!lua flags=no-writes
-- list_jobs: one page of the jobs in a state: waiting in run order (priority, then the time
-- the job became due, then the order added), delayed by due time (then the order added),
-- active by start time, completed and failed newest first.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] state; ARGV[3] offset; ARGV[4] limit.
-- Returns one record per job (see job_record in lib/read.lua).
--@include queue
--@include read
local state, offset, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if limit <= 0 then return {} end
local ids = {}
if state == 'waiting' then
  local skip = offset
  for _, p in ipairs(redis.call('ZRANGE', W, 0, -1)) do
    local key = waiting_key(p)
    local len = redis.call('LLEN', key)
    if skip >= len then
      skip = skip - len
    else
      local part = redis.call('LRANGE', key, skip, skip + (limit - #ids) - 1)
      skip = 0
      for _, id in ipairs(part) do ids[#ids + 1] = id end
      if #ids >= limit then break end
    end
  end
elseif state == 'delayed' then
  -- by due time, jobs due together in the order they were added: the page's score range is
  -- read whole and its ties sorted, then the page is cut from it
  local page = redis.call('ZRANGE', D, offset, offset + limit - 1, 'WITHSCORES')
  if #page > 0 then
    local first, last = page[2], page[#page]
    local before = redis.call('ZCOUNT', D, '-inf', '(' .. first)
    local span = redis.call('ZRANGEBYSCORE', D, first, last, 'WITHSCORES')
    local sorted, group, score = {}, {}, nil
    local function flush()
      for _, id in ipairs(by_order_added(group)) do sorted[#sorted + 1] = id end
      group = {}
    end
    for i = 1, #span, 2 do
      if span[i + 1] ~= score then
        flush()
        score = span[i + 1]
      end
      group[#group + 1] = span[i]
    end
    flush()
    for i = offset - before + 1, math.min(offset - before + limit, #sorted) do ids[#ids + 1] = sorted[i] end
  end
elseif state == 'active' then
  local all = redis.call('HGETALL', L)
  local rows = {}
  for i = 1, #all, 2 do
    local _, _, started = parse_lease(all[i + 1])
    rows[#rows + 1] = {tonumber(started) or 0, all[i]}
  end
  table.sort(rows, function(x, y)
    if x[1] ~= y[1] then return x[1] < y[1] end
    return x[2] < y[2]
  end)
  for i = offset + 1, math.min(offset + limit, #rows) do ids[#ids + 1] = rows[i][2] end
elseif state == 'completed' then
  ids = redis.call('ZREVRANGE', C, offset, offset + limit - 1)
elseif state == 'failed' then
  ids = redis.call('ZREVRANGE', F, offset, offset + limit - 1)
else
  return redis.error_reply('unknown state ' .. state)
end
return job_records(ids)
