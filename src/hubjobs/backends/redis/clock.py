"""The Redis server's clock, read without a round trip most of the time.

Every script reply that carries the server's time gives a sample `server_time - local_time`
taken when the reply arrived. The server read its clock before the reply left, so each sample
is a lower bound of the true offset; the largest recent sample is the best one, and
`local time + offset` never runs ahead of the server's clock (a caller waiting for a server
time to pass never stops early). Samples expire after `MAX_AGE` seconds, after which the next
reading asks the server (TIME) again, so drift between the clocks cannot accumulate."""

from __future__ import annotations

import time

MAX_AGE = 1.0


class ServerClock:
    """Estimates the server's time from recent samples."""

    def __init__(self) -> None:
        self._offset: float | None = None
        self._since = 0.0

    def sample(self, server_now: float) -> None:
        """Record the server's time as read by a reply that just arrived."""
        local = time.time()
        offset = server_now - local
        mono = time.monotonic()
        if self._offset is None or mono - self._since > MAX_AGE:
            self._offset, self._since = offset, mono
        elif offset > self._offset:
            self._offset = offset

    def estimate(self, any_age: bool = False) -> float | None:
        """The server's time now (never ahead of it), or None when no recent sample exists
        (`any_age`: from the last sample however old, None if there never was one)."""
        if self._offset is None or (not any_age and time.monotonic() - self._since > MAX_AGE):
            return None
        return time.time() + self._offset
