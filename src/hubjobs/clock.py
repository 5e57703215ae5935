"""The clock of backends without a server clock (SQLite, memory://): wall time plus an offset
that tests move forward (`hubjobs.pytest_plugin`'s `clock.advance(seconds)`), so delayed jobs,
retry backoff, leases and schedules come due without sleeping. Redis and PostgreSQL read their
server's clock and ignore it."""

from __future__ import annotations

import threading
import time

_offset = 0.0
_lock = threading.Lock()


def now() -> float:
    """Epoch seconds: wall time plus the offset (0 outside tests)."""
    return time.time() + _offset


def offset() -> float:
    """Seconds the clock has been advanced."""
    return _offset


def advance(seconds: float) -> float:
    """Move the clock forward by `seconds` (>= 0); returns the new offset."""
    global _offset
    if not seconds >= 0:
        raise ValueError(f"the clock only moves forward: seconds must be >= 0, got {seconds!r}")
    with _lock:
        _offset += float(seconds)
        return _offset


def reset() -> None:
    """Back to wall time."""
    global _offset
    with _lock:
        _offset = 0.0
