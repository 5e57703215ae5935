-- record_history: add counts to one queue's throughput history of one day.
-- KEYS[1] the day's history hash `{prefix:queue}:history:<day start, epoch s>`.
-- ARGV[1] when the hash expires (epoch s: the end of its day plus the kept period; a time
-- already past deletes it at once);
-- ARGV[2..] field, increment pairs. Fields: `c:<minute>` completed and `f:<minute>` failed
-- (minute = epoch s at its start), `w:<hour>:<bucket>` and `r:<hour>:<bucket>` jobs whose wait
-- or run fell in a duration bucket during the hour.
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return 1
