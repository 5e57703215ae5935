"""The sync-add cell shared by the SQLite and PostgreSQL benchmarks: single adds one after
another, each library in turn, in rounds that interleave the libraries (a loaded machine's
speed drifts over seconds; every library gets a share of each phase), medians of the rounds and
each library's ratio to a named peer from the same rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

AddMany = Callable[[int], None]
"""Adds n jobs one by one."""


def interleaved(sides: Mapping[str, AddMany], n: int, rounds: int) -> dict[str, list[float]]:
    """Adds per second of each side in each round (a warm-up add first, not counted)."""
    for add_many in sides.values():
        add_many(1)
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, add_many in sides.items():
            start = time.perf_counter()
            add_many(n)
            rates[name].append(n / (time.perf_counter() - start))
    return rates


def summary(rates: Mapping[str, list[float]], peer: str) -> dict[str, Any]:
    """Medians, every round, and ratios to `peer` (JSON-ready)."""
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {"peer": peer, "rounds": dict(rates), "median_per_s": medians,
            "ratio_to_peer": {name: m / medians[peer] for name, m in medians.items()}}


def table(result: Mapping[str, Any], title: str) -> str:
    """The cell as a markdown table."""
    lines = [title, "", f"| library | sync add jobs/s (median) | rounds | ratio to {result['peer']} |",
             "|---|---:|---|---:|"]
    for name, median in sorted(result["median_per_s"].items(), key=lambda kv: -kv[1]):
        rounds = ", ".join(f"{v:,.0f}" for v in result["rounds"][name])
        lines.append(f"| {name} | {median:,.0f} | {rounds} | {result['ratio_to_peer'][name]:.2f}× |")
    return "\n".join(lines)
