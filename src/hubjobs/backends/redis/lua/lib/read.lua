-- Library included (by `--@include read`, after `queue`) in scripts that return jobs.

-- One job as a list: id, pack, meta, result, progress, failed reason, errors, state, lease
-- (missing fields are nil); an empty list when the job does not exist.
local function job_record(id)
  local v = redis.call('HMGET', J, id, id .. '\0m', id .. '\0r', id .. '\0g', id .. '\0x', id .. '\0e')
  if not v[1] then return {} end
  local s = v[2] and string.sub(v[2], 1, 1) or ''
  local state, lease = nil, false
  if s == 'c' then
    state = 'completed'
  elseif s == 'f' then
    state = 'failed'
  else
    lease = redis.call('HGET', L, id)
    if lease then
      state = 'active'
    elseif redis.call('ZSCORE', D, id) then
      state = 'delayed'
    else
      state = 'waiting'
    end
  end
  return {id, v[1], v[2], v[3], v[4], v[5], v[6], state, lease}
end

local function job_records(ids)
  local out = {}
  for _, id in ipairs(ids) do
    local r = job_record(id)
    if #r > 0 then out[#out + 1] = r end
  end
  return out
end
