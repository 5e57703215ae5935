"""HTTP plumbing shared by the API and the dashboard: problems, JSON in and out, query values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..job import JobState


class Problem(Exception):
    """An HTTP error with a message that names what is wrong (and the field, when one is)."""

    def __init__(self, status: int, message: str, *, field: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON error body: {"error": message, "field"?: name}."""
        out: dict[str, Any] = {"error": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out


def _finite(value: Any) -> Any:
    """A copy of a JSON value with non-finite floats replaced by None (JSON has no Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Compact JSON text; never fails on non-finite floats."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_response(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (text that UTF-8 cannot carry, a lone surrogate, goes out as a \\u escape)."""
    text = dumps(value)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(_finite(value), ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return Response(body, status_code=status, media_type="application/json", headers=dict(headers or {}))


def problem_response(problem: Problem) -> Response:
    """The JSON response for a Problem."""
    return json_response(problem.body(), problem.status, problem.headers)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_form_length(request: Request, max_bytes: int) -> None:
    """Refuse a form body without a Content-Length (411) or longer than `max_bytes` (413), before
    it is parsed (browsers always send the length of a form)."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise Problem(411, "a form must be sent with a Content-Length")
    if int(declared) > max_bytes:
        raise Problem(413, f"request body is over the limit of {max_bytes} bytes")


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing more than `max_bytes` (413)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Problem(400, "Content-Length must be a number of bytes")
        if int(declared) > max_bytes:
            raise Problem(413, f"request body is over the limit of {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise Problem(413, f"request body is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, max_bytes: int) -> Any:
    """The request body parsed as JSON (400 naming the problem when it is not)."""
    return parse_json(await read_body(request, max_bytes))


def parse_json(raw: bytes) -> Any:
    """JSON bytes parsed (400 naming the problem when they are not JSON; NaN and Infinity refused)."""
    if not raw.strip():
        raise Problem(400, "request body must be a JSON object, got an empty body")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise Problem(400, "request body must be UTF-8 encoded JSON") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, f"request body is not valid JSON: {exc.msg} at line {exc.lineno} "
                           f"column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise Problem(400, f"request body is not acceptable JSON: {exc}") from None


async def read_json_object(request: Request, max_bytes: int, *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object (400 otherwise); with `optional`, an empty body is {}."""
    raw = await read_body(request, max_bytes)
    if optional and not raw.strip():
        return {}
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise Problem(400, f"request body must be a JSON object, got {type(value).__name__}")
    return value


def query_int(request: Request, name: str, default: int, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
    """An integer query parameter within bounds (400 naming it otherwise)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(400, f"query parameter {name!r} must be an integer, got {raw[:50]!r}",
                      field=name) from None
    if not minimum <= value <= maximum:
        raise Problem(400, f"query parameter {name!r} must be between {minimum} and {maximum}, got {value}",
                      field=name)
    return value


def parse_state(raw: str | None, name: str = "state", *, default: JobState | None = None) -> JobState | None:
    """A job state by name (400 listing the states otherwise); empty gives `default`."""
    if raw is None or raw == "":
        return default
    try:
        return JobState(raw)
    except ValueError:
        states = ", ".join(s.value for s in JobState)
        raise Problem(400, f"{name} must be one of {states}, got {raw[:50]!r}", field=name) from None


def string_list(value: Any, field: str, *, max_items: int = 1000, max_length: int = 256) -> list[str]:
    """A non-empty JSON list of non-empty strings (400 naming the field otherwise)."""
    if not isinstance(value, list) or not value:
        raise Problem(400, f"{field} must be a non-empty list of strings", field=field)
    if len(value) > max_items:
        raise Problem(400, f"{field} may hold at most {max_items} items, got {len(value)}", field=field)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item or len(item) > max_length:
            raise Problem(400, f"{field}[{i}] must be a non-empty string of at most {max_length} characters",
                          field=f"{field}[{i}]")
    return list(dict.fromkeys(value))
