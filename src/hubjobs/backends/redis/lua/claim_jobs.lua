#!lua flags=allow-oom
-- claim_jobs: promote due delayed jobs, then claim up to a limit of waiting jobs in priority,
-- then FIFO order, honouring pause, global concurrency and the rate limit. Claimed jobs get
-- a lease (token + expiry). Runs under OOM so that workers keep draining a full Redis.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2] limit; ARGV[3] lease in microseconds; ARGV[4] lease token;
-- ARGV[5] worker id.
-- Returns: now (seconds), lease expiry (seconds), {8 values per claimed job: id, pack,
-- attempts, stalled, run_at, progress, failed reason, errors}, the earliest due time of a
-- delayed job (microseconds, a lower bound; nil if none).
--@include queue
--@include claim
local now = clock()
local lease_us = tonumber(ARGV[3])
local cfg = read_settings()
local jobs = claim(cfg, tonumber(ARGV[2]), lease_us, ARGV[4], ARGV[5], now)
return {secs(now), secs(now + lease_us), jobs, cfg[5]}
