"""Testing your handlers: a delayed job, retries with backoff and a cron schedule, no sleeping."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from hubjobs import App, Backoff, Job
from hubjobs.test_mode import TestClock, bind

app = App()  # your App, declared as in production
sent: list[str] = []
tries: dict[str, int] = {}


@app.job("email", "send", attempts=3, backoff=Backoff.exponential(60))
def send(job: Job) -> str:
    tries[job.id] = tries.get(job.id, 0) + 1
    if job.data.get("flaky") and tries[job.id] < 3:
        raise ConnectionError("SMTP server unavailable")
    sent.append(job.data["to"])
    return "sent"


app.schedule("digest", queue="email", name="send", data={"to": "digest@example.com"}, cron="*/15 * * * *")


@pytest.fixture
def jobs(hubjobs_url: str) -> Iterator[App]:
    """The App on a fresh in-memory backend for each test."""
    sent.clear()
    tries.clear()
    yield bind(app, hubjobs_url)
    app.close()


def test_a_delayed_job_runs_once_due(jobs: App, hubjobs_clock: TestClock, hubjobs_drain) -> None:
    job = jobs.queue("email").add("send", {"to": "a@example.com"}, delay=timedelta(hours=1))
    hubjobs_drain(jobs)
    assert "a@example.com" not in sent
    hubjobs_clock.advance(timedelta(hours=1))
    hubjobs_drain(jobs)
    assert job.wait(timeout=5) == "sent" and sent.count("a@example.com") == 1


def test_retries_back_off_exponentially(jobs: App, hubjobs_clock: TestClock, hubjobs_drain) -> None:
    job = jobs.queue("email").add("send", {"to": "b@example.com", "flaky": True})
    hubjobs_drain(jobs)  # try 1 fails: the next in 60 s
    hubjobs_clock.advance(59)
    hubjobs_drain(jobs)
    assert tries[job.id] == 1
    hubjobs_clock.advance(1)
    hubjobs_drain(jobs)  # try 2 fails: the next in 120 s
    hubjobs_clock.advance(120)
    hubjobs_drain(jobs)  # try 3 succeeds
    assert tries[job.id] == 3 and job.wait(timeout=5) == "sent"


def test_the_digest_runs_every_quarter_hour(jobs: App, hubjobs_clock: TestClock, hubjobs_drain) -> None:
    hubjobs_drain(jobs)  # stores the schedule
    hubjobs_clock.advance(timedelta(minutes=15))
    hubjobs_drain(jobs)
    hubjobs_clock.advance(timedelta(minutes=15))
    hubjobs_drain(jobs)
    assert sent.count("digest@example.com") == 2
