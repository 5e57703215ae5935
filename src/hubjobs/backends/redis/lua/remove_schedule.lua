#!lua flags=allow-oom
-- remove_schedule: delete a schedule and its bookkeeping.
-- KEYS[1] schedule specs hash; KEYS[2] schedule runs hash; KEYS[3] set of paused schedule ids.
-- ARGV[1] id.
-- Returns 1 if it existed, else 0.
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
