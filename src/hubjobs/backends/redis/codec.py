"""How jobs are encoded in Redis and decoded back into `Job` values.

A job's immutable part is one hash field, the *pack*: the JSON array
`[created, seq, priority, max_stalled, name, options_code, data]` (`seq`: the order the job was
added to its queue; packs written before it existed have six items). `options_code` holds only the
options that differ from a fixed baseline (usually nothing), which keeps a queued job small.
Job ids are stored with NUL characters doubled so that `<id>\\0<letter>` field names of one job
can never equal another job's."""

from __future__ import annotations

import json
from typing import Any

from ...job import Job, JobOptions, JobState, TryError
from ..base import NewJob

OPTIONS_BASELINE: dict[str, Any] = {
    "attempts": 1,
    "backoff": None,
    "timeout": None,
    "remove_on_complete": {"count": 1000, "age": 86400.0},
    "remove_on_fail": {"count": 10000, "age": None},
}
"""Options a stored job has unless its options code says otherwise. Fixed here (not taken from
`JobOptions()`), so that stored jobs keep their meaning if the engine's defaults change."""

def unpack_fields(pack: str) -> tuple[Any, Any, Any, Any, Any, Any]:
    """created, priority, max_stalled, name, options_code, data of a pack (with or without seq)."""
    fields = json.loads(pack)
    if len(fields) == 7:
        created, _seq, priority, max_stalled, name, code, data = fields
        return created, priority, max_stalled, name, code, data
    created, priority, max_stalled, name, code, data = fields
    return created, priority, max_stalled, name, code, data


_CACHE_LIMIT = 1024
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)
"""What decoding corrupt stored fields raises (JSON, unpacking, option validation)."""


class CorruptJob(ValueError):
    """Stored job fields cannot be decoded."""


def store_id(job_id: str) -> str:
    """A job id as stored (NUL doubled)."""
    return job_id.replace("\0", "\0\0") if "\0" in job_id else job_id


def load_id(stored: str) -> str:
    """Inverse of `store_id`."""
    return stored.replace("\0\0", "\0") if "\0" in stored else stored


def _seconds(text: str | None) -> float | None:
    return float(text) if text else None


class JobCodec:
    """Encodes new jobs and decodes stored ones, caching option conversions (jobs of a queue
    almost always share their options)."""

    def __init__(self) -> None:
        self._codes: dict[JobOptions, str] = {}
        self._heads: dict[tuple[JobOptions, str], str] = {}
        self._last_head: tuple[JobOptions | None, str, str] = (None, "", "")
        """The latest (options, name, head): checked by identity first, without hashing the options."""
        self._options: dict[tuple[str, int, int], JobOptions] = {}

    # ------------------------------------------------------------ encoding

    def options_code(self, options: JobOptions) -> str:
        """JSON of the options that differ from the baseline ("" when none do)."""
        code = self._codes.get(options)
        if code is None:
            full = options.to_dict()
            diff = {k: v for k, v in full.items()
                    if k not in ("priority", "max_stalled") and OPTIONS_BASELINE.get(k, object()) != v}
            code = json.dumps(diff, separators=(",", ":"), sort_keys=True) if diff else ""
            if len(self._codes) >= _CACHE_LIMIT:
                self._codes.clear()
            self._codes[options] = code
        return code

    def pack_tail(self, job: NewJob) -> str:
        """The pack after its leading `[created,seq,` (the add script puts the server's time and
        the job's order number first); it starts with the priority."""
        last = self._last_head
        if last[0] is job.options and last[1] == job.name:  # a producer adds the same kind of job again
            return last[2] + job.data_json + "]"
        key = (job.options, job.name)
        head = self._heads.get(key)
        if head is None:
            o = job.options
            head = f"{o.priority},{o.max_stalled},{json.dumps(job.name)},{json.dumps(self.options_code(o))},"
            if len(self._heads) >= _CACHE_LIMIT:
                self._heads.clear()
            self._heads[key] = head
        self._last_head = (job.options, job.name, head)
        return head + job.data_json + "]"

    # ------------------------------------------------------------ decoding

    def options(self, code: str, priority: int, max_stalled: int) -> JobOptions:
        """The JobOptions of an options code."""
        key = (code, priority, max_stalled)
        opts = self._options.get(key)
        if opts is None:
            raw = dict(OPTIONS_BASELINE)
            if code:
                raw.update(json.loads(code))
            raw["priority"] = priority
            raw["max_stalled"] = max_stalled
            opts = JobOptions.from_dict(raw)
            if len(self._options) >= _CACHE_LIMIT:
                self._options.clear()
            self._options[key] = opts
        return opts

    def _base(self, stored: str, queue: str, pack: str, state: JobState) -> Job:
        try:
            created, priority, max_stalled, name, code, data = unpack_fields(pack)
            options = self.options(code, int(priority), int(max_stalled))
        except _DECODE_ERRORS as exc:  # any decode failure means the stored job is corrupt
            raise CorruptJob(f"job fields are invalid ({exc})") from None
        return Job(id=load_id(stored), queue=queue, name=name, data=data, state=state, options=options,
                   created_ts=float(created))

    def claimed(self, queue: str, fields: list[Any], started: float, worker_id: str) -> Job:
        """A job returned by a claim: id, pack, attempts, stalled, run_at, progress, reason, errors."""
        stored, pack, attempts, stalled, run_at, progress, reason, errors = fields
        job = self._base(stored, queue, pack, JobState.ACTIVE)
        try:
            job.attempts_made = int(attempts)
            job.stalled_count = int(stalled)
            job.run_at_ts = _seconds(run_at)
            job.progress = json.loads(progress) if progress is not None else None
            job.failed_reason = reason or None
            job.errors = [TryError.from_dict(e) for e in json.loads(errors)] if errors else []
        except _DECODE_ERRORS as exc:
            raise CorruptJob(f"job fields are invalid ({exc})") from None
        job.started_ts = started
        job.worker_id = worker_id
        return job

    def record(self, queue: str, rec: list[Any]) -> Job:
        """A job read back: id, pack, meta, result, progress, reason, errors, state, lease."""
        stored, pack, meta, result, progress, reason, errors, state, lease = rec
        job = self._base(stored, queue, pack, JobState(state))
        try:
            if meta:
                _s, attempts, stalled, started, finished, run_at, worker = meta.split("|", 6)
                job.attempts_made = int(attempts)
                job.stalled_count = int(stalled)
                job.started_ts = _seconds(started)
                job.finished_ts = _seconds(finished)
                job.run_at_ts = _seconds(run_at)
                job.worker_id = worker or None
            if lease:
                _token, cancel, started, attempts, stalled, run_at, _prio, worker = lease.split("|", 7)
                job.cancel_requested = cancel == "1"
                job.started_ts = _seconds(started)
                job.attempts_made = int(attempts)
                job.stalled_count = int(stalled)
                job.run_at_ts = _seconds(run_at)
                job.worker_id = worker or None
            job.result = json.loads(result) if result is not None else None
            job.progress = json.loads(progress) if progress is not None else None
            job.failed_reason = reason or None
            job.errors = [TryError.from_dict(e) for e in json.loads(errors)] if errors else []
        except _DECODE_ERRORS as exc:
            raise CorruptJob(f"job fields are invalid ({exc})") from None
        return job
