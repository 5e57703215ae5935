"""What the three worker sides share: the handlers' bookkeeping in files the harness watches.

- `marker` jobs write a file (the end-to-end clock starts and stops on them);
- `latency` jobs append `now - enqueued_at` (seconds) to the latency file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def touch(path: str) -> None:
    """Write a marker file atomically (the harness polls for it)."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(str(time.time()))
    os.replace(tmp, path)


def record_latency(path: str, enqueued_at: float) -> None:
    """Append one pickup latency (handler start minus enqueue time, wall clock, same machine)."""
    delay = time.time() - enqueued_at
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{delay:.6f}\n")
