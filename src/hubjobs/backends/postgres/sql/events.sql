-- Operation events: the per-queue cross-process event stream.
-- Events are numbered per queue (1, 2, 3, ...; the number is the event's id) and stored one row
-- per published batch (a JSON array; a worker publishes every few hundred milliseconds), keyed by
-- the number of the batch's last event. The queue's event_streams row is locked while a batch
-- is published, so batches commit in number order and a reader following "number > last seen"
-- never skips an event committed late. Publishing trims the stream to about %(max_len)s newest
-- events (whole batches) and NOTIFYs readers (delivered on commit).
-- Parameters:
--   %(queue)s    text  the queue
--   %(channel)s  text  publish: the NOTIFY channel of this schema's event streams (payload: queue)
--   %(events)s   text  publish: a JSON array of {"event", "job_id" (or null), "at", "data"}
--   %(count)s    int   publish: how many events the array holds (>= 1)
--   %(max_len)s  int   publish: events kept per queue
--   %(after)s    bigint  read_after: return events numbered above this
--   %(limit)s    int     read_after: most batches read (each holds at least one event)
-- name: publish
WITH stream AS (
    INSERT INTO event_streams (queue, last_no) VALUES (%(queue)s, %(count)s)
    ON CONFLICT (queue) DO UPDATE SET last_no = event_streams.last_no + %(count)s
    RETURNING last_no
),
inserted AS (
    INSERT INTO event_batches (queue, last_no, count, events)
    SELECT %(queue)s, last_no, %(count)s, %(events)s FROM stream
),
trimmed AS (
    DELETE FROM event_batches
    WHERE queue = %(queue)s AND last_no <= (SELECT last_no FROM stream) - %(max_len)s
)
SELECT pg_notify(%(channel)s, %(queue)s)
-- name: read_after
SELECT last_no, count, events FROM event_batches
WHERE queue = %(queue)s AND last_no > %(after)s
ORDER BY last_no LIMIT %(limit)s
-- name: last_no
SELECT coalesce(max(last_no), 0) AS last_no FROM event_streams WHERE queue = %(queue)s
