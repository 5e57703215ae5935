"""Waiting for a job's outcome (`Job.wait` / `Job.await_result`), fed by its queue's event stream.

The caller does not poll: it reads the job once, then blocks on the queue's cross-process event
stream (the blocking `read_events` of each backend) until the job's `completed`, `failed` or
`removed` event arrives, and reads the job again for its result. Two extra reads close the gaps
a stream cannot: one right after the stream position is first known (the job may have finished
between the first read and the start of the stream read), and one after a quiet spell
(`RECHECK_SECONDS`), for outcomes that reach storage without an event. A timeout raises
`ResultTimeout` and leaves the job as it is."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .backends.base import JobRef, ReadEvents
from .errors import JobFailed, JobNotFound, ResultTimeout
from .job import Job, JobState

if TYPE_CHECKING:
    from .backends.base import Backend
    from .queue import Queue

FINAL_EVENTS = frozenset({"completed", "failed", "removed"})
RECHECK_SECONDS = 5.0
"""Longest quiet spell before the job is read again (a safety net, not the way results arrive)."""
EVENT_BATCH = 200


async def await_outcome(queue: Queue, job_id: str, timeout: float | None) -> Any:
    """The job's result once it completes; JobFailed when it fails for good; ResultTimeout after
    `timeout` seconds (None waits as long as it takes)."""
    if timeout is not None and not timeout >= 0:
        raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout!r}")
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    backend = await queue.app.backend()
    cursor = ""
    completed_seen = False
    while True:
        job = await backend.get_job(JobRef(queue.name, job_id))
        done, value = _outcome(queue, job_id, job, completed_seen)
        if done:
            return value
        known_before = bool(cursor)
        cursor, completed_seen = await _follow(backend, queue.name, job_id, cursor, deadline, loop)
        if not known_before and cursor and not completed_seen:
            continue  # the stream position is now known: read the job once more, then only follow
        if not completed_seen and deadline is not None and loop.time() >= deadline:
            raise ResultTimeout(f"job {job_id!r} in queue {queue.name!r} did not finish within {timeout:g} s")


def _outcome(queue: Queue, job_id: str, job: Job | None, completed_seen: bool) -> tuple[bool, Any]:
    """(True, result) for a completed job; raises for a failed or vanished one; else (False, None)."""
    if job is None:
        if completed_seen:  # completed, then removed by its retention (remove_on_complete=True)
            return True, None
        raise JobNotFound(f"no job {job_id!r} in queue {queue.name!r} (removed, or never added)")
    if job.state == JobState.COMPLETED:
        return True, job.result
    if job.state == JobState.FAILED:
        raise JobFailed(f"job {job_id!r} in queue {queue.name!r} failed: {job.failed_reason}",
                        error=job.failed_reason, job=job)
    return False, None


async def _follow(backend: Backend, queue: str, job_id: str, cursor: str, deadline: float | None,
                  loop: asyncio.AbstractEventLoop) -> tuple[str, bool]:
    """Block on the event stream until the job's final event, a quiet spell, the deadline or (while
    the position is unknown) the first events. Returns the position and whether it completed."""
    quiet_until = loop.time() + RECHECK_SECONDS
    while True:
        now = loop.time()
        limit = quiet_until if deadline is None else min(quiet_until, deadline)
        if now >= limit:
            return cursor, False
        events = await backend.read_events(ReadEvents(queue, cursor, EVENT_BATCH, limit - now))
        if not events:
            continue
        first = not cursor
        cursor = events[-1].id
        for event in events:
            if event.job_id == job_id and event.event in FINAL_EVENTS:
                return cursor, event.event == "completed"
        if first:
            return cursor, False
