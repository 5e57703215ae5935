"""The REST API (JSON), mounted at `/api`: queues, jobs, search, actions, schedules, workers,
dead letters, throughput, live events and the OpenAPI document. Field names are snake_case as
in `Job.summary()`; only the seed's endpoints (seed_api) keep the seed's camelCase."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..errors import InvalidJobOptions
from ..job import JobState
from .auth import Permission, Principal
from .dead_letters import DeadLetterRef
from .enqueue_api import enqueue_route
from .http import Problem, json_response, parse_state, query_int, read_json_object, string_list
from .openapi import openapi_document
from .seed_api import seed_routes
from .sse import sse_response
from .state import AdminState
from .views import dead_letter_item, job_detail, job_item, queue_item, worker_item

SPARKLINE_MINUTES = 60
MAX_SEARCH_TEXT = 200


async def optional_object(request: Request, state: AdminState) -> dict[str, Any]:
    """A JSON object body, or {} when the body is empty."""
    return await read_json_object(request, state.settings.max_body_bytes, optional=True)


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise Problem(400, f"{key} must be true or false", field=key)
    return value


def _number(body: dict[str, Any], key: str, default: float, *, minimum: float = 0.0) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= 1e12:
        raise Problem(400, f"{key} must be a number between {minimum:g} and 1e12", field=key)
    return float(value)


def api_routes(state: AdminState) -> list[BaseRoute]:
    """Every API route, relative to the `/api` mount."""
    service = state.service
    chars = state.settings.list_data_chars

    # ------------------------------------------------------------ reading

    async def list_queues(request: Request, principal: Principal) -> Response:
        """Every queue with counts, paused flag and the last hour's throughput."""
        state.hub.ensure_started()
        items = [queue_item(s, state.hub.throughput.series(s.name, SPARKLINE_MINUTES))
                 for s in await service.overview()]
        return json_response({"queues": items})

    async def get_queue(request: Request, principal: Principal) -> Response:
        """One queue."""
        name = request.path_params["queue"]
        status = await service.status(name)
        state.hub.ensure_started()
        item = queue_item(status, state.hub.throughput.series(name, SPARKLINE_MINUTES))
        item["oldest_waiting_at"] = await service.oldest_waiting_at(name) if status.counts["waiting"] else None
        return json_response(item)

    async def list_jobs(request: Request, principal: Principal) -> Response:
        """Jobs of one state, paginated."""
        name = request.path_params["queue"]
        job_state = parse_state(request.query_params.get("state"), default=JobState.WAITING)
        assert job_state is not None
        offset = query_int(request, "offset", 0, maximum=10_000_000)
        limit = query_int(request, "limit", 50, minimum=1, maximum=500)
        status = await service.status(name)
        jobs = await service.jobs(name, job_state, offset, limit)
        return json_response({"queue": name, "state": job_state.value, "offset": offset, "limit": limit,
                              "total": status.counts[job_state.value], "jobs": [job_item(j, chars) for j in jobs]})

    async def get_job(request: Request, principal: Principal) -> Response:
        """Everything about one job, with its logs."""
        name, job_id = request.path_params["queue"], request.path_params["job_id"]
        job = await service.job(name, job_id)
        return json_response(job_detail(job, await service.logs(name, job_id)))

    async def throughput(request: Request, principal: Principal) -> Response:
        """Per-minute started / completed / failed / retried counts and failure rate."""
        name = request.path_params["queue"]
        await service.queue(name)
        minutes = query_int(request, "minutes", 60, minimum=1, maximum=24 * 60)
        state.hub.ensure_started()
        series = []
        for at, counts in state.hub.throughput.series(name, minutes):
            finished = counts.completed + counts.failed + counts.retried
            rate = (counts.failed + counts.retried) / finished if finished else 0.0
            series.append({"at": at, **counts.to_dict(), "failure_rate": rate})
        return json_response({"queue": name, "minutes": series})

    async def search(request: Request, principal: Principal) -> Response:
        """Jobs whose id, name, data or error contains the text."""
        text = request.query_params.get("q", "")
        if not text or len(text) > MAX_SEARCH_TEXT:
            raise Problem(400, f"q must be 1-{MAX_SEARCH_TEXT} characters of text to look for", field="q")
        queue_name = request.query_params.get("queue") or None
        job_state = parse_state(request.query_params.get("state"))
        limit = query_int(request, "limit", 50, minimum=1, maximum=500)
        if queue_name is not None:
            await service.queue(queue_name)
        jobs = await service.search(text, queue_name, job_state, limit)
        return json_response({"q": text, "jobs": [job_item(j, chars) for j in jobs]})

    async def schedules(request: Request, principal: Principal) -> Response:
        """Stored schedules with next and last runs."""
        return json_response({"schedules": [s.to_dict() for s in await service.schedules()]})

    async def pause_schedule(request: Request, principal: Principal) -> Response:
        """Pause a stored schedule: its ticks add no jobs until resumed."""
        return await set_schedule_paused(request, principal, True)

    async def resume_schedule(request: Request, principal: Principal) -> Response:
        """Resume a paused schedule (ticks missed meanwhile go by its catch-up policy)."""
        return await set_schedule_paused(request, principal, False)

    async def set_schedule_paused(request: Request, principal: Principal, paused: bool) -> Response:
        schedule_id = request.path_params["schedule_id"]
        await optional_object(request, state)
        await service.set_schedule_paused(schedule_id, paused)
        await state.audit(principal, "schedule-pause" if paused else "schedule-resume", "api",
                          schedule=schedule_id)
        return json_response({"schedule": schedule_id, "paused": paused})

    async def workers(request: Request, principal: Principal) -> Response:
        """Workers with a live heartbeat."""
        now = time.time()
        items = []
        for w in await service.workers():
            item = worker_item(w)
            item["heartbeat_age"] = max(0.0, now - w.heartbeat_at)
            items.append(item)
        return json_response({"workers": items})

    async def dead_letters(request: Request, principal: Principal) -> Response:
        """Dead letters, newest first."""
        queue_name = request.query_params.get("queue") or None
        if queue_name is not None:
            await service.queue(queue_name)
        offset = query_int(request, "offset", 0, maximum=10_000_000)
        limit = query_int(request, "limit", 50, minimum=1, maximum=500)
        page = await state.dead_letters.page(queue_name, offset, limit)
        return json_response({"title": state.dead_letters.title, "total": page.total, "offset": offset,
                              "limit": limit, "items": [dead_letter_item(d, chars) for d in page.items]})

    async def events(request: Request, principal: Principal) -> Response:
        """Live events (Server-Sent Events) of some queues (`?queue=` repeated) or all."""
        names = request.query_params.getlist("queue")
        for name in names:
            await service.queue(name)
        return sse_response(state.hub, names)

    async def openapi(request: Request, principal: Principal) -> Response:
        """This API's OpenAPI document."""
        root = str(request.scope.get("root_path", ""))
        server = root.removesuffix("/api")
        return json_response(openapi_document(state.settings.title, server))

    # ------------------------------------------------------------ actions

    async def job_ids(request: Request) -> list[str]:
        body = await read_json_object(request, state.settings.max_body_bytes)
        return string_list(body.get("job_ids"), "job_ids")

    async def retry(request: Request, principal: Principal) -> Response:
        """Retry the given failed jobs (`job_ids`) or every failed job (`all: true`)."""
        name = request.path_params["queue"]
        await service.queue(name)
        body = await read_json_object(request, state.settings.max_body_bytes)
        if body.get("all") is True and "job_ids" not in body:
            count = await service.retry_all_failed(name)
            await state.audit(principal, "retry-all", "api", queue=name, count=count)
            return json_response({"done": [], "count": count, "skipped": {}})
        ids = string_list(body.get("job_ids"), "job_ids")
        result = await service.retry_jobs(name, ids)
        await service.mark_retried(name, result.done, f"{principal.role.value} {principal.name} (API)")
        await state.audit(principal, "retry", "api", queue=name, job_ids=result.done)
        return json_response(result.to_dict())

    async def remove(request: Request, principal: Principal) -> Response:
        """Remove jobs that are not active."""
        name = request.path_params["queue"]
        await service.queue(name)
        result = await service.remove_jobs_explained(name, await job_ids(request))
        await state.audit(principal, "remove", "api", queue=name, job_ids=result.done)
        return json_response(result.to_dict())

    async def promote(request: Request, principal: Principal) -> Response:
        """Run delayed jobs now."""
        name = request.path_params["queue"]
        await service.queue(name)
        result = await service.promote_jobs(name, await job_ids(request))
        await state.audit(principal, "promote", "api", queue=name, job_ids=result.done)
        return json_response(result.to_dict())

    async def cancel(request: Request, principal: Principal) -> Response:
        """Ask the workers running these jobs to cancel them."""
        name = request.path_params["queue"]
        await service.queue(name)
        result = await service.cancel_jobs(name, await job_ids(request))
        await state.audit(principal, "cancel", "api", queue=name, job_ids=result.done)
        return json_response(result.to_dict())

    async def pause(request: Request, principal: Principal) -> Response:
        """Pause a queue."""
        name = request.path_params["queue"]
        await service.queue(name)
        await optional_object(request, state)
        await service.pause(name)
        await state.audit(principal, "pause", "api", queue=name)
        return json_response({"queue": name, "paused": True})

    async def resume(request: Request, principal: Principal) -> Response:
        """Resume a queue."""
        name = request.path_params["queue"]
        await service.queue(name)
        await optional_object(request, state)
        await service.resume(name)
        await state.audit(principal, "resume", "api", queue=name)
        return json_response({"queue": name, "paused": False})

    async def drain(request: Request, principal: Principal) -> Response:
        """Remove every waiting (and delayed) job."""
        name = request.path_params["queue"]
        await service.queue(name)
        body = await optional_object(request, state)
        include_delayed = _bool(body, "include_delayed", True)
        count = await service.drain(name, include_delayed)
        await state.audit(principal, "drain", "api", queue=name, count=count, include_delayed=include_delayed)
        return json_response({"queue": name, "removed": count})

    async def clean(request: Request, principal: Principal) -> Response:
        """Remove jobs of a state older than `older_than` seconds."""
        name = request.path_params["queue"]
        await service.queue(name)
        body = await read_json_object(request, state.settings.max_body_bytes)
        raw_state = body.get("state")
        if not isinstance(raw_state, str) or not raw_state:
            raise Problem(400, "state must name the state to clean: waiting, delayed, completed or failed",
                          field="state")
        job_state = parse_state(raw_state)
        assert job_state is not None
        older_than = _number(body, "older_than", 0.0)
        limit = int(_number(body, "limit", 100_000, minimum=1))
        try:
            count = await service.clean(name, job_state, older_than, limit)
        except InvalidJobOptions as exc:
            raise Problem(400, str(exc), field="state") from None
        await state.audit(principal, "clean", "api", queue=name, count=count, state=job_state.value,
                          older_than=older_than)
        return json_response({"queue": name, "removed": count})

    async def dead_letter_refs(request: Request) -> tuple[list[DeadLetterRef], dict[str, Any]]:
        body = await read_json_object(request, state.settings.max_body_bytes)
        if body.get("all") is True and "items" not in body:
            return [], body
        raw = body.get("items")
        if not isinstance(raw, list) or not raw or len(raw) > 1000:
            raise Problem(400, "items must be a list of 1-1000 {queue, id} objects (or send all: true)",
                          field="items")
        refs = []
        for i, item in enumerate(raw):
            if (not isinstance(item, dict) or not isinstance(item.get("queue"), str) or not item["queue"]
                    or not isinstance(item.get("id"), str) or not item["id"]):
                raise Problem(400, f"items[{i}] must be an object with non-empty strings queue and id",
                              field=f"items[{i}]")
            refs.append(DeadLetterRef(item["queue"], item["id"]))
        for ref in refs:
            await service.queue(ref.queue)
        return refs, body

    async def replay(request: Request, principal: Principal) -> Response:
        """Replay the given dead letters, or all (of `queue`)."""
        refs, body = await dead_letter_refs(request)
        if not refs:
            queue_name = body.get("queue")
            if queue_name is not None and not isinstance(queue_name, str):
                raise Problem(400, "queue must be a string", field="queue")
            if queue_name:
                await service.queue(queue_name)
            count = await state.dead_letters.replay_all(queue_name or None)
            await state.audit(principal, "replay-all", "api", queue=queue_name or None, count=count)
            return json_response({"count": count, "done": []})
        done = await state.dead_letters.replay(refs)
        for queue_name in sorted({r.queue for r in done}):
            await state.audit(principal, "replay", "api", queue=queue_name,
                              job_ids=[r.id for r in done if r.queue == queue_name])
        return json_response({"count": len(done), "done": [{"queue": r.queue, "id": r.id} for r in done]})

    async def resolve(request: Request, principal: Principal) -> Response:
        """Mark dead letters handled (the engine removes the failed jobs)."""
        refs, _ = await dead_letter_refs(request)
        if not refs:
            raise Problem(400, "items must list the dead letters to resolve", field="items")
        done = await state.dead_letters.resolve(refs)
        for queue_name in sorted({r.queue for r in done}):
            await state.audit(principal, "resolve", "api", queue=queue_name,
                              job_ids=[r.id for r in done if r.queue == queue_name])
        return json_response({"count": len(done), "done": [{"queue": r.queue, "id": r.id} for r in done]})

    read, act = Permission.READ, Permission.ACT
    r = state.api_route
    queue_actions = {"retry": retry, "remove": remove, "promote": promote, "cancel": cancel, "pause": pause,
                     "resume": resume, "drain": drain, "clean": clean}
    routes: list[BaseRoute] = [
        r("/queues", list_queues, methods=["GET"], permission=read),
        r("/queues/{queue}", get_queue, methods=["GET"], permission=read),
        r("/queues/{queue}/jobs", list_jobs, methods=["GET"], permission=read),
        enqueue_route(state),
        r("/queues/{queue}/jobs/{job_id:path}", get_job, methods=["GET"], permission=read),
        r("/queues/{queue}/throughput", throughput, methods=["GET"], permission=read),
        *[r(f"/queues/{{queue}}/actions/{action}", fn, methods=["POST"], permission=act)
          for action, fn in queue_actions.items()],
        r("/search", search, methods=["GET"], permission=read),
        r("/schedules", schedules, methods=["GET"], permission=read),
        r("/schedules/{schedule_id}/pause", pause_schedule, methods=["POST"], permission=act),
        r("/schedules/{schedule_id}/resume", resume_schedule, methods=["POST"], permission=act),
        r("/workers", workers, methods=["GET"], permission=read),
        r("/dead-letters", dead_letters, methods=["GET"], permission=read),
        r("/dead-letters/replay", replay, methods=["POST"], permission=act),
        r("/dead-letters/resolve", resolve, methods=["POST"], permission=act),
        r("/events", events, methods=["GET"], permission=read),
        r("/openapi.json", openapi, methods=["GET"], permission=Permission.SIGNED_IN),
        *seed_routes(state),
    ]
    return routes

