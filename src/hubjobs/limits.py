"""The documented range of every job option and the text rules of job ids and names.

One set of rules for every backend, checked before anything is stored (by `Queue.build_job`,
which every add path and the HTTP endpoint go through), so a value a backend could not store
is refused with a typed error naming the field instead of a driver error:

- `priority` 1-10; `attempts` 1 to 1,000,000; `max_stalled` and a retention `count` 0 to
  1,000,000,000 (well inside the 32-bit integers PostgreSQL stores);
- seconds (`delay`, `timeout`, backoff `delay` and `cap`, retention `age`) finite, 0 to
  `MAX_SECONDS` (100 years); `run_at` within the years 1970-9999;
- text (job ids, job names, every string and key in the data) is valid Unicode: no lone
  surrogate (`"\\ud800"`), which UTF-8 cannot encode; ids and names also hold no control
  character (U+0000-U+001F, U+007F-U+009F), which some stores refuse and others keep verbatim.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import InvalidJobData, InvalidJobOptions

MIN_PRIORITY = 1
MAX_PRIORITY = 10
MAX_ATTEMPTS = 1_000_000
MAX_COUNT = 1_000_000_000
MAX_SECONDS = 100 * 365.25 * 24 * 3600.0
MAX_EPOCH = 253402300799.0
"""9999-12-31T23:59:59Z."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_int(value: Any, field: str, low: int, high: int) -> int:
    """`value` as an int within [low, high], else InvalidJobOptions naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidJobOptions(f"{field} must be an integer from {low} to {high}, got {value!r}", field=field)
    if not low <= value <= high:
        raise InvalidJobOptions(f"{field} must be from {low} to {high}, got {value}", field=field)
    return value


def check_seconds(value: Any, field: str, *, positive: bool = False) -> float:
    """`value` as finite seconds within [0, MAX_SECONDS] (above 0 with `positive`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidJobOptions(f"{field} must be a number of seconds, got {value!r}", field=field)
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_SECONDS or (positive and seconds == 0):
        low = "above 0" if positive else "from 0"
        raise InvalidJobOptions(f"{field} must be {low} to {MAX_SECONDS:.0f} seconds (100 years), got {value!r}",
                                field=field)
    return seconds


def check_epoch(value: float, field: str) -> float:
    """An epoch time within 1970-9999."""
    if not math.isfinite(value) or not 0 <= value <= MAX_EPOCH:
        raise InvalidJobOptions(f"{field} must be between 1970 and 9999, got {value!r}", field=field)
    return value


def bad_text(text: str) -> str | None:
    """Why `text` cannot be stored as an id or name (None when it can)."""
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        return f"holds a lone surrogate U+{ord(surrogate.group()):04X} at {surrogate.start()}"
    control = _CONTROL.search(text)
    if control is not None:
        return f"holds the control character U+{ord(control.group()):04X} at {control.start()}"
    return None


def check_identifier(value: str, field: str, label: str | None = None) -> str:
    """A job id or name: no lone surrogates, no control characters."""
    problem = bad_text(value)
    if problem is not None:
        raise InvalidJobOptions(f"{label or field} {problem}; use printable Unicode text", field=field)
    return value


def check_data_text(data: Any, encoded: str) -> None:
    """Refuse job data whose encoded text holds a lone surrogate, naming where it is."""
    if _SURROGATE.search(encoded) is None:
        return
    path = _surrogate_path(data, ())
    where = ".".join(path) if path else "(root)"
    raise InvalidJobData(f"job data at {where!r} holds a lone surrogate, which is not valid Unicode text",
                         field=where)


def _surrogate_path(value: Any, path: tuple[str, ...]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, child in value.items():
            step = str(key)
            if _SURROGATE.search(step):
                return (*path, step.encode("utf-8", "backslashreplace").decode("ascii"))
            found = _surrogate_path(child, (*path, step))
            if found is not None:
                return found
    if isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            found = _surrogate_path(child, (*path, str(i)))
            if found is not None:
                return found
    return None
