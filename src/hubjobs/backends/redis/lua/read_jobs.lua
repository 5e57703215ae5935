#!lua flags=no-writes
-- read_jobs: jobs by id with their derived state.
-- KEYS: the queue layout (see lib/queue.lua).
-- ARGV[1] key base; ARGV[2..] job ids.
-- Returns one record per existing job (see job_record in lib/read.lua).
--@include queue
--@include read
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
return job_records(ids)
