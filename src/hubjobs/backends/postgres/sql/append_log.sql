-- Operation append_log: append a timestamped line to a job's log and drop lines beyond the newest
-- %(max_lines)s, in one statement. Lines are numbered per job (jobs.log_count), so trimming is a
-- range delete on the primary key. A job that does not exist gets no line.
-- Parameters:
--   %(queue)s      text  the queue
--   %(id)s         text  the job
--   %(line)s       text  the line
--   %(max_lines)s  int   lines kept per job (>= 1)
-- name: append
WITH bumped AS (
    UPDATE jobs SET log_count = log_count + 1
    WHERE queue = %(queue)s AND id = %(id)s
    RETURNING rid, log_count
),
inserted AS (
    INSERT INTO job_logs (job_rid, line_no, at, line)
    SELECT rid, log_count, extract(epoch FROM clock_timestamp())::float8, %(line)s FROM bumped
),
trimmed AS (
    DELETE FROM job_logs l USING bumped b
    WHERE l.job_rid = b.rid AND l.line_no <= b.log_count - %(max_lines)s
)
SELECT count(*) AS appended FROM bumped
