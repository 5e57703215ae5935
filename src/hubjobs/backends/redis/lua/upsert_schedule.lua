#!lua flags=allow-oom
-- upsert_schedule: create a schedule, or change its spec keeping its run bookkeeping (its next
-- run is replaced only when the spec changed).
-- KEYS[1] schedule specs hash (id -> spec JSON); KEYS[2] schedule runs hash (id -> "last|next",
-- each a float text or "" for none).
-- ARGV[1] id; ARGV[2] spec JSON; ARGV[3] next run; ARGV[4] last run.
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4] .. '|' .. ARGV[3])
elseif old ~= ARGV[2] then
  local runs = redis.call('HGET', KEYS[2], ARGV[1]) or '|'
  local last = string.match(runs, '^([^|]*)|')
  redis.call('HSET', KEYS[2], ARGV[1], last .. '|' .. ARGV[3])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
