"""The `hubjobs` command line: workers, producers and admin commands."""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from typing import Any

import click

from .cli_support import (
    FORWARDED_OPTION,
    CliContext,
    NeverTraceback,
    fmt_time,
    friendly_errors,
    get_app,
    load_app,
    named_queue,
    print_json,
    print_table,
    proxy_list,
    require_database,
    run_async,
)
from .errors import ConfigurationError, InvalidJobOptions
from .extras import MissingExtra
from .job import JobState
from .logs import log_options
from .payload import parse_data_argument

STATES = [s.value for s in JobState]


LAZY_COMMANDS: dict[str, str] = {
    "schedules": "hubjobs.cli_schedules", "scheduler": "hubjobs.cli_schedules",
    "dashboard": "hubjobs.cli_admin", "tokens": "hubjobs.cli_admin",
}
"""Commands living in their own modules, imported only when used (or listed by --help): a worker
never loads the dashboard's packages, and without the dashboard extra `dashboard`/`tokens` fail
with one line naming it."""


class _LazyGroup(NeverTraceback):
    """The `hubjobs` group: the commands of `LAZY_COMMANDS` are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, the lazy ones included."""
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A command, importing its module first when it is a lazy one."""
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            try:
                module = importlib.import_module(LAZY_COMMANDS[cmd_name])
            except MissingExtra as exc:
                return _needs_extra(cmd_name, exc)
            cmd = getattr(module, cmd_name, None)
            if isinstance(cmd, click.Command):
                self.add_command(cmd, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup)
@click.version_option(package_name="hubjobs", prog_name="hubjobs", message="%(prog)s %(version)s")
@click.option("--url", envvar="HUBJOBS_URL", default=None, help="Backend URL (default sqlite:///./hubjobs.db).")
@click.option("--app", "app_path", envvar="HUBJOBS_APP", default=None, help="Your App as module:attribute.")
@click.pass_context
@friendly_errors
def main(ctx: click.Context, url: str | None, app_path: str | None) -> None:
    """hubjobs: background jobs on SQLite, Redis or PostgreSQL."""
    ctx.obj = CliContext(load_app(app_path, url), app_path, url)
    ctx.call_on_close(ctx.obj.app.close)


# ------------------------------------------------------------------ worker


@main.command()
@click.option("--queue", "-q", "queues", multiple=True, help="Queue to work on (repeatable; default all).")
@click.option("--concurrency", "-c", type=int, default=None,
              help="Slots per worker process, shared by its queues (default: each queue's own concurrency).")
@click.option("--processes", "-p", type=int, default=1, show_default=True, help="Worker processes to run.")
@click.option("--lease", type=float, default=30.0, show_default=True, help="Lease seconds (renewed while running).")
@click.option("--grace", type=float, default=30.0, show_default=True, help="Seconds to finish jobs on SIGTERM.")
@click.option("--burst", is_flag=True, help="Exit once no job is waiting, delayed or active.")
@click.option("--with-scheduler", is_flag=True, help="Also run the scheduler in this process.")
@click.option("--no-claim-ahead", is_flag=True,
              help="Never hold jobs beyond the free slots (by default quick jobs are claimed ahead).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics (with --processes N, child k uses PORT+k).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port.")
@log_options
@click.pass_context
@friendly_errors
def worker(ctx: click.Context, queues: tuple[str, ...], concurrency: int | None, processes: int, lease: float,
           grace: float, burst: bool, with_scheduler: bool, no_claim_ahead: bool, metrics_port: int | None,
           metrics_host: str) -> None:
    """Run a worker until SIGTERM/SIGINT (graceful: running jobs finish within --grace)."""
    app = get_app(ctx)
    if not app.handlers:
        raise ConfigurationError("no job handlers registered: pass --app module:attribute (or HUBJOBS_APP)")
    if processes < 1:
        raise InvalidJobOptions(f"--processes must be >= 1, got {processes}")
    if processes > 1:
        _run_processes(ctx, processes, grace)
        return
    from .supervisor import follow_supervisor

    follow_supervisor()  # a child of `--processes N`: stops when its supervisor dies
    if metrics_port:
        metrics_port += int(os.environ.get("HUBJOBS_PROCESS_SLOT", "0") or 0)
    w = app.worker(list(queues) or None, concurrency=concurrency, lease=lease, grace=grace,
                   claim_ahead=not no_claim_ahead, metrics_port=metrics_port, metrics_host=metrics_host)
    if not with_scheduler:
        w.run(burst=burst)
        return
    run_async(_worker_with_scheduler(app, w, burst))


async def _worker_with_scheduler(app: Any, w: Any, burst: bool) -> None:
    import asyncio

    run_scheduler = importlib.import_module("hubjobs.cli_schedules").run_scheduler
    stop = asyncio.Event()
    sched = asyncio.create_task(run_scheduler(app, stop))
    try:
        await w.arun(burst=burst)
    finally:
        stop.set()
        await sched


def _run_processes(ctx: click.Context, processes: int, grace: float) -> None:
    """Run N copies of this command (without --processes) under a supervisor (hubjobs/supervisor.py):
    dead children restart with backoff, SIGTERM/SIGINT reach every child; the exit code says how
    it ended (0 clean, 3 a child did not stop cleanly, 4 gave up on a child that kept dying)."""
    from .supervisor import Supervisor

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="hubjobs supervisor: %(message)s")
    command = [sys.executable, "-m", "hubjobs.cli", *_argv_without_processes(sys.argv[1:])]
    ctx.exit(Supervisor(command, processes, kill_after=grace + 30.0).run())


def _argv_without_processes(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--processes", "-p"):
            skip = True
            continue
        if arg.startswith("--processes=") or (arg.startswith("-p") and arg[2:].lstrip("=").isdigit()):
            continue
        out.append(arg)
    return out


# ------------------------------------------------------------------ producing


@main.command()
@click.argument("queue")
@click.argument("name")
@click.option("--data", default="{}", show_default=True, help="Job data as JSON.")
@click.option("--priority", type=int, default=None)
@click.option("--delay", type=float, default=None, help="Seconds to wait before it may run.")
@click.option("--job-id", default=None, help="Id (a duplicate id adds nothing).")
@click.option("--attempts", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly_errors
def enqueue(ctx: click.Context, queue: str, name: str, data: str, priority: int | None, delay: float | None,
            job_id: str | None, attempts: int | None, as_json: bool) -> None:
    """Add a job to QUEUE named NAME."""
    job = named_queue(ctx, queue, may_create=True).add(name, parse_data_argument(data), priority=priority, delay=delay, job_id=job_id,
                               attempts=attempts)
    if as_json:
        print_json(job.summary())
    else:
        click.echo(f"added job {job.id} to {queue} ({job.state.value})")


# ------------------------------------------------------------------ reading


async def _queue_names(app: Any) -> list[str]:
    backend = await app.backend()
    return sorted(set(app.queues) | set(await backend.list_queues()))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts per state for every queue."""
    app = get_app(ctx)
    require_database(app)

    async def collect() -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        backend = await app.backend()
        for name in await _queue_names(app):
            counts: dict[str, Any] = dict(await backend.count_jobs(name))
            counts["paused"] = (await backend.get_queue_settings(name)).paused
            out[name] = counts
        await app.aclose()
        return out

    result = run_async(collect())
    if as_json:
        print_json(result)
        return
    print_table("queues", ["queue", *STATES, "paused"],
                [[name, *[c[s] for s in STATES], "yes" if c["paused"] else ""] for name, c in result.items()])


@main.group()
def jobs() -> None:
    """List, show, retry, remove, promote or cancel jobs."""


@jobs.command("list")
@click.argument("queue")
@click.option("--state", type=click.Choice(STATES), default="waiting", show_default=True)
@click.option("--offset", type=int, default=0)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--search", default=None, help="Only jobs whose id, name, data or error contains this.")
@click.option("--ids", "ids_only", is_flag=True, help="Print only the ids, one a line (for scripts).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly_errors
def jobs_list(ctx: click.Context, queue: str, state: str, offset: int, limit: int, search: str | None,
              ids_only: bool, as_json: bool) -> None:
    """Jobs of QUEUE in a state (ids are printed whole: `jobs show` and `jobs retry` take them)."""
    q = named_queue(ctx, queue)
    if offset < 0 or limit < 0:
        raise InvalidJobOptions("--offset and --limit must be >= 0")
    found = q.search(search, state, limit) if search else q.jobs(state, offset, limit)
    if as_json:
        print_json([j.summary() for j in found])
        return
    if ids_only:
        for j in found:
            click.echo(j.id)
        return
    total = q.counts()[state]
    print_table(f"{queue}: {state}", ["id", "name", "priority", "attempts", "created", "finished", "error"],
                [[j.id, j.name, j.priority, f"{j.attempts_made}/{j.max_attempts}", fmt_time(j.created_ts),
                  fmt_time(j.finished_ts), (j.failed_reason or "")[:60]] for j in found], whole_first=True)
    where = f" matching {search!r}" if search else (f", from #{offset + 1}" if offset else "")
    click.echo(f"{len(found)} of {total} {state} job(s){where}")


@jobs.command("show")
@click.argument("queue")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly_errors
def jobs_show(ctx: click.Context, queue: str, job_id: str, as_json: bool) -> None:
    """One job with its data, result, errors and logs."""
    q = named_queue(ctx, queue)
    job = q.get(job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id!r} in queue {queue!r}")
    view = job.summary()
    view["logs"] = [{"at": line.at, "line": line.line} for line in q.logs(job_id)]
    if as_json:
        print_json(view)
        return
    for key in ("id", "queue", "name", "state", "priority", "attempts_made", "max_attempts", "progress",
                "failed_reason"):
        click.echo(f"{key:>14}: {view[key]}")
    for key in ("created_at", "started_at", "finished_at"):
        click.echo(f"{key:>14}: {fmt_time(view[key])}")
    click.echo(f"{'data':>14}: {json.dumps(view['data'], ensure_ascii=False)}")
    click.echo(f"{'result':>14}: {json.dumps(view['result'], ensure_ascii=False)}")
    for err in view["errors"]:
        click.echo(f"--- try {err['attempt']}: {err['message']}\n{err['stacktrace']}")
    for line in view["logs"]:
        click.echo(f"[{fmt_time(line['at'])}] {line['line']}")


@jobs.command("retry")
@click.argument("queue")
@click.argument("job_id", required=False)
@click.option("--all-failed", is_flag=True, help="Retry every failed job of the queue.")
@click.pass_context
@friendly_errors
def jobs_retry(ctx: click.Context, queue: str, job_id: str | None, all_failed: bool) -> None:
    """Send a failed job (or all) back to waiting."""
    q = named_queue(ctx, queue)
    if all_failed:
        click.echo(f"retried {q.retry_all_failed()} job(s)")
    elif job_id:
        click.echo(f"retried {q.retry(job_id).id}")
    else:
        raise click.UsageError("give a JOB_ID or --all-failed")


@jobs.command("remove")
@click.argument("queue")
@click.argument("job_id")
@click.pass_context
@friendly_errors
def jobs_remove(ctx: click.Context, queue: str, job_id: str) -> None:
    """Remove a job that is not active."""
    named_queue(ctx, queue).remove(job_id)
    click.echo(f"removed {job_id}")


@jobs.command("promote")
@click.argument("queue")
@click.argument("job_id")
@click.pass_context
@friendly_errors
def jobs_promote(ctx: click.Context, queue: str, job_id: str) -> None:
    """Run a delayed job now."""
    named_queue(ctx, queue).promote(job_id)
    click.echo(f"promoted {job_id}")


@jobs.command("cancel")
@click.argument("queue")
@click.argument("job_id")
@click.pass_context
@friendly_errors
def jobs_cancel(ctx: click.Context, queue: str, job_id: str) -> None:
    """Ask the worker running a job to cancel it."""
    named_queue(ctx, queue).cancel(job_id)
    click.echo(f"cancel requested for {job_id}")


# ------------------------------------------------------------------ queue controls


@main.group("queue")
def queue_group() -> None:
    """Pause, resume, drain or clean a queue."""


@queue_group.command("pause")
@click.argument("queue")
@click.pass_context
@friendly_errors
def queue_pause(ctx: click.Context, queue: str) -> None:
    """Stop workers claiming from QUEUE."""
    named_queue(ctx, queue).pause()
    click.echo(f"paused {queue}")


@queue_group.command("resume")
@click.argument("queue")
@click.pass_context
@friendly_errors
def queue_resume(ctx: click.Context, queue: str) -> None:
    """Let workers claim from QUEUE again."""
    named_queue(ctx, queue).resume()
    click.echo(f"resumed {queue}")


@queue_group.command("drain")
@click.argument("queue")
@click.option("--keep-delayed", is_flag=True)
@click.pass_context
@friendly_errors
def queue_drain(ctx: click.Context, queue: str, keep_delayed: bool) -> None:
    """Remove all waiting (and delayed) jobs."""
    n = named_queue(ctx, queue).drain(include_delayed=not keep_delayed)
    click.echo(f"removed {n} job(s) from {queue}")


@queue_group.command("clean")
@click.argument("queue")
@click.option("--state", type=click.Choice(["completed", "failed", "waiting", "delayed"]), default="completed",
              show_default=True)
@click.option("--older-than", type=float, default=0.0, show_default=True, help="Seconds.")
@click.pass_context
@friendly_errors
def queue_clean(ctx: click.Context, queue: str, state: str, older_than: float) -> None:
    """Remove jobs of a state older than --older-than seconds."""
    n = named_queue(ctx, queue).clean(state, older_than)
    click.echo(f"removed {n} {state} job(s) from {queue}")


@main.command("run")
@click.option("--concurrency", "-c", type=int, default=None,
              help="Worker slots, shared by its queues (default: each queue's own concurrency).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option("--port", default=8080, show_default=True, help="Dashboard port.")
@click.option("--no-dashboard", is_flag=True, help="Workers and scheduler only.")
@FORWARDED_OPTION
@log_options
@click.pass_context
@friendly_errors
def run_command(ctx: click.Context, concurrency: int | None, host: str, port: int, no_dashboard: bool,
                forwarded_allow_ips: str | None) -> None:
    """Workers for every queue, the scheduler and the dashboard in one process."""
    import dataclasses

    from .admin.settings import AdminSettings
    from .runner import run_all

    app = get_app(ctx)
    if not app.handlers:
        raise ConfigurationError("no job handlers registered: pass --app module:attribute (or HUBJOBS_APP)")
    base = app.admin_settings if isinstance(app.admin_settings, AdminSettings) else AdminSettings()
    settings = dataclasses.replace(base, forwarded_allow_ips=proxy_list(forwarded_allow_ips,
                                                                        base.forwarded_allow_ips))
    run_all(app, concurrency=concurrency, host=host, port=port, dashboard=not no_dashboard,
            admin_settings=settings)


@main.command()
@click.pass_context
@friendly_errors
def migrate(ctx: click.Context) -> None:
    """Create or upgrade the backend's schema."""
    app = get_app(ctx)

    async def go() -> None:
        await app.backend()
        await app.aclose()

    run_async(go())
    click.echo(f"schema up to date on {app.url}")


def _needs_extra(name: str, missing: MissingExtra) -> click.Command:
    """A stand-in for a command whose extra is not installed: it fails with one line naming it."""

    def fail() -> None:
        raise click.ClickException(str(missing))

    return click.Command(name, callback=fail, help=f"(needs hubjobs[{missing.extra}]) {missing}",
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})



if __name__ == "__main__":
    main(prog_name=os.environ.get("HUBJOBS_PROG", "hubjobs"))
