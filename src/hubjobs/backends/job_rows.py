"""What SQL backends share when turning a `jobs` row into a Job: the column mapping and the
error for a row that cannot be decoded. Each backend decodes its own JSON columns first."""

from __future__ import annotations

from typing import Any, Protocol

from ..job import Job, JobOptions, JobState, TryError


class RowLike(Protocol):
    """A row read by column name (sqlite3.Row, a psycopg dict row)."""

    def __getitem__(self, key: str) -> Any: ...


class CorruptJobRow(ValueError):
    """A stored row cannot be decoded into a Job."""


def job_from_row(row: RowLike, *, data: Any, state: JobState, options: JobOptions,
                 progress: Any, result: Any, errors: list[TryError]) -> Job:
    """A Job from a row's plain columns plus its already decoded JSON columns."""
    return Job(
        id=row["id"],
        queue=row["queue"],
        name=row["name"],
        data=data,
        state=state,
        options=options,
        attempts_made=row["attempts_made"],
        stalled_count=row["stalled_count"],
        progress=progress,
        result=result,
        failed_reason=row["failed_reason"],
        errors=errors,
        created_ts=row["created_at"],
        run_at_ts=row["run_at"],
        started_ts=row["started_at"],
        finished_ts=row["finished_at"],
        worker_id=row["worker_id"],
        cancel_requested=bool(row["cancel_requested"]),
    )
