-- Operation apply_retention: remove finished jobs (and, by the jobs_remove_logs trigger, their
-- logs) beyond a count of the newest and/or older than an age, in batches. Runs inside
-- finish_jobs' transaction, after the outcomes (so just-finished jobs count). Rows locked by
-- another transaction are skipped (they are being removed or changed there); the count cut-off
-- is read first, so concurrent trims never remove any of the newest `keep` jobs. Rows are
-- removed by ctid (they are locked, so it cannot change): jobs have no index on rid.
-- Sent as two statements: `serialize` takes a per-queue transaction lock, so finishing
-- transactions of one queue trim one after another, and `trim` (a new statement, hence a new
-- snapshot under READ COMMITTED) counts the completions the one before committed: two workers
-- finishing at once never leave more than `keep` jobs.
-- Parameters:
--   %(queue)s   text      the queue
--   %(states)s  text[]    one state per policy: completed | failed
--   %(keeps)s   int[]     keep this many newest (NULL: no count bound)
--   %(ages)s    float8[]  keep jobs finished less than this many seconds ago (NULL: no age bound)
--   %(batch)s   int       most jobs removed per policy and bound in one call
-- Returns the number of jobs removed.
-- name: serialize
SELECT pg_advisory_xact_lock(hashtext('hubjobs.apply_retention'), hashtext(current_schema() || '/' || %(queue)s))
-- name: trim
WITH clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now
),
policy AS (
    SELECT * FROM unnest(%(states)s::text[], %(keeps)s::int[], %(ages)s::float8[]) AS p(state, keep, age)
),
by_age AS (
    SELECT v.row_id
    FROM policy p CROSS JOIN clock c
    CROSS JOIN LATERAL (
        SELECT ctid AS row_id FROM jobs
        WHERE queue = %(queue)s AND state = p.state AND state IN ('completed', 'failed')
          AND finished_at < c.now - p.age
        ORDER BY finished_at, rid
        LIMIT %(batch)s
        FOR UPDATE SKIP LOCKED
    ) v
    WHERE p.age IS NOT NULL
),
cutoff AS (
    SELECT p.state, k.finished_at, k.rid
    FROM policy p
    CROSS JOIN LATERAL (
        SELECT finished_at, rid FROM jobs
        WHERE queue = %(queue)s AND state = p.state AND state IN ('completed', 'failed')
        ORDER BY finished_at DESC, rid DESC
        OFFSET p.keep LIMIT 1
    ) k
    WHERE p.keep IS NOT NULL
),
by_count AS (
    SELECT v.row_id
    FROM cutoff k
    CROSS JOIN LATERAL (
        SELECT ctid AS row_id FROM jobs
        WHERE queue = %(queue)s AND state = k.state AND state IN ('completed', 'failed')
          AND (finished_at, rid) <= (k.finished_at, k.rid)
        ORDER BY finished_at, rid
        LIMIT %(batch)s
        FOR UPDATE SKIP LOCKED
    ) v
),
removed AS (
    DELETE FROM jobs WHERE ctid = ANY(ARRAY(SELECT row_id FROM by_age UNION SELECT row_id FROM by_count))
    RETURNING 1
)
SELECT count(*) AS removed FROM removed
