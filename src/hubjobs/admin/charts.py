"""Charts drawn on the server as SVG (no script library, nothing inline for the CSP to refuse):
throughput per minute (completed and failed, stacked) with axes, a failure-rate line on a second
axis and a hover title per point; and wait/run percentiles, from the backend's stored history."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from ..backends.base import Backend, History, ReadHistory
from ..history.buckets import percentile

RANGES: dict[str, tuple[int, int, str]] = {
    "hour": (3600, 60, "last hour"),
    "day": (86_400, 900, "last day"),
    "week": (7 * 86_400, 7200, "last week"),
}
"""Range name -> (seconds shown, seconds per point, label)."""
DEFAULT_RANGE = "hour"

WIDTH, HEIGHT = 960, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 52, 16, 28


def range_name(value: str | None) -> str:
    """A known range name (anything else gives the default)."""
    return value if value in RANGES else DEFAULT_RANGE


@dataclass(frozen=True)
class Percentiles:
    """p50 and p95 of a queue's waits and runs over a range (None without data)."""

    wait_p50: float | None
    wait_p95: float | None
    run_p50: float | None
    run_p95: float | None
    jobs: int


def percentiles_of(history: History) -> Percentiles:
    """Percentiles from a history's summed duration buckets."""
    return Percentiles(percentile(history.wait_buckets, 0.5), percentile(history.wait_buckets, 0.95),
                       percentile(history.run_buckets, 0.5), percentile(history.run_buckets, 0.95),
                       sum(history.run_buckets.values()))


async def read_range(backend: Backend, queue: str | None, name: str, now: float | None = None) -> History:
    """The stored history of a queue (or every queue) over a named range, ending now."""
    span, step, _label = RANGES[name]
    end = int(time.time() if now is None else now)
    end = end - end % step + step  # the current, partial point included
    return await backend.read_history(ReadHistory(queue, end - span, end, step))


def _nice_ceiling(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(at: int, name: str) -> str:
    moment = datetime.fromtimestamp(at, tz=UTC)
    return moment.strftime("%a %H:%M") if name == "week" else moment.strftime("%H:%M")


def throughput_svg(history: History, name: str, now: float | None = None, title: str = "Throughput") -> Markup:
    """An SVG chart of jobs per minute (completed and failed stacked), one point per step."""
    span, step, label = RANGES[name]
    end = int(time.time() if now is None else now)
    end = end - end % step + step
    starts = list(range(end - span, end, step))
    by_at = {p.at: p for p in history.points}
    per_minute = step / 60
    rows = [(at, by_at[at].completed if at in by_at else 0, by_at[at].failed if at in by_at else 0) for at in starts]
    top = _nice_ceiling(max([(c + f) / per_minute for _, c, f in rows] + [0.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(rows)
    bar = max(1.0, slot * 0.8)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * min(value, top) / top

    total_c = sum(c for _, c, _ in rows)
    total_f = sum(f for _, _, f in rows)
    summary = (f"{title}, {label}: {total_c:,} completed, {total_f:,} failed"
               f"{f' ({100 * total_f / (total_c + total_f):.1f} % failed)' if total_c + total_f else ''}")
    parts = [(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(summary)}" '
              f'preserveAspectRatio="xMidYMid meet">')]
    for frac in (0.0, 0.5, 1.0):  # left axis: jobs per minute; right axis: failure rate
        gy = y(top * frac)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">{_num(top * frac)}</text>')
        parts.append(f'<text class="axis rate" x="{WIDTH - RIGHT + 6}" y="{gy + 4:.1f}">{int(frac * 100)}%</text>')
    parts.append(f'<text class="axis" x="{LEFT + 4}" y="{TOP - 4}">jobs/min</text>')
    ticks = 6
    for i in range(ticks + 1):
        index = min(len(rows) - 1, round(i * (len(rows) - 1) / ticks))
        tx = LEFT + slot * index + slot / 2
        parts.append(f'<text class="axis" x="{tx:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                     f'{_label(rows[index][0], name)}</text>')
    rate_points: list[str] = []
    for i, (at, completed, failed) in enumerate(rows):
        x = LEFT + slot * i
        c_rate, f_rate = completed / per_minute, failed / per_minute
        share = failed / (completed + failed) if completed + failed else 0.0
        rate_points.append(f"{x + slot / 2:.1f},{TOP + plot_h - plot_h * share:.1f}")
        tip = (f"{_label(at, name)} UTC: {_num(c_rate)} completed, {_num(f_rate)} failed per minute"
               f" ({100 * share:.0f} % failed)")
        parts.append(f'<g class="pt"><title>{escape(tip)}</title>'
                     f'<rect class="hit" x="{x:.1f}" y="{TOP}" width="{slot:.1f}" height="{plot_h}"/>')
        if completed:
            parts.append(f'<rect class="ok" x="{x + (slot - bar) / 2:.1f}" y="{y(c_rate):.1f}" width="{bar:.1f}" '
                         f'height="{TOP + plot_h - y(c_rate):.1f}"/>')
        if failed:
            base = y(c_rate)
            parts.append(f'<rect class="bad" x="{x + (slot - bar) / 2:.1f}" y="{y(c_rate + f_rate):.1f}" '
                         f'width="{bar:.1f}" height="{base - y(c_rate + f_rate):.1f}"/>')
        parts.append("</g>")
    parts.append(f'<polyline class="rate" points="{" ".join(rate_points)}"/>')
    parts.append(f'<line class="axisline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
