-- Operation append_log: add a log line, then drop lines beyond the newest :max_lines.
-- Parameters: :queue :id :at :line :max_lines
-- name: insert
INSERT INTO job_logs (queue, job_id, at, line) VALUES (:queue, :id, :at, :line)
-- name: trim
DELETE FROM job_logs WHERE queue = :queue AND job_id = :id AND rowid <= (
    SELECT rowid FROM job_logs WHERE queue = :queue AND job_id = :id
    ORDER BY rowid DESC LIMIT 1 OFFSET :max_lines
)
