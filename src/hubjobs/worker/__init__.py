"""The worker: small services around shared slots, started and stopped by `Worker`.

- `producer`: the claim loop and its pacing (round trips that apply outcomes and claim);
- `executor`: runs one job (invoke, timeout, retry decision);
- `completer`: outcome batches of finished jobs and the events they make;
- `lease_renewal`, `stall_rescue`, `heartbeat`, `event_flusher`: maintenance, one per module.
"""

from __future__ import annotations

from .slots import RunningJob
from .worker import DEFAULT_CONCURRENCY, Worker

__all__ = ["DEFAULT_CONCURRENCY", "RunningJob", "Worker"]
