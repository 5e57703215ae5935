"""`sequencehub demo`, run as the README says: it completes and its summary matches the databases."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.backends.postgres import libpq_url, schema_of
from tests.sequencehub.prisma_schema import prisma_database

ROOT = Path(__file__).resolve().parents[2]


Query = Callable[[str], list[tuple[Any, ...]]]


def _check_summary_against_databases(workdir: Path, market_url: str | None = None) -> dict[str, object]:
    """Read the marketplace back with SQL on the Prisma table and column names."""
    summary = json.loads((workdir / "summary.json").read_text())
    jobs = sqlite3.connect(workdir / "jobs.db")
    if market_url is None:
        market = sqlite3.connect(workdir / "marketplace.db")
        query: Query = lambda text: market.execute(text).fetchall()  # noqa: E731
        now = "datetime('now')"
    else:
        pg = psycopg.connect(libpq_url(market_url), autocommit=True,
                             options=f"-c search_path={schema_of(market_url)}")
        query = lambda text: pg.execute(text).fetchall()  # type: ignore[arg-type]  # noqa: E731
        now = "(now() at time zone 'utc')"
    try:
        statuses = dict(query(
            'SELECT CAST(f."processingStatus" AS TEXT), count(*) FROM "ProductFile" f '
            'JOIN "Product" p ON p.id = f."productId" WHERE f."deletedAt" IS NULL GROUP BY 1'))
        assert summary["files_by_status"] == statuses
        assert statuses.get("COMPLETED", 0) >= 8 and statuses.get("FAILED") == 1  # the corrupt upload
        [(alerts,)] = query("""SELECT count(*) FROM "AuditLog" WHERE action = 'SECURITY_ALERT' """
                            """AND "entityType" = 'file-processing'""")
        assert alerts >= 1
        hook = query('SELECT CAST(status AS TEXT), attempts FROM "WebhookLog"')
        assert hook == [("SUCCESS", 3)] and summary["webhook_attempts"] == 3
        assert summary["webhook_retry_headers"] == ["1", "2", "3"]
        [(sent,)] = query("""SELECT count(*) FROM "EmailLog" WHERE status = 'SENT'""")
        assert summary["emails_sent"] == sent == len(list((workdir / "outbox").glob("*.eml"))) > 0
        assert summary["payouts"] == query('SELECT count(*) FROM "Payout"')[0][0] > 0
        assert summary["dead_letters"] == query('SELECT count(*) FROM "DeadLetterJob"')[0][0] == 1
        assert summary["alerts_sent"] == 1
        resend_ids = summary["resend_ids"]  # type: ignore[index]
        assert len(resend_ids) == sent and all(i.startswith("re_demo_") for i in resend_ids)
        assert sorted(r for (r,) in query("""SELECT "externalId" FROM "EmailLog" WHERE status = 'SENT'""")) \
            == resend_ids
        assert summary["stripe_event"] == "checkout.session.completed evt_demo_checkout: PROCESSED"
        assert summary["stripe_order_status"] == "PAID"
        assert query("""SELECT CAST(status AS TEXT) FROM "Order" WHERE "stripeSessionId" = 'cs_demo_1'""") == [
            ("PAID",)]
        engagement = summary["engagement"]  # type: ignore[index]
        assert engagement["downloads"] > 0 and engagement["active buyers"] > 0
        [(expired,)] = query(f"""SELECT count(*) FROM "UploadSession" WHERE "expiresAt" < {now} """
                             """AND CAST(status AS TEXT) IN ('INITIATED', 'UPLOADING')""")
        assert expired == 0, "the cleanup removed expired upload sessions"
        for queue, counts in summary["jobs"].items():  # type: ignore[union-attr]
            stored = dict(jobs.execute("SELECT state, count(*) FROM jobs WHERE queue = ? GROUP BY state", (queue,)))
            assert {k: v for k, v in counts.items() if v} == stored, queue
        return summary
    finally:
        jobs.close()
        if market_url is None:
            market.close()
        else:
            pg.close()


def test_demo_completes_and_its_summary_matches_the_databases(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "sequencehub.cli", "demo", "--dir", str(workdir), "--port", "0"],
                          cwd=tmp_path, text=True, capture_output=True, timeout=600,
                          env=dict(os.environ, COLUMNS="120"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "what happened" in proc.stdout and "dashboard: http://127.0.0.1:" in proc.stdout
    _check_summary_against_databases(workdir)
    # `hubjobs tokens create` against the demo's database writes to the store the demo's dashboard read
    from hubjobs.admin.tokens import TokenStore

    demo_token = proc.stdout.split("token: ", 1)[1].split()[0].rstrip(")")
    created = subprocess.run([sys.executable, "-m", "hubjobs.cli", "--url", f"sqlite:///{workdir / 'jobs.db'}",
                              "tokens", "create", "--role", "viewer"], cwd=tmp_path, text=True,
                             capture_output=True, timeout=120, env={k: v for k, v in os.environ.items()
                                                                    if k != "HUBJOBS_TOKEN_STORE"})
    assert created.returncode == 0, created.stderr
    store = TokenStore(workdir / "jobs.tokens.db")
    assert store.verify(demo_token) is not None and store.verify(created.stdout.split()[-1]) is not None
    _check_hand_off(proc.stdout, tmp_path)


def _check_hand_off(stdout: str, cwd: Path) -> None:
    """The demo ends by saying its dashboard stopped, says NOT SCANNED once (a count), explains
    the e-mail count, and its closing commands work as printed."""
    assert "The dashboard stopped with the demo." in stdout
    assert stdout.count("NOT SCANNED") == 1 and "upload(s) were NOT checked for malware" in stdout
    assert "admin alert about dead letters" in stdout
    tail = stdout.rsplit("Read the demo's jobs from the command line:", 1)[1]
    commands = [line.strip() for line in tail.splitlines() if line.strip().startswith("hubjobs --url ")]
    assert len(commands) == 3
    for command in commands:
        argv = shlex.split(command)
        done = subprocess.run([sys.executable, "-m", "hubjobs.cli", *argv[1:]], cwd=cwd, text=True,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, (command, done.stderr)


def test_demo_on_a_postgresql_database_made_by_prisma(tmp_path: Path) -> None:
    """The app's own layout on PostgreSQL is the marketplace database: the demo changes its rows."""
    workdir = tmp_path / "demo"
    with prisma_database() as url:
        proc = subprocess.run([sys.executable, "-m", "sequencehub.cli", "demo", "--dir", str(workdir),
                               "--no-dashboard", "--database-url", url],
                              cwd=tmp_path, text=True, capture_output=True, timeout=600,
                              env=dict(os.environ, COLUMNS="120"))
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert not (workdir / "marketplace.db").exists()
        _check_summary_against_databases(workdir, url)


def test_readme_main_command_in_a_clean_virtualenv(tmp_path: Path) -> None:
    """The README's first command, on a copy of the committed tree, in a new virtualenv."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    readme = (clone / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "sequencehub demo" in line and line.startswith("python"))
    proc = subprocess.run(["bash", "-c", command], cwd=clone, text=True, capture_output=True, timeout=900,
                          env={k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    _check_summary_against_databases(clone / "sequencehub-demo")
