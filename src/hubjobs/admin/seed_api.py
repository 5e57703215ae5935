"""The seed's two admin endpoints, with exactly its shapes.

- `GET /api/admin/jobs` → `{"queues": {name: counts}, "recentFailures": [{"id", "queue", "data",
  "error", "attempts", "timestamp"}]}`: the 10 most recent failures per queue; `timestamp` is when
  the job failed, in epoch milliseconds.
- `POST /api/admin/jobs/retry` with `{"jobId", "queueName"}` → `{"success": true, "jobId"}`.

401 without credentials, 403 for a token that is not an admin (retry), 404 for an unknown queue
or job, 400 for a malformed body, 409 for a job that is not failed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..job import Job, JobState
from .auth import Permission, Principal
from .tokens import Role
from .http import Problem, json_response, read_json_object
from .state import AdminState

RECENT_FAILURES_PER_QUEUE = 10


def recent_failure(job: Job) -> dict[str, Any]:
    """One entry of `recentFailures`."""
    ts = job.finished_ts if job.finished_ts is not None else job.created_ts
    return {"id": job.id, "queue": job.queue, "data": job.data, "error": job.failed_reason,
            "attempts": job.attempts_made, "timestamp": int(ts * 1000)}


Handler = Callable[[Request, Principal], Awaitable[Response]]


def _permission(state: AdminState, permission: Permission) -> Permission:
    """With `seed_admin_only`, any signed-in caller reaches the handler, which answers 401 itself."""
    return Permission.SIGNED_IN if state.settings.seed_admin_only else permission


def _admin_only(state: AdminState, handler: Handler) -> Handler:
    """`handler`, answering 401 to non-admins when the settings ask for it (as the app's own code)."""
    if not state.settings.seed_admin_only:
        return handler

    async def guarded(request: Request, principal: Principal) -> Response:
        if principal.role is not Role.ADMIN:
            raise Problem(401, "admin access required", headers={"WWW-Authenticate": 'Bearer realm="hubjobs"'})
        return await handler(request, principal)

    return guarded


def seed_routes(state: AdminState) -> list[Route]:
    """Routes relative to the API mount (`/api`)."""

    async def admin_jobs(request: Request, principal: Principal) -> Response:
        """Counts per queue and the most recent failures."""
        queues: dict[str, dict[str, int]] = {}
        failures: list[dict[str, Any]] = []
        for name in await state.service.queue_names():
            queue = await state.service.queue(name)
            queues[name] = await queue.acounts()
            failures += [recent_failure(j) for j in await queue.ajobs(JobState.FAILED, 0, RECENT_FAILURES_PER_QUEUE)]
        return json_response({"queues": queues, "recentFailures": failures})

    async def retry(request: Request, principal: Principal) -> Response:
        """Retry one failed job."""
        body = await read_json_object(request, state.settings.max_body_bytes)
        job_id = body.get("jobId")
        queue_name = body.get("queueName")
        for field, value in (("jobId", job_id), ("queueName", queue_name)):
            if not isinstance(value, str) or not value:
                raise Problem(400, f"{field} must be a non-empty string", field=field)
        assert isinstance(job_id, str) and isinstance(queue_name, str)
        job = await state.service.job(queue_name, job_id)
        if job.state != JobState.FAILED:
            raise Problem(409, f"job {job_id!r} is {job.state.value}; only failed jobs can be retried")
        result = await state.service.retry_jobs(queue_name, [job_id])
        if not result.done:
            raise Problem(409, f"job {job_id!r} could not be retried: {result.skipped.get(job_id, 'unknown')}")
        await state.audit(principal, "retry", "api", queue=queue_name, job_ids=[job_id])
        return json_response({"success": True, "jobId": job_id})

    return [
        state.api_route("/admin/jobs", _admin_only(state, admin_jobs), methods=["GET"],
                        permission=_permission(state, Permission.READ)),
        state.api_route("/admin/jobs/retry", _admin_only(state, retry), methods=["POST"],
                        permission=_permission(state, Permission.ACT)),
    ]
