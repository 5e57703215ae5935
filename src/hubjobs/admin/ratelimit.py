"""A sliding-window limiter of failed credentials (sign-ins, bearer tokens) per source address.

The source is the connecting address (`request.client`); X-Forwarded-For changes it only when
the server trusts the proxy that sent it (`AdminSettings.forwarded_allow_ips`, off by default)."""

from __future__ import annotations

import math
import time
from collections import deque

from starlette.requests import Request

MAX_TRACKED_CLIENTS = 10_000


class AttemptLimiter:
    """At most `max_attempts` failures per `window` seconds per key; then the key waits."""

    def __init__(self, max_attempts: int, window: float) -> None:
        if max_attempts < 1 or window <= 0:
            raise ValueError(f"login rate limit needs max_attempts >= 1 and window > 0, "
                             f"got {max_attempts} and {window}")
        self.max_attempts = max_attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None if it may try now."""
        now = time.monotonic()
        times = self._recent(key, now)
        if len(times) < self.max_attempts:
            return None
        return max(0.0, times[0] + self.window - now)

    def failed(self, key: str) -> None:
        """Count one failure for `key`."""
        now = time.monotonic()
        if key not in self._failures and len(self._failures) >= MAX_TRACKED_CLIENTS:
            for stale in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
                del self._failures[stale]
            if len(self._failures) >= MAX_TRACKED_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
        self._recent(key, now)
        self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of `key`."""
        self._failures.pop(key, None)


def source_of(request: Request) -> str:
    """The address failed attempts are counted against."""
    return request.client.host if request.client else "unknown"


def whole_seconds(wait: float) -> int:
    """A wait in seconds rounded up to whole seconds, at least 1 (what users and headers are told)."""
    return max(1, math.ceil(wait))


def retry_after_header(wait: float) -> dict[str, str]:
    """The Retry-After header for a wait in seconds (whole seconds, at least 1)."""
    return {"Retry-After": str(whole_seconds(wait))}
