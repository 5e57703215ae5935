"""CLI commands for the admin side: `dashboard` and `tokens create|list|revoke`.

The lead's `hubjobs.cli` registers them on its group and passes `ctx.obj` with an `app`
attribute (the loaded hubjobs App)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import click

from .admin.settings import AdminSettings
from .admin.tokens import Role, TokenStore, default_token_store_path
from .cli_support import FORWARDED_OPTION, proxy_list, require_database
from .logs import log_options


def _app(ctx: click.Context) -> Any:
    app = getattr(ctx.obj, "app", None)
    if app is None:
        raise click.UsageError("no App: run through `hubjobs` (it loads --app / HUBJOBS_APP)")
    return app


def _store(ctx: click.Context, path: str | None, *, must_exist: bool = False) -> TokenStore:
    """The token store: `--store`, else the one that follows the App's URL (the database must
    exist then, so a mistyped URL creates nothing). `must_exist` refuses a missing store file."""
    if path is not None:
        store = TokenStore(Path(path))
    else:
        app = _app(ctx)
        require_database(app)
        store = TokenStore(default_token_store_path(app.url))
    if must_exist and not store.path.is_file():
        raise click.ClickException(f"no token store at {store.path} (create a token with "
                                   f"`hubjobs tokens create`)")
    return store


STORE_OPTION = click.option("--store", "store_path", type=click.Path(dir_okay=False), default=None,
                            help="Token store file (default: HUBJOBS_TOKEN_STORE, or <db>.tokens.db beside "
                                 "a SQLite database, or ./hubjobs.tokens.db).")


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--mount-path", default="/admin/queues", show_default=True, help="Where the dashboard is served.")
@click.option("--public-metrics", is_flag=True, help="Serve /metrics without a token (it has no job data).")
@FORWARDED_OPTION
@STORE_OPTION
@log_options
@click.pass_context
def dashboard(ctx: click.Context, host: str, port: int, mount_path: str, public_metrics: bool,
              forwarded_allow_ips: str | None, store_path: str | None) -> None:
    """Serve the admin dashboard and API (sign in with a token from `hubjobs tokens create`)."""
    from .admin.application import serve

    app = _app(ctx)
    require_database(app)
    try:
        base = app.admin_settings if isinstance(app.admin_settings, AdminSettings) else AdminSettings()
        settings = dataclasses.replace(base, token_store=store_path or base.token_store,
                                       mount_path=mount_path.rstrip("/") or "/",
                                       public_metrics=public_metrics or base.public_metrics,
                                       forwarded_allow_ips=proxy_list(forwarded_allow_ips,
                                                                      base.forwarded_allow_ips))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    store = settings.token_store or default_token_store_path(app.url)
    if not any(t.active and t.role != Role.PRODUCER for t in TokenStore(Path(store)).all()):
        click.echo("No viewer or admin token exists yet: create one with "
                   "`hubjobs tokens create --role admin`.", err=True)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(f"Dashboard on http://{shown}:{port}{settings.mount_path if settings.mount_path != '/' else ''}/ "
               f"(API at http://{shown}:{port}/api/, token store {store})")
    try:
        asyncio.run(serve(app, host=host, port=port, settings=settings))
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled, after a clean shutdown
        pass


@click.group("tokens")
def tokens() -> None:
    """Create, list and revoke API tokens (admin, viewer, producer)."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="admin: read and act; viewer: read; producer: enqueue only.")
@click.option("--name", default=None, help="A name for the token (shown in lists and the audit log).")
@STORE_OPTION
@click.pass_context
def tokens_create(ctx: click.Context, role: str, name: str | None, store_path: str | None) -> None:
    """Create a token and print it once (it is the last word of the output)."""
    store = _store(ctx, store_path)
    try:
        created = store.create(Role.parse(role), name)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"Created {created.info.role.value} token {created.info.name!r} (id {created.info.id}) "
               f"in {store.path}.")
    click.echo("It is shown only now; store it safely:")
    click.echo(created.token)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@STORE_OPTION
@click.pass_context
def tokens_list(ctx: click.Context, as_json: bool, store_path: str | None) -> None:
    """List tokens (never their secrets)."""
    rows = _store(ctx, store_path, must_exist=True).all()
    if as_json:
        click.echo(json.dumps([{"id": t.id, "name": t.name, "role": t.role.value, "created_at": t.created_at,
                                "last_used": t.last_used, "revoked_at": t.revoked_at, "active": t.active}
                               for t in rows], indent=2))
        return
    if not rows:
        click.echo("No tokens.")
        return
    click.echo(f"{'ID':<14}{'ROLE':<10}{'STATUS':<9}{'CREATED':<22}NAME")
    for t in rows:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t.created_at))
        click.echo(f"{t.id:<14}{t.role.value:<10}{'active' if t.active else 'revoked':<9}{created:<22}{t.name}")


@tokens.command("revoke")
@click.argument("token_id")
@STORE_OPTION
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: str, store_path: str | None) -> None:
    """Revoke a token by id (its dashboard sessions end too)."""
    if not _store(ctx, store_path, must_exist=True).revoke(token_id):
        raise click.ClickException(f"no active token with id {token_id!r} (see `hubjobs tokens list`)")
    click.echo(f"Revoked token {token_id}.")
