"""Building the admin ASGI app: `create_admin_app` (mountable anywhere, e.g. `/admin/queues`)
and `create_standalone_app` / `serve` (what `hubjobs dashboard` runs)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .api import api_routes
from .auth import Permission
from .dashboard import dashboard_routes
from .http import Problem, json_response, problem_response
from .metrics import CONTENT_TYPE
from .security import SecurityHeaders
from .settings import AdminSettings
from .state import AdminState, engine_problem

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger("hubjobs.admin")

STATIC_DIR = Path(__file__).parent / "static"
METRICS_READY_WAIT = 2.0


def _service_routes(state: AdminState) -> list[BaseRoute]:
    """/healthz (public) and /metrics (viewer unless `public_metrics`); neither carries job data."""

    async def healthz(request: Request) -> Response:
        try:
            await (await state.app.backend()).now()
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            log.warning("health check failed: %s", exc)
            return json_response({"status": "unavailable"}, 503)
        return json_response({"status": "ok"})

    async def metrics(request: Request) -> Response:
        try:
            if not state.settings.public_metrics:
                await state.auth.require(request, Permission.READ)
            await state.hub.wait_ready(METRICS_READY_WAIT)
            body = await state.metrics.scrape(state.service)
        except Exception as exc:
            problem = engine_problem(exc)
            if problem is None:
                raise
            return problem_response(problem)
        return Response(body, media_type=CONTENT_TYPE)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]


class DashboardAssets(StaticFiles):
    """The dashboard's own CSS and JavaScript (and nothing else from its folder)."""

    SUFFIXES = (".css", ".js")

    async def get_response(self, path: str, scope: Scope) -> Response:
        """404 for anything but a stylesheet or script."""
        if not path.endswith(self.SUFFIXES):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


async def _http_error(request: Request, exc: Exception) -> Response:
    """404/405 from routing as JSON problems (the Allow header kept)."""
    assert isinstance(exc, HTTPException)
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return json_response({"error": message}, exc.status_code, exc.headers)


async def _problem(request: Request, exc: Exception) -> Response:
    """A Problem raised by an extra route, as its JSON response."""
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback, answered as a JSON 500 without details."""
    log.error("unexpected error serving %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"error": "internal error; the server log has the details"}, 500)


ERROR_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    404: _http_error, 405: _http_error, Problem: _problem, Exception: _server_error}


def _lifespan(state: AdminState) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.aclose()

    return lifespan


def create_admin_app(app: App, *, settings: AdminSettings | None = None) -> Starlette:
    """The admin ASGI app for `app`: dashboard pages at its root, the REST API under `/api`,
    `/healthz`, `/metrics`, `/static`. Mount it anywhere (default path `/admin/queues`):

        host.mount("/admin/queues", create_admin_app(jobs_app))

    Its `state.admin` is the AdminState (auth, service, auditor, hub); a host that mounts it should
    `await admin.state.admin.aclose()` on shutdown (mounted apps get no lifespan events)."""
    settings = settings or AdminSettings()
    state = AdminState(app, settings)
    api = api_routes(state)
    routes: list[BaseRoute] = [
        *_service_routes(state),
        Mount("/api", routes=api),
        Mount("/static", DashboardAssets(directory=STATIC_DIR), name="static"),
        *dashboard_routes(state),
        *settings.extra_routes,
    ]
    admin = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], lifespan=_lifespan(state),
                      exception_handlers=ERROR_HANDLERS)
    admin.state.admin = state
    admin.state.api_routes = api
    return admin


def create_standalone_app(app: App, *, settings: AdminSettings | None = None) -> Starlette:
    """The server `hubjobs dashboard` runs: the dashboard at `settings.mount_path`, the API also at
    the root (`/api/admin/jobs`, `/api/queues/...` as in the seed), `/healthz`, `/metrics`, and `/`
    redirecting to the dashboard."""
    settings = settings or AdminSettings()
    admin = create_admin_app(app, settings=settings)
    state: AdminState = admin.state.admin
    mount = settings.mount_path

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{mount}/", status_code=307)

    routes: list[BaseRoute] = [Route("/", home, methods=["GET"])]
    if mount != "/":
        routes += [*_service_routes(state), Mount("/api", routes=admin.state.api_routes)]
    routes.append(Mount(mount if mount != "/" else "", app=admin))
    server = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], lifespan=_lifespan(state),
                       exception_handlers=ERROR_HANDLERS)
    server.state.admin = state
    return server


async def serve(app: App, *, host: str = "127.0.0.1", port: int = 8080, settings: AdminSettings | None = None,
                log_level: str = "info") -> None:
    """Serve the standalone app with uvicorn until stopped (SIGINT/SIGTERM)."""
    import uvicorn

    from ..serving import server_config

    settings = settings or AdminSettings()
    config = server_config(create_standalone_app(app, settings=settings), host=host, port=port,
                           forwarded_allow_ips=settings.forwarded_allow_ips, log_level=log_level)
    try:
        await uvicorn.Server(config).serve()
    finally:
        await app.aclose()
