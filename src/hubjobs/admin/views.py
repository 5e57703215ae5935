"""JSON views of jobs, queues, workers and dead letters for the API (lists truncate job data)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ..backends.base import LogLine, WorkerInfo
from ..job import Job
from .dead_letters import DeadLetter
from .live import MinuteCounts
from .service import QueueStatus


def json_text(value: Any) -> str:
    """Readable JSON text of a value (non-JSON values shown by repr)."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return repr(value)


def preview(value: Any, limit: int) -> tuple[str, bool]:
    """(JSON text cut to `limit` characters, whether it was cut)."""
    text = json_text(value)
    if len(text) <= limit:
        return text, False
    return text[:limit] + "…", True


def cut(text: str | None, limit: int) -> str | None:
    """Text cut to `limit` characters."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + "…"


def job_item(job: Job, data_chars: int) -> dict[str, Any]:
    """A job in a list: its fields without result, errors and full data (a data preview instead)."""
    text, truncated = preview(job.data, data_chars)
    return {
        "id": job.id,
        "queue": job.queue,
        "name": job.name,
        "state": job.state.value,
        "priority": job.priority,
        "attempts_made": job.attempts_made,
        "max_attempts": job.max_attempts,
        "progress": job.progress,
        "failed_reason": cut(job.failed_reason, data_chars),
        "data_preview": text,
        "data_truncated": truncated,
        "created_at": job.created_ts,
        "run_at": job.run_at_ts,
        "started_at": job.started_ts,
        "finished_at": job.finished_ts,
    }


def timings(job: Job) -> dict[str, float | None]:
    """How long the job waited before its latest try and how long that try ran."""
    waited = None if job.started_ts is None else max(0.0, job.started_ts - (job.run_at_ts or job.created_ts))
    ran = None if job.started_ts is None or job.finished_ts is None else max(0.0, job.finished_ts - job.started_ts)
    return {"waited_seconds": waited, "ran_seconds": ran}


def job_detail(job: Job, logs: list[LogLine]) -> dict[str, Any]:
    """Everything about a job: data, options, progress, result, each try's error, timings and logs."""
    out = job.summary()
    out["timings"] = timings(job)
    out["cancel_requested"] = job.cancel_requested
    out["logs"] = [{"at": line.at, "line": line.line} for line in logs]
    return out


def queue_item(status: QueueStatus, throughput: list[tuple[int, MinuteCounts]] | None = None) -> dict[str, Any]:
    """A queue with counts, paused flag and limits (and its throughput series when given)."""
    s = status.settings
    out: dict[str, Any] = {
        "name": status.name,
        "counts": status.counts,
        "paused": status.paused,
        "declared": status.declared,
        "rate_limit": None if s.rate_max is None else {"max": s.rate_max, "period": s.rate_period},
        "global_concurrency": s.global_concurrency,
    }
    if throughput is not None:
        out["throughput"] = [{"at": at, **counts.to_dict()} for at, counts in throughput]
    return out


def worker_item(worker: WorkerInfo) -> dict[str, Any]:
    """A worker's heartbeat record."""
    return asdict(worker)


def dead_letter_item(item: DeadLetter, data_chars: int) -> dict[str, Any]:
    """A dead letter in a list."""
    text, truncated = preview(item.data, data_chars)
    return {"queue": item.ref.queue, "id": item.ref.id, "job_id": item.job_id, "name": item.name,
            "data_preview": text, "data_truncated": truncated, "error": cut(item.error, data_chars),
            "attempts": item.attempts, "failed_at": item.failed_at, "resolved": item.resolved}
