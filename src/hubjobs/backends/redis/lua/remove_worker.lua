#!lua flags=allow-oom
-- remove_worker: forget a worker that stopped.
-- KEYS[1] workers hash; KEYS[2] worker expiry zset.
-- ARGV[1] worker id.
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
