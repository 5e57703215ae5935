-- Operation apply_retention: remove finished jobs (and, by trigger, their logs) beyond a
-- count of the newest and/or older than an age.
-- Parameters: :queue :state ('completed' | 'failed') :keep (count) :before (epoch seconds)
-- name: trim_count
DELETE FROM jobs WHERE rid IN (
    SELECT rid FROM jobs WHERE queue = :queue AND state = :state
    ORDER BY finished_at DESC, rid DESC LIMIT -1 OFFSET :keep
)
-- name: trim_age
DELETE FROM jobs WHERE queue = :queue AND state = :state AND finished_at < :before
