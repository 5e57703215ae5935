"""The producer endpoint: `POST /api/queues/{queue}/jobs` with `{name, data, options}`.

Validation is exactly `Queue.add`'s (the queue's `build_job`: job name, handler schema, JSON
payload limits, options); any refusal is a 422 whose `field` names what is wrong (`name`,
`data.<field>`, `options.<option>`); a body not sent as `application/json` is a 415. An `Idempotency-Key` header becomes the job id, so a
repeated request returns the job it created the first time (200, `created: false`).
Allowed for `producer` and `admin` tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import ConfigurationError, InvalidJobData, InvalidJobOptions, UnknownJobName
from ..meta import MAX_META_ENTRIES
from ..queue import Queue
from .auth import Permission, Principal
from .http import Problem, json_response, read_json
from .state import AdminState

OPTION_NAMES = ("priority", "job_id", "delay", "run_at", "attempts", "backoff", "timeout", "remove_on_complete",
                "remove_on_fail", "max_stalled", "meta")
BODY_KEYS = ("name", "data", "options")
IDEMPOTENCY_HEADER = "idempotency-key"
JSON_MEDIA_TYPE = "application/json"


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, message, field=field)


def parse_options(raw: Any, idempotency_key: str | None) -> dict[str, Any]:
    """The `options` object as keyword arguments of `Queue.add` (422 naming a bad key)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _invalid("options", f"options must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(OPTION_NAMES))
    if unknown:
        raise _invalid(f"options.{unknown[0]}", f"unknown option {unknown[0]!r}; known: {', '.join(OPTION_NAMES)}")
    options = {k: v for k, v in raw.items() if v is not None}
    if "run_at" in options:
        value = options["run_at"]
        if not isinstance(value, str):
            raise _invalid("options.run_at", "run_at must be an ISO 8601 date-time with a time zone")
        try:
            options["run_at"] = datetime.fromisoformat(value)
        except ValueError:
            raise _invalid("options.run_at", f"run_at is not an ISO 8601 date-time: {value[:60]!r}") from None
    if idempotency_key is not None:
        if "job_id" in options and options["job_id"] != idempotency_key:
            raise _invalid("options.job_id", "options.job_id and the Idempotency-Key header differ; send one")
        options["job_id"] = idempotency_key
    return options


def _bad_option(queue: Queue, name: str, data: Any, options: dict[str, Any]) -> str:
    """The first option that `build_job` refuses on its own (or "options" for a combination)."""
    for key, value in options.items():
        try:
            queue.build_job(name, data, **{key: value})
        except (InvalidJobOptions, ConfigurationError, ValueError, TypeError, OverflowError):
            return f"options.{key}"
    return "options"


def validate(queue: Queue, body: Any, idempotency_key: str | None) -> tuple[str, Any, dict[str, Any]]:
    """(name, data, options) of a valid request, checked exactly as `Queue.add` checks; else 422."""
    if not isinstance(body, dict):
        raise _invalid("body", f"request body must be a JSON object with name, data and options, "
                               f"got {type(body).__name__}")
    unknown = sorted(set(body) - set(BODY_KEYS))
    if unknown:
        raise _invalid(unknown[0], f"unknown field {unknown[0]!r}; send name, data and options")
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise _invalid("name", "name must be a non-empty string (the job name)")
    data = body.get("data")
    options = parse_options(body.get("options"), idempotency_key)
    try:
        queue.build_job(name, data, **options)
    except InvalidJobData as exc:
        field = "data" if not exc.field or exc.field == "(root)" else f"data.{exc.field}"
        raise _invalid(field, str(exc)) from None
    except UnknownJobName as exc:
        raise _invalid("name", str(exc)) from None
    except InvalidJobOptions as exc:
        if exc.field == "name":
            raise _invalid("name", str(exc)) from None
        field = f"options.{exc.field}" if exc.field else _bad_option(queue, name, data, options)
        raise _invalid(field, str(exc)) from None
    except (ConfigurationError, ValueError, TypeError, OverflowError) as exc:
        raise _invalid(_bad_option(queue, name, data, options), str(exc) or type(exc).__name__) from None
    return name, data, options


def require_json(request: Request) -> None:
    """Refuse a body that is not declared as JSON (415): no guessing from the bytes."""
    declared = request.headers.get("content-type", "")
    media = declared.split(";", 1)[0].strip().lower()
    if media != JSON_MEDIA_TYPE:
        shown = repr(declared[:60]) if declared else "none"
        raise Problem(415, f"the request body must be sent as Content-Type: {JSON_MEDIA_TYPE} (got {shown})",
                      field="Content-Type")


def _continue_trace(request: Request, options: dict[str, Any]) -> None:
    """Carry an incoming W3C trace context (`traceparent` / `tracestate` headers) into the job's
    meta unless the body sets it, so tracing middleware continues the caller's trace."""
    carried = {k: v.strip() for k in ("traceparent", "tracestate")
               if (v := request.headers.get(k)) is not None and 0 < len(v.strip()) <= 512}
    if not carried:
        return
    meta = dict(options.get("meta") or {})
    if "traceparent" in meta or len(meta) + len(carried) > MAX_META_ENTRIES:
        return
    meta.update(carried)
    options["meta"] = meta


def enqueue_route(state: AdminState) -> Route:
    """`POST /queues/{queue}/jobs`, relative to the API mount."""

    async def enqueue(request: Request, principal: Principal) -> Response:
        """Add a job to a declared queue."""
        queue_name = request.path_params["queue"]
        queue = state.app.queues.get(queue_name)
        if queue is None:
            known = ", ".join(sorted(state.app.queues)) or "none declared"
            raise Problem(404, f"unknown queue {queue_name!r} (known: {known})")
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None:
            key = key.strip()
            if not key or len(key) > 256:
                raise _invalid("Idempotency-Key", "Idempotency-Key must be 1-256 characters")
        require_json(request)
        try:
            body = await read_json(request, state.settings.max_body_bytes)
        except Problem as problem:
            if problem.status == 400:
                raise Problem(400, problem.message, field="body") from None
            raise
        name, data, options = validate(queue, body, key)
        _continue_trace(request, options)
        job_id = options.get("job_id")
        existing = await queue.aget(job_id) if isinstance(job_id, str) else None
        created = existing is None
        job = existing if existing is not None else await queue.aadd(name, data, **options)
        location = f"{request.scope.get('root_path', '')}/queues/{quote(queue_name, safe='')}/jobs/{quote(job.id)}"
        return json_response({"id": job.id, "queue": queue_name, "name": job.name, "state": job.state.value,
                              "created": created}, 201 if created else 200, {"Location": location})

    return state.api_route("/queues/{queue}/jobs", enqueue, methods=["POST"], permission=Permission.ENQUEUE)
