#!lua flags=no-writes
-- read_history: the fields of a queue's day hashes that fall in a time range.
-- KEYS: the day history hashes of one queue covering the range (see record_history.lua).
-- ARGV[1] since (epoch s, a minute start); ARGV[2] until (epoch s, exclusive);
-- ARGV[3] since_hour (the start of the hour holding `since`).
-- Returns a flat list of field, count pairs: `c:`/`f:` minutes in [since, until) and
-- `w:`/`r:` hours in [since_hour, until).
local since, untl, since_hour = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, key in ipairs(KEYS) do
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do
    local field = flat[i]
    local kind = string.sub(field, 1, 1)
    local at = tonumber(string.match(field, '^%a:(%d+)'))
    local low = (kind == 'c' or kind == 'f') and since or since_hour
    if at and at >= low and at < untl then
      out[#out + 1] = field
      out[#out + 1] = flat[i + 1]
    end
  end
end
return out
