"""Job options as stored, and `jobs` rows (dicts from psycopg) into Job values.

JSON columns arrive as text (see `connection.configure_connection`) and are decoded here: options
once per distinct stored form (the jobs of a queue share a few option sets), an empty error list
or a null result without parsing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from ...job import Job, JobOptions, JobState, TryError
from ..job_rows import CorruptJobRow, job_from_row

OPTIONS_CACHE_SIZE = 256


COLUMN_OPTIONS = {"priority": "priority", "attempts": "max_attempts", "max_stalled": "max_stalled"}
"""Options stored in columns of their own (option name -> column), left out of jobs.options."""


@functools.cache
def _default_options() -> dict[str, Any]:
    return JobOptions().to_dict()


def stored_options(options: JobOptions) -> str:
    """The JSON stored in jobs.options: the options without a column of their own, leaving out
    None values (no backoff, no timeout) and values equal to the defaults (decoding fills those
    in), compact. Usually `{}`: every byte of a row is written again at each state change."""
    defaults = _default_options()
    return json.dumps({k: v for k, v in options.to_dict().items()
                       if v is not None and k not in COLUMN_OPTIONS and v != defaults.get(k)},
                      separators=(",", ":"))


def _json(raw: Any) -> Any:
    if raw is None or isinstance(raw, (dict, list)):
        return raw
    if raw == "null":
        return None
    return json.loads(raw)


class RowDecoder:
    """Decodes rows into Jobs, remembering decoded options (JobOptions are immutable)."""

    def __init__(self) -> None:
        self._options: dict[tuple[str, int, int, int], JobOptions] = {}

    def options(self, row: Mapping[str, Any]) -> JobOptions:
        """JobOptions from jobs.options and the option columns."""
        raw = row["options"]
        if not isinstance(raw, str):
            raw = json.dumps(raw)
        key = (raw, int(row["priority"]), int(row["max_attempts"]), int(row["max_stalled"]))
        options = self._options.get(key)
        if options is None:
            stored = json.loads(raw)
            for name, column in COLUMN_OPTIONS.items():
                stored[name] = row[column]
            options = JobOptions.from_dict(stored)
            if len(self._options) >= OPTIONS_CACHE_SIZE:
                self._options.clear()
            self._options[key] = options
        return options

    def job(self, row: Mapping[str, Any]) -> Job:
        """Decode a `jobs` row; raises CorruptJobRow naming what is bad."""
        try:
            options = self.options(row)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a corrupt row
            raise CorruptJobRow(f"column options is invalid ({exc})") from None
        try:
            state = JobState(row["state"])
            raw_errors = row["errors"]
            if isinstance(raw_errors, str):
                raw_errors = [] if raw_errors == "[]" else json.loads(raw_errors)
            errors = [TryError.from_dict(e) for e in (raw_errors or [])]
            data, progress, result = _json(row["data"]), _json(row["progress"]), _json(row["result"])
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CorruptJobRow(f"row is invalid ({exc})") from None
        return job_from_row(row, data=data, state=state, options=options, progress=progress,
                            result=result, errors=errors)


def claim_order(row: Mapping[str, Any]) -> tuple[int, float, int]:
    """Sort key of claimed rows: priority, then FIFO (RETURNING order is not guaranteed)."""
    return (int(row["priority"]), float(row["enqueued_at"]), int(row["rid"]))
