"""The hubjobs CLI as a user runs it: real processes, real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ("--app", "tests.apps:build_app_from_env")


def hubjobs(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HUBJOBS_URL=f"sqlite:///{tmp_path / 'cli.db'}",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "hubjobs.cli", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"hubjobs {' '.join(args)} failed: {proc.stderr}")
    return proc


def test_enqueue_work_and_inspect(tmp_path: Path) -> None:
    hubjobs(tmp_path, *APP, "enqueue", "q", "noop", "--data", '{"x": 1}', "--job-id", "a1")
    hubjobs(tmp_path, *APP, "enqueue", "q", "fatal", "--data", "{}", "--job-id", "bad")
    stats = json.loads(hubjobs(tmp_path, "stats", "--json").stdout)
    assert stats["q"]["waiting"] == 2
    hubjobs(tmp_path, "--app", "tests.apps:build_app_from_env", "worker", "--burst", "--queue", "q",
            "--no-claim-ahead")
    stats = json.loads(hubjobs(tmp_path, "stats", "--json").stdout)
    assert stats["q"]["completed"] == 1 and stats["q"]["failed"] == 1
    shown = json.loads(hubjobs(tmp_path, "jobs", "show", "q", "a1", "--json").stdout)
    assert shown["result"] == {"x": 1} and shown["state"] == "completed"
    failed = json.loads(hubjobs(tmp_path, "jobs", "list", "q", "--state", "failed", "--json").stdout)
    assert [j["id"] for j in failed] == ["bad"]
    assert "retried bad" in hubjobs(tmp_path, "jobs", "retry", "q", "bad").stdout
    hubjobs(tmp_path, "queue", "pause", "q")
    assert json.loads(hubjobs(tmp_path, "stats", "--json").stdout)["q"]["paused"] is True
    hubjobs(tmp_path, "queue", "resume", "q")
    assert "removed 1" in hubjobs(tmp_path, "queue", "drain", "q").stdout
    found = json.loads(hubjobs(tmp_path, "jobs", "list", "q", "--state", "completed", "--search", "x",
                               "--json").stdout)
    assert [j["id"] for j in found] == ["a1"]


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    cases = [
        ("enqueue", "q", "noop", "--data", "{not json"),
        ("jobs", "show", "q", "missing"),
        ("--url", "mysql://x", "stats"),
        ("worker",),
        ("jobs", "retry", "q", "missing"),
        ("--app", "no_such_module:app", "stats"),
    ]
    for args in cases:
        proc = hubjobs(tmp_path, *args, check=False)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error:"), (args, proc.stderr)


def test_processes_flag_runs_several_workers(tmp_path: Path) -> None:
    for i in range(20):
        hubjobs(tmp_path, *APP, "enqueue", "q", "noop", "--data", json.dumps({"i": i}))
    hubjobs(tmp_path, "--app", "tests.apps:build_app_from_env", "worker", "--burst", "--processes", "2")
    assert json.loads(hubjobs(tmp_path, "stats", "--json").stdout)["q"]["completed"] == 20
