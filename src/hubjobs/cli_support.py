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
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from .app import App
from .errors import ConfigurationError, HubJobsError, UnknownQueue

if TYPE_CHECKING:
    from .queue import Queue

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
    if not module_name or not attr:
        raise ConfigurationError(f"--app must look like module:attribute, got {app_path!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} for --app: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed while importing
        raise ConfigurationError(f"importing {module_name!r} for --app failed: "
                                 f"{type(exc).__name__}: {exc}") from None
    try:
        target: Any = getattr(module, attr)
    except AttributeError:
        raise ConfigurationError(f"module {module_name!r} has no attribute {attr!r}") from None
    app = target
    if not isinstance(target, App):
        if isinstance(target, type) or not callable(target):
            raise ConfigurationError(f"--app {app_path}: not a hubjobs App nor a function returning one "
                                     f"(got {type(target).__name__})")
        try:
            app = target()
        except Exception as exc:  # noqa: BLE001 - the user's factory failed: one line names it
            raise ConfigurationError(f"--app {app_path}: calling it failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(app, App):
        raise ConfigurationError(f"--app {app_path}: not a hubjobs App (got {type(app).__name__})")
    if url:
        app.url = url
    return app


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a fresh event loop."""
    return asyncio.run(coro)


class NeverTraceback(click.Group):
    """A command group whose failures are one line and a non-zero exit: engine errors read as
    themselves, anything unexpected names its type (`HUBJOBS_DEBUG=1` shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning any exception into a one-line `click.ClickException`."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("HUBJOBS_DEBUG"):
                raise
            raise click.ClickException(one_line(exc)) from None


def one_line(exc: BaseException) -> str:
    """An exception as one line: engine errors by their message, others with their type."""
    if isinstance(exc, (HubJobsError, ValueError, KeyError, OSError)):
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    return " ".join(message.split()) or type(exc).__name__


def friendly_errors(fn: F) -> F:
    """Turn engine errors into one clear line and a non-zero exit, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (HubJobsError, ValueError, KeyError, OSError) as exc:
            raise click.ClickException(one_line(exc)) from None

    return wrapper  # type: ignore[return-value]


def require_database(app: App) -> None:
    """Refuse to read a SQLite database that does not exist: reading never creates a file or folder."""
    if not app.url.lower().startswith("sqlite:"):
        return
    from .backends.sqlite.connection import file_from_url

    path = file_from_url(app.url)
    if not path.is_file():
        raise ConfigurationError(f"no jobs database at {path} (check --url / HUBJOBS_URL; "
                                 f"`hubjobs migrate` creates one)")


async def _stored_queue_names(app: App) -> list[str]:
    backend = await app.backend()
    return sorted(await backend.list_queues())


def named_queue(ctx: click.Context, name: str, *, may_create: bool = False) -> Queue:
    """The queue a command names, refusing an unknown one with the known names: those the `--app`
    declares when it is given, else those the backend holds. The database must exist unless
    `may_create` (enqueueing to a queue the `--app` declares), so a mistyped path creates nothing."""
    obj = ctx.find_object(CliContext)
    if obj is None:
        raise click.ClickException("internal error: no App loaded")
    app = obj.app
    if obj.app_path:
        queue = app.get_queue(name)
        if not may_create:
            require_database(app)
        return queue
    require_database(app)
    known = app.portal.call(_stored_queue_names(app))
    if name not in known:
        listed = ", ".join(known) or "none yet"
        raise UnknownQueue(f"unknown queue {name!r} in {app.url} (known: {listed}); "
                           f"pass --app to use the queues your App declares")
    return app.queue(name)


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


def print_table(title: str, columns: list[str], rows: list[list[Any]], *, whole_first: bool = False) -> None:
    """Print a rich table; `whole_first` never shortens the first column (ids), even when that makes
    the table wider than the terminal."""
    table = Table(title=title)
    for i, c in enumerate(columns):
        if i == 0 and whole_first:
            table.add_column(c, no_wrap=True, overflow="ignore")
        else:
            table.add_column(c)
    for r in rows:
        table.add_row(*[str(v) for v in r])
    console = Console()
    if whole_first and rows:
        widest = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
        console = Console(width=max(console.width, sum(widest) + 3 * len(columns) + 1))
    console.print(table)


FORWARDED_OPTION = click.option(
    "--forwarded-allow-ips", default=None, metavar="IPS",
    help="Comma-separated proxy addresses (or CIDR blocks, or '*') whose X-Forwarded-For and "
         "X-Forwarded-Proto are trusted; default none: the connecting address is the client.")


def proxy_list(raw: str | None, default: Any = ()) -> tuple[str, ...]:
    """The proxies named by --forwarded-allow-ips (or `default` when the option is absent)."""
    if raw is None:
        return tuple(default)
    return tuple(part.strip() for part in raw.split(",") if part.strip())
