"""The CLI never guesses: every command refuses an unknown queue, a mistyped database path and a
bad `--app` with one line and a non-zero exit, and creates no file doing so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hubjobs import App
from hubjobs.cli import main

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.apps:build_app_from_env"

QUEUE_COMMANDS: list[tuple[str, ...]] = [
    ("enqueue", "{q}", "noop"),
    ("jobs", "list", "{q}"),
    ("jobs", "list", "{q}", "--ids"),
    ("jobs", "show", "{q}", "some-id"),
    ("jobs", "retry", "{q}", "some-id"),
    ("jobs", "remove", "{q}", "some-id"),
    ("jobs", "promote", "{q}", "some-id"),
    ("jobs", "cancel", "{q}", "some-id"),
    ("queue", "pause", "{q}"),
    ("queue", "resume", "{q}"),
    ("queue", "drain", "{q}"),
    ("queue", "clean", "{q}"),
    ("worker", "--burst", "--queue", "{q}"),
]
OTHER_COMMANDS: list[tuple[str, ...]] = [
    ("stats",), ("schedules", "list"), ("scheduler",), ("tokens", "list"), ("tokens", "revoke", "abc"),
    ("tokens", "create", "--role", "admin"), ("dashboard", "--port", "0"), ("run", "--no-dashboard"),
]
BAD_APPS = ["os:path", "os", "no_such_module:app", "tests.apps:nothing_here", "tests.apps:QUEUE", ":app"]


def files_under(root: Path) -> set[Path]:
    """Every file and folder below `root`."""
    return set(root.rglob("*"))


def invoke(*args: str) -> tuple[int, str]:
    """Run `hubjobs ARGS` in this process; returns the exit code and stderr, checking that any
    failure is exactly one line (a Python traceback would surface as an exception)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"hubjobs {' '.join(args)} raised {result.exception!r}")
    return result.exit_code, result.stderr


def assert_one_line_failure(args: tuple[str, ...], expect: str) -> None:
    code, err = invoke(*args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0, (args, err)
    assert len(lines) == 1 and lines[0].startswith("Error: "), (args, err)
    assert expect in lines[0], (args, lines[0])


@pytest.fixture
def existing_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database holding queue 'q' (and the App of tests/apps.py on it through HUBJOBS_URL)."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("HUBJOBS_URL", url)
    monkeypatch.delenv("HUBJOBS_APP", raising=False)
    app = App(url)
    app.queue("q").add("noop", {})
    app.close()
    return url


@pytest.mark.parametrize("with_app", [False, True], ids=["backend-queues", "app-queues"])
def test_unknown_queue_is_refused_naming_the_known_ones(existing_db: str, tmp_path: Path, with_app: bool) -> None:
    before = files_under(tmp_path)
    prefix = ("--app", APP) if with_app else ("--url", existing_db)
    for command in QUEUE_COMMANDS:
        if command[0] == "worker" and not with_app:
            continue  # a worker needs handlers: refused for that before any queue is read
        args = (*prefix, *(part.format(q="nosuchq") for part in command))
        assert_one_line_failure(args, "unknown queue 'nosuchq'")
        _code, err = invoke(*args)
        assert "known: " in err and "q" in err.split("known: ", 1)[1], err
    assert files_under(tmp_path) == before


def test_mistyped_database_path_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBJOBS_APP", raising=False)
    missing = tmp_path / "typo" / "jobz.db"
    url = f"sqlite:///{missing}"
    for command in [*QUEUE_COMMANDS, *OTHER_COMMANDS]:
        args = ("--url", url, *(part.format(q="q") for part in command))
        expect = "no job handlers" if command[0] in ("worker", "run") else f"no jobs database at {missing}"
        assert_one_line_failure(args, expect)
    for command in [("jobs", "list", "q"), ("jobs", "show", "q", "x"), ("queue", "pause", "q"), ("stats",),
                    ("schedules", "list"), ("tokens", "list"), ("tokens", "create", "--role", "viewer")]:
        monkeypatch.setenv("HUBJOBS_URL", url)  # with the App's queues known, reading still creates nothing
        assert_one_line_failure(("--app", APP, *command), f"no jobs database at {missing}")
    assert files_under(tmp_path) == set()


def test_bad_app_is_one_line_for_every_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBJOBS_URL", f"sqlite:///{tmp_path / 'jobs.db'}")
    for bad in BAD_APPS:
        for command in [*QUEUE_COMMANDS, *OTHER_COMMANDS, ("migrate",)]:
            assert_one_line_failure(("--app", bad, *(part.format(q="q") for part in command)), "app")
    assert files_under(tmp_path) == set()


def test_bad_app_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    env = dict(os.environ, HUBJOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "hubjobs.cli", "--app", "os:path", "stats"], cwd=tmp_path,
                          env=env, text=True, capture_output=True, timeout=120, check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_jobs_list_prints_ids_whole_with_a_footer(existing_db: str) -> None:
    app = App(existing_db)
    long_id = "order-" + "x" * 120
    app.queue("q").add("noop", {}, job_id=long_id)
    app.close()
    result = CliRunner().invoke(main, ["--url", existing_db, "jobs", "list", "q"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert long_id in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "2 of 2 waiting job(s)"
    ids = CliRunner().invoke(main, ["--url", existing_db, "jobs", "list", "q", "--ids"]).stdout.split()
    assert long_id in ids and len(ids) == 2


def test_schema_errors_read_as_plain_words() -> None:
    from typing import Annotated, Literal

    from pydantic import BaseModel, Field, RootModel

    from hubjobs.errors import InvalidJobData
    from hubjobs.payload import validate_schema

    class A(BaseModel):
        template: Literal["order-confirmation"]

    class B(BaseModel):
        template: Literal["download-ready"]
        url: str

    class Email(RootModel[Annotated[A | B, Field(discriminator="template")]]):
        pass

    with pytest.raises(InvalidJobData) as info:
        validate_schema(Email, {"to": "x"}, job_name="send-email")
    text = str(info.value)
    assert text.startswith("job 'send-email': missing field 'template' (one of: "), text
    assert "order-confirmation" in text and "download-ready" in text and "discriminator" not in text
    with pytest.raises(InvalidJobData, match="missing field 'download-ready.url'"):
        validate_schema(Email, {"template": "download-ready"}, job_name="send-email")
