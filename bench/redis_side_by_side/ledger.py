"""What every benchmark task does: write one line `<index> <added at> <started at>` to its
process's ledger file (one os.write per job on an O_APPEND file: atomic across threads)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


class Ledger:
    """The ledger file of this process, opened on first use."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._lock = threading.Lock()

    def _open(self) -> int:
        with self._lock:
            if self._fd is None:
                directory = os.environ["BENCH_LEDGER_DIR"]
                path = os.path.join(directory, f"{os.getpid()}.txt")
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            return self._fd

    def record(self, index: int, added_at: float) -> None:
        """Record that job `index` (added at `added_at`, 0 if unknown) starts now."""
        started = time.time()
        fd = self._fd if self._fd is not None else self._open()
        os.write(fd, f"{index} {added_at!r} {started!r}\n".encode())


def read_ledger(directory: Path) -> list[tuple[int, float, float]]:
    """Every complete ledger line in a directory."""
    rows: list[tuple[int, float, float]] = []
    for path in directory.glob("*.txt"):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3:
                rows.append((int(parts[0]), float(parts[1]), float(parts[2])))
    return rows


def count_lines(directory: Path) -> int:
    """How many jobs recorded so far (cheap: counts newlines)."""
    total = 0
    for path in directory.glob("*.txt"):
        with open(path, "rb") as f:
            total += f.read().count(b"\n")
    return total
