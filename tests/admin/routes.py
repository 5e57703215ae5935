"""Every route of an admin app as (method, concrete path), for deny-by-default tests."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

PUBLIC = {("GET", "/healthz"), ("GET", "/login"), ("POST", "/login")}
SAMPLE_PARAMS = {"queue": "files", "job_id": "some/job", "schedule_id": "nightly"}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


def _walk(routes: list[BaseRoute], prefix: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            if route.path == "/static":
                continue
            out += _walk(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    out.append((method, _concrete(prefix + route.path)))
    return out


def all_routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) of every route (static files excluded)."""
    return _walk(list(app.routes), "")


def guarded_routes(app: Starlette) -> list[tuple[str, str]]:
    """Every route that needs credentials."""
    return [r for r in all_routes(app) if r not in PUBLIC]


def action_routes(app: Starlette) -> list[tuple[str, str]]:
    """Every POST route that changes state (admin only), i.e. all POSTs but login, logout and enqueue."""
    return [(m, p) for m, p in guarded_routes(app)
            if m == "POST" and p not in ("/logout", "/api/queues/files/jobs")]
