"""Turn SQLite rows into Job values."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ...job import Job, JobOptions, JobState, TryError
from ..job_rows import CorruptJobRow, job_from_row
from .connection import UndecodableText


def row_to_job(row: sqlite3.Row) -> Job:
    """Decode a `jobs` row; raises CorruptJobRow naming the column that is bad."""
    for column, value in zip(row.keys(), row):
        if isinstance(value, UndecodableText):
            raise CorruptJobRow(f"column {column} is not valid UTF-8 text")
    try:
        data = json.loads(row["data"])
    except (TypeError, ValueError, RecursionError) as exc:
        raise CorruptJobRow(f"column data is not JSON ({exc})") from None
    try:
        options = JobOptions.from_dict(json.loads(row["options"]))
    except Exception as exc:  # any decode/validation failure means a corrupt row
        raise CorruptJobRow(f"column options is invalid ({exc})") from None
    try:
        state = JobState(row["state"])
        errors_raw: list[dict[str, Any]] = json.loads(row["errors"] or "[]")
        errors = [TryError.from_dict(e) for e in errors_raw]
        progress = None if row["progress"] is None else json.loads(row["progress"])
        result = None if row["result"] is None else json.loads(row["result"])
    except Exception as exc:
        raise CorruptJobRow(f"row is invalid ({exc})") from None
    return job_from_row(row, data=data, state=state, options=options, progress=progress,
                        result=result, errors=errors)


def corrupt_placeholder(row: sqlite3.Row, exc: CorruptJobRow) -> Job:
    """A stand-in Job for a row that cannot be decoded, so admins can see and remove it:
    its raw data as text, its stored state (or failed), and the decoding error as reason."""
    def text(column: str) -> str | None:
        value = row[column]
        return None if value is None else str(value)

    try:
        state = JobState(row["state"])
    except ValueError:
        state = JobState.FAILED
    reason = text("failed_reason") or f"corrupt job row in storage: {exc}"
    return Job(id=str(row["id"]), queue=str(row["queue"]), name=str(row["name"]), data=text("data"),
               state=state, failed_reason=reason, created_ts=float(row["created_at"] or 0.0),
               finished_ts=row["finished_at"] if isinstance(row["finished_at"], float) else None)
