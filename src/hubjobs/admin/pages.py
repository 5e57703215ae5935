"""Rendering dashboard pages: a Jinja2 environment with autoescape always on, and the filters the
templates use (URLs under the mount point, times, JSON previews, sparklines)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .auth import Principal
from .live import MinuteCounts
from .settings import AdminSettings
from .views import preview

SPARK_WIDTH = 120
SPARK_HEIGHT = 24


def format_time(ts: float | None) -> str:
    """UTC time of an epoch value, or "—"."""
    if ts is None:
        return "—"
    try:
        return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{ts:g} (epoch s)"


def iso_time(ts: float | None) -> str:
    """ISO 8601 of an epoch value, or ""."""
    if ts is None:
        return ""
    try:
        return datetime.fromtimestamp(ts, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


def format_age(ts: float | None, now: float | None = None) -> str:
    """"12s ago", "3m ago", "in 5h"... of an epoch value."""
    if ts is None:
        return "—"
    delta = (now if now is not None else time.time()) - ts
    future = delta < 0
    delta = abs(delta)
    if delta < 60:
        text = f"{delta:.0f}s"
    elif delta < 3600:
        text = f"{delta / 60:.0f}m"
    elif delta < 86400:
        text = f"{delta / 3600:.1f}h"
    else:
        text = f"{delta / 86400:.1f}d"
    return f"in {text}" if future else f"{text} ago"


def format_seconds(value: float | None) -> str:
    """A duration in readable units."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def pretty_json(value: Any, limit: int) -> tuple[str, bool]:
    """Indented JSON text cut to `limit` characters, and whether it was cut."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) <= limit:
        return text, False
    return text[:limit] + "\n…", True


def sparkline_points(series: Sequence[tuple[int, MinuteCounts]]) -> str:
    """SVG polyline points of completed+failed per minute, scaled to the sparkline box."""
    values = [c.completed + c.failed for _, c in series]
    if not values:
        return ""
    top = max(max(values), 1)
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{SPARK_HEIGHT - 1 - (v / top) * (SPARK_HEIGHT - 2):.1f}"
                    for i, v in enumerate(values))


def mark_matches(value: Any, text: str) -> Markup:
    """`value` escaped, with every case-insensitive occurrence of `text` wrapped in <mark>."""
    plain = str(value)
    if not text:
        return Markup(escape(plain))
    pattern = re.compile(re.escape(text), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(plain):
        out.append(str(escape(plain[last:match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(plain[last:])))
    return Markup("".join(out))


def path_segment(value: str) -> str:
    """A value quoted to sit in one URL path segment."""
    return quote(value, safe="")


def job_path(value: str) -> str:
    """A job id quoted for the job page's path (slashes kept: the route takes the rest of the path)."""
    return quote(value, safe="/")


class Pages:
    """Renders templates for one admin app."""

    def __init__(self, settings: AdminSettings) -> None:
        self.settings = settings
        self.env = Environment(loader=PackageLoader("hubjobs.admin", "templates"), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(time=format_time, iso=iso_time, age=format_age, seconds=format_seconds,
                                seg=path_segment, mark=mark_matches, jobpath=job_path, spark=sparkline_points)
        self.env.globals.update(preview=preview, pretty_json=pretty_json, spark_width=SPARK_WIDTH,
                                spark_height=SPARK_HEIGHT)

    def render(self, request: Request, template: str, *, principal: Principal | None, csrf: str = "",
               status_code: int = 200, page: str = "", **context: Any) -> HTMLResponse:
        """A page with the shared context: base path, caller, CSRF token, navigation."""
        base = str(request.scope.get("root_path", "") or "")
        html = self.env.get_template(template).render(
            base=base, principal=principal, csrf=csrf, page=page, title=self.settings.title,
            nav_links=list(self.settings.nav_links), now=time.time(), **context)
        return HTMLResponse(html, status_code=status_code)
