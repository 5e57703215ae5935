-- Migration 0002: make each step of a job's life cheaper on the server.
-- Runs like every migration: one transaction, the migration advisory lock held, search_path set
-- to the backend's schema.
--   * Queue names, job ids and states compare bytewise (COLLATE "C"): the columns every index
--     of the jobs table leads with no longer go through the database locale's strcoll on each
--     index insert and lookup. The indexes are rebuilt with the new collation under their names.
--   * Log lines no longer go with their job through a per-row foreign-key trigger (about 3 µs
--     per removed job, logs or not): one statement-level trigger removes, per DELETE, the lines
--     of the removed jobs that have any (log_count > 0). append_log locks the job row before it
--     inserts a line, so a line cannot outlive a job removed concurrently.
--   * Jobs are keyed by (queue, id), their primary key; `rid` stays as the FIFO tie-breaker and
--     the key of log lines, without an index of its own: each new version of a job row (a claim,
--     a finish) updates one index fewer. Statements that must find a row they locked again use
--     its ctid, which cannot change while the lock is held.
--   * Event batches are compressed with lz4 instead of pglz where the server was built with it.
-- name: apply
ALTER TABLE jobs
    ALTER COLUMN queue TYPE text COLLATE "C",
    ALTER COLUMN id TYPE text COLLATE "C",
    ALTER COLUMN state TYPE text COLLATE "C";
ALTER TABLE queues ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE rate_starts ALTER COLUMN queue TYPE text COLLATE "C";
ALTER TABLE event_streams ALTER COLUMN queue TYPE text COLLATE "C";
ALTER TABLE event_batches ALTER COLUMN queue TYPE text COLLATE "C";

ALTER TABLE job_logs DROP CONSTRAINT job_logs_job_rid_fkey;
ALTER TABLE jobs DROP CONSTRAINT jobs_pkey;
ALTER TABLE jobs DROP CONSTRAINT jobs_queue_id_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_pkey PRIMARY KEY (queue, id);
CREATE FUNCTION remove_logs_of_removed_jobs() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $body$
BEGIN
    DELETE FROM job_logs WHERE job_rid IN (SELECT rid FROM removed_jobs WHERE log_count > 0);
    RETURN NULL;
END
$body$;
CREATE TRIGGER jobs_remove_logs AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS removed_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION remove_logs_of_removed_jobs();

DO $body$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) THEN
        ALTER TABLE event_batches ALTER COLUMN events SET COMPRESSION lz4;
    END IF;
END
$body$
