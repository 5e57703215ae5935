"""Job data rules: JSON only (never pickle), bounded size and nesting, optional schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import InvalidJobData

DEFAULT_MAX_BYTES = 512 * 1024
DEFAULT_MAX_DEPTH = 64
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
"""Compact, UTF-8 and strict: made once (json.dumps with options builds an encoder per call)."""


@dataclass(frozen=True)
class PayloadLimits:
    """Bounds on job data: encoded UTF-8 size in bytes and nesting depth."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


def check_depth(data: Any, max_depth: int) -> None:
    """Raise InvalidJobData when lists/objects nest deeper than `max_depth`."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        if depth > max_depth:
            raise InvalidJobData(f"job data nests deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def encode_data(data: Any, limits: PayloadLimits = PayloadLimits()) -> str:
    """Validate and encode job data as compact JSON text.

    The checks cost little on the common small job: nesting is walked only when the text has
    more brackets than the depth limit (each level adds one), and the UTF-8 size is counted only
    when the text could exceed the limit (at most 4 bytes per character)."""
    try:
        text = _ENCODER.encode(data)
    except RecursionError:
        raise InvalidJobData(f"job data nests deeper than {limits.max_depth} levels") from None
    except (TypeError, ValueError) as exc:
        raise InvalidJobData(f"job data must be JSON-serialisable: {exc}") from None
    if text.count("[") + text.count("{") > limits.max_depth:
        check_depth(data, limits.max_depth)
    if len(text) * 4 > limits.max_bytes:
        size = len(text.encode("utf-8"))
        if size > limits.max_bytes:
            raise InvalidJobData(f"job data is {size} bytes encoded, over the limit of {limits.max_bytes} bytes "
                                 f"({limits.max_bytes / 1024:g} KiB)")
    return text


def encode_value(value: Any, what: str = "value") -> str:
    """Encode a result, progress or other JSON value; non-JSON values are refused by name."""
    if value is None:
        return "null"
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidJobData(f"{what} must be JSON-serialisable: {exc}") from None


def decode_json(text: str | bytes | None) -> Any:
    """Decode JSON text stored by a backend; None stays None."""
    if text is None:
        return None
    return json.loads(text)


def parse_data_argument(raw: str) -> Any:
    """Parse job data given as JSON text (CLI, HTTP), naming the problem when it is not JSON."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidJobData(f"job data is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def validate_schema(schema: type[BaseModel], data: Any, *, job_name: str) -> Any:
    """Check data against a pydantic model; the error names the field in plain words. Returns the
    data as given."""
    validate_model(schema, data, job_name=job_name)
    return data


def validate_model(schema: type[BaseModel], data: Any, *, job_name: str) -> BaseModel:
    """`data` as an instance of `schema` (an instance is returned as is); InvalidJobData names the
    field in plain words when it does not fit."""
    if isinstance(data, schema):
        return data
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = exc.errors()
        field, text = describe_problem(schema, problems[0])
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InvalidJobData(f"job {job_name!r}: {text}{more}", field=field) from None


def model_to_data(value: Any) -> Any:
    """Job data given as a pydantic model, as the JSON it is stored as (by alias, so the model
    validates it back); anything else unchanged."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return value


def describe_problem(schema: type[BaseModel], problem: Any) -> tuple[str, str]:
    """One pydantic error as (field path, plain words): `missing field 'template' (one of: a, b)`."""
    loc = ".".join(str(p) for p in problem.get("loc", ())) or "(root)"
    kind = problem.get("type", "")
    ctx = problem.get("ctx") or {}
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        tag = str(ctx.get("discriminator", "")).strip("'\"")
        field = f"{loc}.{tag}" if loc != "(root)" else tag
        tags = ", ".join(_discriminator_tags(schema, tag))
        choices = f" (one of: {tags})" if tags else ""
        if kind == "union_tag_not_found":
            return field, f"missing field {field!r}{choices}"
        return field, f"field {field!r} is {ctx.get('tag')!r}, not a known value{choices}"
    if kind == "missing":
        return loc, f"missing field {loc!r}"
    if kind == "extra_forbidden":
        return loc, f"unknown field {loc!r}"
    where = "the job data" if loc == "(root)" else f"field {loc!r}"
    return loc, f"{where}: {problem.get('msg', 'invalid')}"


def _discriminator_tags(schema: type[BaseModel], tag: str) -> list[str]:
    """The values a discriminator field accepts, read from the model's JSON schema."""
    try:
        tree: Any = schema.model_json_schema()
    except Exception:  # noqa: BLE001 - a schema pydantic cannot render: the message goes without the list
        return []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            disc = node.get("discriminator")
            if isinstance(disc, dict) and disc.get("propertyName") == tag and isinstance(disc.get("mapping"), dict):
                return list(disc["mapping"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return []
