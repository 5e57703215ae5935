"""`sequencehub demo`, run as the README says: it completes and its summary matches the databases."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check_summary_against_databases(workdir: Path) -> dict[str, object]:
    summary = json.loads((workdir / "summary.json").read_text())
    market = sqlite3.connect(workdir / "marketplace.db")
    jobs = sqlite3.connect(workdir / "jobs.db")
    try:
        statuses = dict(market.execute(
            "SELECT f.processing_status, count(*) FROM product_files f JOIN products p ON p.id = f.product_id "
            "WHERE f.deleted_at IS NULL GROUP BY f.processing_status"))
        assert summary["files_by_status"] == statuses
        assert statuses.get("COMPLETED", 0) >= 8 and statuses.get("FAILED") == 1  # the corrupt upload
        hook = market.execute("SELECT status, attempts FROM webhook_logs").fetchall()
        assert hook == [("SUCCESS", 3)] and summary["webhook_attempts"] == 3
        assert summary["webhook_retry_headers"] == ["1", "2", "3"]
        sent = market.execute("SELECT count(*) FROM email_logs WHERE status = 'SENT'").fetchone()[0]
        assert summary["emails_sent"] == sent == len(list((workdir / "outbox").glob("*.eml"))) > 0
        assert summary["payouts"] == market.execute("SELECT count(*) FROM payouts").fetchone()[0] > 0
        assert summary["dead_letters"] == market.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 1
        assert summary["alerts_sent"] == 1
        expired = market.execute("SELECT count(*) FROM upload_sessions WHERE expires_at < datetime('now') "
                                 "AND status IN ('INITIATED', 'UPLOADING')").fetchone()[0]
        assert expired == 0, "the cleanup removed expired upload sessions"
        for queue, counts in summary["jobs"].items():  # type: ignore[union-attr]
            stored = dict(jobs.execute("SELECT state, count(*) FROM jobs WHERE queue = ? GROUP BY state", (queue,)))
            assert {k: v for k, v in counts.items() if v} == stored, queue
        return summary
    finally:
        market.close()
        jobs.close()


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
