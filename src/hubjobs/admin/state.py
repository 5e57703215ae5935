"""AdminState: the parts of one admin app (auth, service, audit, live events, metrics) and the
guard that wraps every endpoint."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import BackendFull, BackendUnavailable, JobNotFound, UnknownQueue
from .audit import AuditEntry, Auditor
from .auth import Authenticator, Permission, Principal
from .dead_letters import DeadLetterProvider, FailedJobs
from .http import Problem, problem_response
from .live import EventHub
from .metrics import JobMetrics
from .ratelimit import AttemptLimiter
from .service import AdminService
from .settings import AdminSettings
from .tokens import TokenStore, default_token_store_path

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger("hubjobs.admin")

Handler = Callable[[Request, Principal], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def engine_problem(exc: Exception) -> Problem | None:
    """The HTTP problem for an engine error the admin expects, or None."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, (UnknownQueue, JobNotFound)):
        return Problem(404, str(exc))
    if isinstance(exc, (BackendUnavailable, BackendFull)):
        return Problem(503, f"the job store is unavailable: {exc}", headers={"Retry-After": "5"})
    return None


class AdminState:
    """Everything one admin app shares across its routes."""

    def __init__(self, app: App, settings: AdminSettings) -> None:
        self.app = app
        self.settings = settings
        path = Path(settings.token_store) if settings.token_store is not None else default_token_store_path(app.url)
        self.tokens = TokenStore(path)
        self.auth = Authenticator(self.tokens, settings)
        self.service = AdminService(app)
        self.auditor = Auditor(app, settings.audit_hooks)
        self.metrics = JobMetrics()
        self.hub = EventHub(app, self.service, self.metrics)
        self.dead_letters: DeadLetterProvider = settings.dead_letters or FailedJobs(self.service)
        self.login_limiter = AttemptLimiter(settings.login_attempts, settings.login_window)

    @staticmethod
    def of(request: Request) -> AdminState:
        """The AdminState serving `request` (for `AdminSettings.extra_routes`, which secure
        themselves with `await AdminState.of(request).auth.require(request, Permission.READ)`)."""
        state = getattr(request.app.state, "admin", None)
        if not isinstance(state, AdminState):
            raise TypeError("this request is not served by a hubjobs admin app")
        return state

    async def aclose(self) -> None:
        """Stop live event following (ends open SSE streams)."""
        await self.hub.aclose()

    async def audit(self, principal: Principal, action: str, via: str, *, queue: str | None = None,
                    job_ids: Sequence[str] = (), **detail: Any) -> None:
        """Record an action by `principal`."""
        await self.auditor.record(AuditEntry(principal.token.id, principal.name, principal.role.value, action, via,
                                             queue, tuple(job_ids), dict(detail)))

    def api(self, permission: Permission, handler: Handler) -> Endpoint:
        """An endpoint that requires `permission` and answers errors as JSON problems."""
        async def endpoint(request: Request) -> Response:
            try:
                principal = await self.auth.require(request, permission)
                return await handler(request, principal)
            except Exception as exc:
                problem = engine_problem(exc)
                if problem is None:
                    raise
                return problem_response(problem)

        endpoint.__name__ = getattr(handler, "__name__", "endpoint")
        endpoint.__doc__ = handler.__doc__
        return endpoint

    def api_route(self, path: str, handler: Handler, *, methods: Sequence[str], permission: Permission) -> Route:
        """A JSON route guarded by `permission` (no default: every route states what it needs)."""
        return Route(path, self.api(permission, handler), methods=list(methods))
