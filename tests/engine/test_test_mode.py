"""Test mode: memory:// Apps, the pytest plugin's fixtures (through its pytest11 entry point), drain()
and the test clock; the README's sample user test is run as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hubjobs import App, Job
from hubjobs.backends.sqlite.memory import forget
from hubjobs.errors import ConfigurationError
from hubjobs.test_mode import TestClock, adrain

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "examples" / "test_my_handlers.py"


def test_readme_shows_the_sample_user_test_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    assert SAMPLE.read_text() in readme
    assert "## Testing your handlers" in readme


def test_the_sample_user_test_passes_through_the_installed_plugin(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBJOBS_", "PYTEST_"))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0",
                           "--rootdir", str(tmp_path), str(SAMPLE)], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # no database file, no folder
    calls = [float(m) for m in re.findall(r"^([\d.]+)s call", proc.stdout, re.MULTILINE)]
    print(f"sample test calls: {calls} s")  # measured and reported, never asserted (loaded machines)


def test_plain_memory_url_gives_each_app_its_own_database() -> None:
    a, b = App("memory://"), App("memory://")
    try:
        assert a.url != b.url and a.url.startswith("memory://")
        a.queue("q").add("x", {})
        assert a.queue("q").counts()["waiting"] == 1 and b.queue("q").counts()["waiting"] == 0
    finally:
        for app in (a, b):
            app.close()
            forget(app.url)


def test_a_named_memory_database_is_shared_and_forgotten() -> None:
    url = "memory://shared-by-name"
    first, second = App(url), App(url)
    try:
        first.queue("q").add("x", {}, job_id="one")
        assert second.queue("q").get("one") is not None
        first.close()
        assert second.queue("q").get("one") is not None  # lives until forgotten
    finally:
        second.close()
        assert forget(url)
    again = App(url)
    try:
        assert again.queue("q").get("one") is None
    finally:
        again.close()
        forget(url)
    with pytest.raises(ConfigurationError, match="needs a name"):
        forget("memory://")


async def test_drain_leaves_future_jobs_and_paused_queues(hubjobs_app: App, hubjobs_clock: TestClock) -> None:
    ran: list[str] = []

    @hubjobs_app.job("q")
    async def work(job: Job) -> None:
        ran.append(job.id)

    @hubjobs_app.job("held")
    async def held(job: Job) -> None:
        ran.append(job.id)

    q = hubjobs_app.queue("q")
    await q.aadd("work", {}, job_id="now")
    await q.aadd("work", {}, job_id="later", delay=30)
    await hubjobs_app.queue("held").aadd("held", {}, job_id="paused")
    await hubjobs_app.queue("held").apause()
    assert await adrain(hubjobs_app) == 1 and ran == ["now"]
    hubjobs_clock.advance(30)
    assert await adrain(hubjobs_app) == 1 and ran == ["now", "later"]
    assert await adrain(hubjobs_app) == 0
    await hubjobs_app.aclose()


def test_the_clock_moves_only_forward(hubjobs_clock: TestClock) -> None:
    before = hubjobs_clock.now()
    hubjobs_clock.advance(3600)
    assert hubjobs_clock.now() >= before + 3600
    with pytest.raises(ValueError, match="only moves forward"):
        hubjobs_clock.advance(-1)
