"""A process handler whose process dies reports how, every time: the child is reaped before its
exit code is read (`was killed by SIGABRT`, `was killed by SIGKILL`, `exited with code 3`)."""

from __future__ import annotations

import pytest

from hubjobs import App
from hubjobs.process_pool import describe_exit
from tests.apps import build_app
from tests.helpers import running_worker, state_is, wait_until

REPEATS = 4
DEATHS = [("abort", "was killed by SIGABRT"), ("sigkill", "was killed by SIGKILL"),
          ("exit3", "exited with code 3")]


@pytest.fixture
async def papp(sqlite_url: str) -> App:
    app = build_app(sqlite_url)
    yield app  # type: ignore[misc]
    await app.aclose()
    app.close()


async def test_every_process_death_names_its_exit_code_or_signal(papp: App) -> None:
    q = papp.queue("q")
    jobs = [(await q.aadd("process_die", {"how": how}), reason) for _ in range(REPEATS) for how, reason in DEATHS]
    async with running_worker(papp, "q", concurrency=3):
        for job, _ in jobs:
            await wait_until(state_is(papp, "q", job.id, "failed"), timeout=120, what=f"{job.data} failed")
    for job, reason in jobs:
        failed = await q.aget(job.id)
        assert failed is not None
        assert failed.failed_reason == f"ProcessDied: the handler's process {reason}", failed.failed_reason


def test_exit_descriptions() -> None:
    assert describe_exit(-6) == "was killed by SIGABRT"
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-200) == "was killed by signal 200"
    assert describe_exit(None).startswith("closed its pipe")
