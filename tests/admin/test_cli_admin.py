"""`hubjobs tokens create|list|revoke` and `hubjobs dashboard`, through a click group that gives
`ctx.obj.app` as the lead's `hubjobs.cli` does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import click
import httpx
from click.testing import CliRunner

from hubjobs import App
from hubjobs.admin import TokenStore
from hubjobs.cli_admin import dashboard, tokens

from ..helpers import ROOT, wait_until_sync


def _cli(app: App) -> click.Group:
    @click.group()
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        ctx.obj = SimpleNamespace(app=app)

    cli.add_command(tokens)
    cli.add_command(dashboard)
    return cli


def test_tokens_create_list_revoke(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    app.sync_backend()  # the jobs database exists (a token store follows it; a mistyped URL creates nothing)
    runner = CliRunner()
    cli = _cli(app)
    created = runner.invoke(cli, ["tokens", "create", "--role", "viewer", "--name", "grafana"])
    assert created.exit_code == 0, created.output
    token = created.output.split()[-1]
    assert token.startswith("hjt_")
    store = TokenStore(tmp_path / "jobs.tokens.db")
    info = store.verify(token)
    assert info is not None and info.role.value == "viewer" and info.name == "grafana"
    listed = runner.invoke(cli, ["tokens", "list", "--json"])
    rows = json.loads(listed.output)
    assert [(r["name"], r["role"], r["active"]) for r in rows] == [("grafana", "viewer", True)]
    assert token not in listed.output and token.split("_", 2)[2] not in listed.output
    table = runner.invoke(cli, ["tokens", "list"])
    assert "grafana" in table.output and "active" in table.output
    revoked = runner.invoke(cli, ["tokens", "revoke", info.id])
    assert revoked.exit_code == 0 and store.verify(token) is None
    again = runner.invoke(cli, ["tokens", "revoke", info.id])
    assert again.exit_code != 0 and "no active token" in again.output
    bad = runner.invoke(cli, ["tokens", "create", "--role", "root"])
    assert bad.exit_code != 0 and "root" in bad.output
    elsewhere = runner.invoke(cli, ["tokens", "create", "--role", "admin", "--store", str(tmp_path / "other.db")])
    assert elsewhere.exit_code == 0 and TokenStore(tmp_path / "other.db").verify(elsewhere.output.split()[-1])


SERVER = textwrap.dedent("""
    import sys
    from types import SimpleNamespace
    import click
    from hubjobs import App
    from hubjobs.cli_admin import dashboard

    URL = sys.argv.pop(1)

    @click.group()
    @click.pass_context
    def cli(ctx):
        ctx.obj = SimpleNamespace(app=App(URL))

    cli.add_command(dashboard)
    cli()
""")


def test_dashboard_command_serves_until_interrupted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    existing = App(url)
    existing.sync_backend()  # the dashboard shows an existing database, it never creates one
    existing.close()
    store = TokenStore(tmp_path / "jobs.tokens.db")
    token = store.create("viewer").token
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, "dashboard", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        wait_until_sync(up, what="the dashboard to listen")
        r = httpx.get(f"http://127.0.0.1:{port}/api/admin/jobs", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == {"queues": {}, "recentFailures": []}
        assert httpx.get(f"http://127.0.0.1:{port}/admin/queues/").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode()
    assert b"/admin/queues/" in out
