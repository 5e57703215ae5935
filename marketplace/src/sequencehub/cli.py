"""``sequencehub``: the marketplace's own command line: ``demo``, ``run``, ``inspect`` and ``try``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.metadata import inspect_file

EXIT_UNREADABLE = 2


@click.group()
def main() -> None:
    """SequenceHUB marketplace tools."""


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value) or "-"
    return str(value)


def _fail(path: Path, message: str) -> None:
    click.echo(f"error: {path}: {message}", err=True)
    raise SystemExit(EXIT_UNREADABLE)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as one JSON object.")
@click.option("--no-verify", is_flag=True, help="Skip decompressing and checking FSEQ channel data.")
def inspect(path: Path, as_json: bool, no_verify: bool) -> None:
    """Print the metadata of a sequence file (FSEQ, ESEQ or xLights XSQ/XML).

    A file that cannot be read exits with code 2 and one line saying what is wrong and where.
    """
    try:
        metadata = inspect_file(path, verify=not no_verify)
    except SequenceFormatError as exc:
        _fail(path, str(exc))
    except IsADirectoryError:
        _fail(path, "is a directory, not a file")
    except OSError as exc:
        _fail(path, exc.strerror or str(exc))
    if as_json:
        click.echo(json.dumps(metadata, ensure_ascii=False))
        return
    table = Table(title=str(path), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in metadata.items():
        if key == "effects_per_model":
            continue
        table.add_row(key, _show(value))
    Console().print(table)


@main.command()
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("sequencehub-demo"),
              show_default=True, help="Folder for the demo's databases, uploads and outbox.")
@click.option("--keep-running", is_flag=True, help="Leave workers and dashboard up until Ctrl-C.")
@click.option("--no-dashboard", is_flag=True, help="Do not start the dashboard.")
@click.option("--port", default=8080, show_default=True, help="Dashboard port (another free one if taken).")
@click.option("--timeout", default=300.0, show_default=True, help="Give up after this many seconds.")
@click.option("--database-url", default=None, metavar="URL",
              help="Marketplace database (an empty one; e.g. postgresql://.../db?schema=app made by "
                   "prisma migrate). Default: marketplace.db in --dir.")
@click.option("--jobs-url", default=None, metavar="URL",
              help="Job engine URL (sqlite:///, redis://, postgresql://). Default: jobs.db in --dir.")
def demo(workdir: Path, keep_running: bool, no_dashboard: bool, port: int, timeout: float,
         database_url: str | None, jobs_url: str | None) -> None:
    """Run the whole system (embedded SQLite unless URLs are given): files, webhooks, emails,
    cleanup, dead letters."""
    import asyncio

    from sequencehub.demo import DemoOptions, run_demo

    options = DemoOptions(workdir=workdir, keep_running=keep_running, dashboard=not no_dashboard,
                          dashboard_port=port, timeout=timeout, database_url=database_url, jobs_url=jobs_url)
    try:
        asyncio.run(run_demo(options))
    except TimeoutError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)


@main.group(name="try")
def try_() -> None:
    """Run a real job handler on local input with a throw-away database (the app's testJobHandler)."""


@try_.command(name="process-file")
@click.option("--file", "file", required=True, type=click.Path(path_type=Path),
              help="The upload to process (.fseq, .eseq, .xsq, video, image).")
@click.option("--tasks", default=None, metavar="T1,T2",
              help="Tasks to run (default: virus-scan, metadata-extraction, thumbnail-generation, checksum).")
@click.option("--data", "data_json", default=None, metavar="JSON",
              help='Job data fields, e.g. the app\'s example {"fileId": "test-file-123", "storageKey": ...}.')
def try_process_file_command(file: Path, tasks: str | None, data_json: str | None) -> None:
    """Run process-file on FILE, printing progress and log lines; exit 1 if the job fails."""
    from sequencehub.try_job import try_process_file

    try:
        data = json.loads(data_json) if data_json else None
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    if data is not None and not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--data")
    task_list = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    try:
        run = try_process_file(file, task_list, data=data, out=click.echo)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    if not run.ok:
        raise SystemExit(1)


@main.command()
@click.option("--concurrency", "-c", type=int, default=None, help="Jobs at once.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option("--port", default=8080, show_default=True, help="Dashboard port.")
@click.option("--no-dashboard", is_flag=True, help="Workers and scheduler only.")
def run(concurrency: int | None, host: str, port: int, no_dashboard: bool) -> None:
    """Run the marketplace's workers, scheduler and dashboard (settings from SEQUENCEHUB_* and
    HUBJOBS_URL). The dashboard shows the marketplace's dead letters and writes every admin
    action to its audit log."""
    from hubjobs.runner import run_all
    from sequencehub.admin_integration import marketplace_admin_settings
    from sequencehub.app import create_marketplace

    marketplace = create_marketplace()
    run_all(marketplace.app, concurrency=concurrency, host=host, port=port, dashboard=not no_dashboard,
            admin_settings=marketplace_admin_settings(marketplace))


if __name__ == "__main__":
    main()
