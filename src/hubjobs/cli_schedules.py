"""CLI commands for schedules: `hubjobs schedules list [--json]`, `hubjobs schedules pause|resume ID`
and `hubjobs scheduler`.

Both take the App from click's context object: `ctx.obj.app`. Register them on the main group
with `cli.add_command(schedules)` and `cli.add_command(scheduler)`.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from .cli_support import require_database
from .logs import log_options
from .scheduler import DEFAULT_POLL_INTERVAL, run_scheduler
from .scheduling.listing import ScheduleRow, list_schedule_rows
from .scheduling.store import set_schedule_paused

if TYPE_CHECKING:
    from .app import App


def _app_of(ctx: click.Context) -> App:
    app = getattr(ctx.obj, "app", None)
    if app is None:
        raise click.UsageError("no App configured (the hubjobs CLI puts it in ctx.obj.app)")
    return app  # type: ignore[no-any-return]


def _when(instant: datetime | None) -> str:
    return "never" if instant is None else f"{instant:%Y-%m-%d %H:%M:%S}Z"


def _table(rows: list[ScheduleRow]) -> Table:
    table = Table(title="Schedules")
    table.add_column("id", no_wrap=True)
    table.add_column("expression")
    table.add_column("time zone")
    table.add_column("next run")
    table.add_column("last run")
    for row in rows:
        next_run = _when(row.next_run) if row.error is None else f"[red]{row.error}[/red]"
        if row.paused:
            next_run = f"paused (was {next_run})" if row.error is None else f"paused; {next_run}"
        schedule_id = row.id if row.stored else f"{row.id} *"
        expression = row.expression.removesuffix(f" ({row.tz})")  # the zone has its own column
        table.add_row(schedule_id, expression, row.tz, next_run, _when(row.last_run))
    if not all(row.stored for row in rows):
        table.caption = "* declared in this App, not stored yet (no scheduler has run)"
    return table


@click.group("schedules")
def schedules() -> None:
    """Cron and interval schedules."""


@schedules.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List schedules: id, expression, time zone, next run and last run."""
    app = _app_of(ctx)
    require_database(app)
    rows = app.portal.call(list_schedule_rows(app))
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows], indent=2))
        return
    if not rows:
        click.echo("No schedules.")
        return
    Console().print(_table(rows))


def _set_paused(ctx: click.Context, schedule_id: str, paused: bool) -> None:
    app = _app_of(ctx)
    require_database(app)
    if not app.portal.call(set_schedule_paused(app, schedule_id, paused)):
        raise click.ClickException(f"no stored schedule {schedule_id!r} (see `hubjobs schedules list`)")
    click.echo(f"{'paused' if paused else 'resumed'} schedule {schedule_id}")


@schedules.command("pause")
@click.argument("schedule_id")
@click.pass_context
def pause_command(ctx: click.Context, schedule_id: str) -> None:
    """Pause a stored schedule: its ticks add no jobs until it is resumed."""
    _set_paused(ctx, schedule_id, True)


@schedules.command("resume")
@click.argument("schedule_id")
@click.pass_context
def resume_command(ctx: click.Context, schedule_id: str) -> None:
    """Resume a paused schedule; ticks missed meanwhile go by its catch-up policy."""
    _set_paused(ctx, schedule_id, False)


async def _run_until_signal(app: App, poll_interval: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        await run_scheduler(app, stop, poll_interval=poll_interval)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await app.aclose()


@click.command("scheduler")
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=DEFAULT_POLL_INTERVAL, show_default=True,
              help="Longest sleep between steps (seconds): how soon changed schedules are seen.")
@log_options
@click.pass_context
def scheduler(ctx: click.Context, poll_interval: float) -> None:
    """Run the scheduler until SIGTERM/SIGINT: one job per schedule tick. Safe to run in several
    processes at once."""
    app = _app_of(ctx)
    if not getattr(ctx.obj, "app_path", None):
        require_database(app)  # stored schedules only: a mistyped URL must not create a database
    click.echo(f"hubjobs scheduler on {app.url}: {len(app.schedules)} declared schedule(s)", err=True)
    asyncio.run(_run_until_signal(app, poll_interval))
