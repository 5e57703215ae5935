"""Dead letters: one row and one alert per permanent failure on any queue, digests for bursts,
replay and resolve."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from hubjobs import App, Job, Queue
from sequencehub.db import open_database
from sequencehub.dead_letter import (
    ALERT_JOB,
    DeadLetterError,
    areplay_dead_letter,
    list_dead_letters,
    record_dead_letter,
    resolve_dead_letter,
)
from sequencehub.email import enqueue_email
from sequencehub.jobs import MarketplaceJobs
from sequencehub.models import AlertBatch, AlertStatus, DeadLetter, DeadLetterStatus
from sequencehub.sample_data import add_creator, add_order, add_product
from sequencehub.webhooks import enqueue_webhook, verify_signature
from tests.helpers import running_worker, state_is, wait_until
from tests.sequencehub.marketplace_support import (
    WEBHOOK_SECRET,
    HttpReceiver,
    close_app,
    eml_files,
    http_receiver,
    make_marketplace,
    read_eml,
    settings_for,
)

ADMIN = "ops@example.com"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as r:
        yield r


def alerting_marketplace(
    tmp_path: Path, receiver: HttpReceiver, *, window: float
) -> tuple[App, MarketplaceJobs]:
    settings = settings_for(
        tmp_path,
        alert_window=window,
        admin_alert_emails=(ADMIN,),
        admin_alert_webhook_url=receiver.script("/alerts", 204),
        outbound_allow=("127.0.0.1",),
        webhook_backoff_base=0.01,
    )
    app, mj = make_marketplace(tmp_path, settings=settings)

    @app.job("file-processing", "process-file")
    def process_file(job: Job) -> None:
        raise RuntimeError(f"cannot read {job.data['storageKey']}")

    return app, mj


def count(mj: MarketplaceJobs, model: type) -> int:
    with mj.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def alert_batches(mj: MarketplaceJobs) -> list[AlertBatch]:
    with mj.db.session() as s:
        return list(s.scalars(select(AlertBatch)))


def alert_emails(mj: MarketplaceJobs) -> list[Any]:
    messages = [read_eml(p) for p in eml_files(mj.settings.outbox_dir)]
    return [m for m in messages if m["X-SequenceHUB-Template"] == "dead-letter-alert"]


async def all_batches_sent(mj: MarketplaceJobs) -> bool:
    batches = alert_batches(mj)
    return bool(batches) and all(b.status == AlertStatus.SENT for b in batches)


async def fail_webhook(app: App, mj: MarketplaceJobs, receiver: HttpReceiver) -> tuple[str, str]:
    url = receiver.script("/gone", 410)
    job = await enqueue_webhook(
        app.queue("webhook-retry"),
        webhook_id="wh-dead",
        event_type="order.paid",
        payload={"orderId": "o1"},
        url=url,
    )
    return "webhook-retry", job.id


async def fail_email(app: App, mj: MarketplaceJobs, receiver: HttpReceiver) -> tuple[str, str]:
    mj.email.transport = _RefusingTransport(mj.email.transport, refuse="buyer@example.com")
    job = await enqueue_email(
        app.queue("email"),
        "buyer@example.com",
        "download-ready",
        {"customerName": "Ann", "productTitle": "T", "downloadUrl": "https://x/d"},
        attempts=2,
        backoff=0,
    )
    return "email", job.id


async def fail_payouts(app: App, mj: MarketplaceJobs, receiver: HttpReceiver) -> tuple[str, str]:
    with mj.db.session() as s:  # one creator selling in two currencies: payouts refuse to guess
        creator = add_creator(s, "Mixed", "m@example.com")
        product = add_product(s, creator, "P", 1000)
        order = add_order(s, "b@example.com", [product], paid_at=datetime(2025, 2, 3, tzinfo=UTC))
        add_order(s, "c@example.com", [product], paid_at=datetime(2025, 2, 4, tzinfo=UTC))
        order.currency = "EUR"
    job = await app.queue("scheduled-jobs").aadd("monthly-payouts", {"period": "2025-02"}, attempts=1)
    return "scheduled-jobs", job.id


async def fail_file(app: App, mj: MarketplaceJobs, receiver: HttpReceiver) -> tuple[str, str]:
    job = await app.queue("file-processing").aadd(
        "process-file", {"fileId": "f1", "storageKey": "k/f1.fseq"}, job_id="file-f1", attempts=2
    )
    return "file-processing", job.id


class _RefusingTransport:
    """The outbox, except that one recipient's mail cannot be delivered (provider down for them)."""

    name = "refusing"

    def __init__(self, inner: Any, refuse: str) -> None:
        self.inner = inner
        self.refuse = refuse

    def send(self, message: Any) -> str:
        from sequencehub.email import EmailSendError

        if message["To"] == self.refuse:
            raise EmailSendError("provider unreachable")
        return str(self.inner.send(message))


FAILURES: dict[str, Callable[[App, MarketplaceJobs, HttpReceiver], Awaitable[tuple[str, str]]]] = {
    "webhook-retry": fail_webhook,
    "email": fail_email,
    "scheduled-jobs": fail_payouts,
    "file-processing": fail_file,
}


@pytest.mark.parametrize("queue", sorted(FAILURES))
async def test_permanent_failure_writes_one_dead_letter_and_one_alert(
    tmp_path: Path, receiver: HttpReceiver, queue: str
) -> None:
    app, mj = alerting_marketplace(tmp_path, receiver, window=0.05)
    failed_queue, job_id = await FAILURES[queue](app, mj, receiver)
    worker_queues = sorted({failed_queue, "scheduled-jobs"})
    async with running_worker(app, worker_queues) as worker:
        mj.attach_dead_letter_hook(worker)
        await wait_until(state_is(app, failed_queue, job_id, "failed"), what="job failed for good")
        await wait_until(lambda: count(mj, DeadLetter) == 1, what="dead letter written")
        await wait_until(lambda: all_batches_sent(mj), what="alert sent")
        scheduled = app.queue("scheduled-jobs")
        await wait_until(lambda: _no_pending(scheduled), what="alert job finished")

    [letter] = list_dead_letters(mj.db)
    failed = await app.queue(failed_queue).aget(job_id)
    assert failed is not None
    assert (letter.queue, letter.job_id, letter.job_name, letter.data, letter.attempts) == (
        failed_queue,
        job_id,
        failed.name,
        failed.data,
        failed.attempts_made,
    )
    assert letter.error == failed.failed_reason and letter.status == DeadLetterStatus.OPEN
    assert letter.failed_at is not None

    [batch] = alert_batches(mj)
    assert (batch.dead_letter_count, batch.channels, batch.open_slot) == (
        1,
        [f"email:{ADMIN}", "webhook"],
        None,
    )
    [email] = alert_emails(mj)
    assert email["To"] == ADMIN and email["Subject"] == "[SequenceHUB] 1 job failed permanently"
    assert job_id in str(email.get_body(preferencelist=("plain",)).get_content())
    [alert] = receiver.received("/alerts")
    body = json.loads(alert.body)
    assert (body["type"], body["count"], body["items"][0]["jobId"]) == ("dead-letters", 1, job_id)
    assert verify_signature(
        WEBHOOK_SECRET, alert.headers["x-webhook-timestamp"], alert.body, alert.headers["x-webhook-signature"]
    )
    await close_app(app)


async def _no_pending(queue: Queue) -> bool:
    counts = await queue.acounts()
    return counts["waiting"] == counts["delayed"] == counts["active"] == 0


async def test_a_burst_of_100_failures_sends_one_digest(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = alerting_marketplace(tmp_path, receiver, window=60.0)

    @app.job("imports", "import-row")
    def import_row(job: Job) -> None:
        raise ValueError(f"row {job.data['row']} is malformed")

    await app.queue("imports").aadd_bulk(
        [{"name": "import-row", "data": {"row": i}, "attempts": 1} for i in range(100)]
    )
    scheduled = app.queue("scheduled-jobs")
    async with running_worker(app, ["imports", "scheduled-jobs"]) as worker:
        mj.attach_dead_letter_hook(worker)
        await wait_until(lambda: count(mj, DeadLetter) == 100, what="100 dead letters")
        [alert_job] = await scheduled.ajobs(
            "delayed"
        )  # one alert for the whole burst, waiting for the window
        assert alert_job.name == ALERT_JOB
        assert alert_batches(mj)[0].dead_letter_count == 100
        await scheduled.apromote(alert_job.id)  # skip the rest of the minute
        await wait_until(lambda: all_batches_sent(mj), what="digest sent")

    [batch] = alert_batches(mj)
    assert batch.dead_letter_count == 100
    [email] = alert_emails(mj)
    assert email["Subject"] == "[SequenceHUB] 100 jobs failed permanently"
    text = str(email.get_body(preferencelist=("plain",)).get_content())
    assert text.count("imports / import-row") == 50 and "... and 50 more." in text
    [alert] = receiver.received("/alerts")
    assert json.loads(alert.body)["count"] == 100 and json.loads(alert.body)["omitted"] == 50
    assert (await scheduled.acounts())["completed"] == 1
    await close_app(app)


async def test_replay_reruns_the_job_and_resolve_closes_it(tmp_path: Path, receiver: HttpReceiver) -> None:
    app, mj = alerting_marketplace(tmp_path, receiver, window=0.05)
    flag = tmp_path / "ready"
    runs: list[str] = []

    @app.job("reports", "build-report")
    def build_report(job: Job) -> str:
        runs.append(job.id)
        if not flag.exists():
            raise RuntimeError("upstream not ready")
        return "built"

    q = app.queue("reports")
    await q.aadd("build-report", {"n": 1}, job_id="report-1", attempts=1)
    await q.aadd("build-report", {"n": 2}, job_id="report-2", attempts=1)
    async with running_worker(app, ["reports", "scheduled-jobs"]) as worker:
        mj.attach_dead_letter_hook(worker)
        await wait_until(lambda: count(mj, DeadLetter) == 2, what="two dead letters")
        letters = {d.job_id: d for d in list_dead_letters(mj.db)}

        replayed = await areplay_dead_letter(app, mj.db, letters["report-1"].id, by="admin")
        assert replayed.id == "report-1"  # the failed job itself goes back to the queue
        await wait_until(
            state_is(app, "reports", "report-1", "waiting", "active", "completed", "failed"),
            what="report-1 back in the queue",
        )
        await wait_until(lambda: count(mj, DeadLetter) == 3, what="it fails again into a new dead letter")

        flag.write_text("yes")
        by_status = {(d.job_id, str(d.status)): d for d in list_dead_letters(mj.db, status=None)}
        again = by_status[("report-1", "OPEN")]
        await q.aremove("report-1")  # gone from the engine: replay adds a copy
        copy = await areplay_dead_letter(app, mj.db, again.id)
        assert copy.id.startswith("report-1-replay-") and copy.data == {"n": 1}
        await wait_until(state_is(app, "reports", copy.id, "completed"), what="replayed copy completed")

        resolved = resolve_dead_letter(
            mj.db, by_status[("report-2", "OPEN")].id, by="admin", note="obsolete report"
        )
        assert resolved.status == DeadLetterStatus.RESOLVED and resolved.note == "obsolete report"
        with pytest.raises(DeadLetterError, match="is RESOLVED; only OPEN"):
            await areplay_dead_letter(app, mj.db, resolved.id)

    assert runs.count("report-1") == 2 and runs.count(copy.id) == 1 and runs.count("report-2") == 1
    statuses = sorted(
        (d.job_id, str(d.status), d.replay_job_id) for d in list_dead_letters(mj.db, status=None)
    )
    assert statuses == [
        ("report-1", "REPLAYED", "report-1"),
        ("report-1", "REPLAYED", copy.id),
        ("report-2", "RESOLVED", None),
    ]
    assert list_dead_letters(mj.db) == []
    await close_app(app)


def test_recording_the_same_failure_twice_keeps_one_open_row(tmp_path: Path) -> None:
    app, mj = make_marketplace(tmp_path)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    first = record_dead_letter(
        mj.db, queue="q", job_id="j", job_name="n", data={"a": 1}, error="boom", attempts=3, failed_at=now
    )
    second = record_dead_letter(
        mj.db,
        queue="q",
        job_id="j",
        job_name="n",
        data={"a": 1},
        error="boom again",
        attempts=3,
        failed_at=now + timedelta(minutes=5),  # a later failure of the job while its row is OPEN
    )
    assert first.created and not second.created and first.dead_letter_id == second.dead_letter_id
    repeat = record_dead_letter(  # the same failure seen again (listener and reconciler): no change
        mj.db, queue="q", job_id="j", job_name="n", data={"a": 1}, error="other words", attempts=3,
        failed_at=now + timedelta(minutes=5))
    assert not repeat.created and repeat.dead_letter_id == first.dead_letter_id
    other = record_dead_letter(
        mj.db, queue="q", job_id="k", job_name="n", data=None, error="x", attempts=1, failed_at=now
    )
    assert other.batch_id == first.batch_id  # same open alert batch
    [letter_j, letter_k] = sorted(list_dead_letters(mj.db), key=lambda d: d.job_id)
    assert letter_j.error == "boom again" and letter_k.job_id == "k" and count(mj, DeadLetter) == 2
    assert alert_batches(mj)[0].dead_letter_count == 2
    app.close()


async def test_a_worker_killed_after_the_final_failure_loses_no_dead_letter(tmp_path: Path) -> None:
    """SIGKILL right after the engine committed a job's final failure, before any listener ran:
    after a restart the reconciler derives exactly one dead letter and one alert from the
    engine's durable failed state."""
    settings = settings_for(tmp_path, alert_window=0.2, admin_alert_emails=(ADMIN,))
    jobs_url = f"sqlite:///{tmp_path / 'jobs.db'}"
    env = dict(os.environ, SEQUENCEHUB_DATABASE_URL=settings.database_url,
               SEQUENCEHUB_OUTBOX_DIR=str(settings.outbox_dir), SEQUENCEHUB_ADMIN_ALERT_EMAILS=ADMIN,
               SEQUENCEHUB_ALERT_WINDOW="0.2", SEQUENCEHUB_DEAD_LETTER_RECONCILE_INTERVAL="0.5")
    command = [sys.executable, "-m", "tests.sequencehub.dead_letter_worker", jobs_url]
    app = App(jobs_url)
    mj: Any = SimpleNamespace(db=open_database(settings.database_url), settings=settings)  # what the helpers read
    try:
        job = await app.queue("reports").aadd("build-report", {}, job_id="report-1", attempts=1)
        crashing = subprocess.Popen([*command, "--crash-after-failure"], env=env, cwd=ROOT)
        assert crashing.wait(timeout=120) == -signal.SIGKILL
        failed = await app.queue("reports").aget(job.id)
        assert failed is not None and failed.state.value == "failed"  # committed by the engine
        assert count(mj, DeadLetter) == 0 and count(mj, AlertBatch) == 0  # no listener ran

        restarted = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            await wait_until(lambda: [b.status for b in alert_batches(mj)] == [AlertStatus.SENT], timeout=120,
                             what="the alert about the reconciled dead letter")
            await asyncio.sleep(1.5)  # a few more reconcile passes: still one of each
        finally:
            restarted.terminate()
            restarted.wait(timeout=60)
        [letter] = list_dead_letters(mj.db)
        assert (letter.queue, letter.job_id, letter.attempts) == ("reports", "report-1", 1)
        assert "upstream unavailable" in letter.error
        [batch] = alert_batches(mj)
        assert batch.dead_letter_count == 1 and letter.alert_batch_id == batch.id
        assert len(alert_emails(mj)) == 1
    finally:
        mj.db.dispose()
        await close_app(app)
