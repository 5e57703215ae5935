"""What every `hubjobs` command shares: loading the App, running coroutines, printing output."""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from .app import App
from .errors import ConfigurationError, HubJobsError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliContext:
    """The loaded App, shared by every command through `ctx.obj`."""

    app: App
    app_path: str | None
    url: str | None


def load_app(app_path: str | None, url: str | None) -> App:
    """Import `module:attr` (an App or a factory returning one), or make a bare App for `url`."""
    if not app_path:
        return App(url)
    if ":" not in app_path:
        raise ConfigurationError(f"--app must look like module:attribute, got {app_path!r}")
    module_name, _, attr = app_path.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} for --app: {exc}") from None
    try:
        target: Any = getattr(module, attr)
    except AttributeError:
        raise ConfigurationError(f"module {module_name!r} has no attribute {attr!r}") from None
    app = target if isinstance(target, App) else target()
    if not isinstance(app, App):
        raise ConfigurationError(f"{app_path} is not a hubjobs App (got {type(app).__name__})")
    if url:
        app.url = url
    return app


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a fresh event loop."""
    return asyncio.run(coro)


def friendly_errors(fn: F) -> F:
    """Turn engine errors into one clear line and a non-zero exit, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (HubJobsError, ValueError, KeyError, OSError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            raise click.ClickException(str(message)) from None

    return wrapper  # type: ignore[return-value]


def get_app(ctx: click.Context) -> App:
    """The App of the running command."""
    obj = ctx.find_object(CliContext)
    if obj is None:
        raise click.ClickException("internal error: no App loaded")
    return obj.app


def print_json(value: Any) -> None:
    """Print JSON (datetimes as ISO strings)."""
    click.echo(json.dumps(value, indent=2, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def fmt_time(ts: float | None) -> str:
    """Epoch seconds as a short UTC time."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a rich table."""
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*[str(v) for v in r])
    Console().print(table)
