"""Logging: the one line per job a worker writes (start and success at INFO, retry at WARNING,
final failure at ERROR; queue, name, id, try, duration and error type, never job data), and
the `--log-level` / `--log-format text|json` options of the long-running commands."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

JOB_LOGGER = "hubjobs.jobs"
JOB_FIELDS = ("queue", "job_name", "job_id", "try", "duration_s", "error_type", "retry_in_s")
"""Fields a job line carries (as LogRecord attributes, and as keys in JSON)."""
LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")

F = TypeVar("F", bound=Callable[..., Any])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the job fields
    present, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON."""
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in JOB_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    """Send log records of `level` and above to stderr as text or JSON (replacing the root
    logger's handlers)."""
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def log_options(fn: F) -> F:
    """`--log-level` and `--log-format` on a click command; they configure logging before it runs."""
    def apply(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        ctx.meta.setdefault("hubjobs_logging", {})[_param.name] = value
        chosen = ctx.meta["hubjobs_logging"]
        if "log_level" in chosen and "log_format" in chosen:
            configure_logging(chosen["log_level"], chosen["log_format"])
        return value

    fn = click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
                      expose_value=False, callback=apply, is_eager=True,
                      help="Log lines as text or one JSON object per line.")(fn)
    fn = click.option("--log-level", type=click.Choice(LEVELS), default="warning", show_default=True,
                      expose_value=False, callback=apply, is_eager=True,
                      help="Least severe level logged: info shows every job's start and success; "
                           "retries and final failures show at warning.")(fn)
    return fn
