"""The test's own redis-server (AOF `always`) is killed with SIGKILL mid-load and restarted:
producers get a typed error at once while it is down (nothing is buffered), the worker logs
the outage, reconnects by itself and carries on, and every acknowledged job completes."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from hubjobs import BackendUnavailable, Job
from tests.apps import build_app, ledger_rows
from tests.faults.support import assert_ledger_consistent
from tests.helpers import wait_until
from tests.redis.conftest import start_workers
from tests.redis.servers import RedisServer


async def test_every_acknowledged_job_completes_after_a_redis_crash(
        redis_server: RedisServer, tmp_path: Path, ledger: str) -> None:
    url = f"{redis_server.url}?prefix=crash"
    app = build_app(url)
    q = app.queue("q")
    workers = start_workers(url, tmp_path)
    acked: list[str] = []
    uncertain: list[str] = []  # adds that raised: the job may or may not have been stored
    refused_while_down = 0
    stop = asyncio.Event()

    async def produce() -> None:
        nonlocal refused_while_down
        i = 0
        while not stop.is_set():
            job_id = uuid.uuid4().hex
            i += 1
            try:
                await q.aadd("record", {"ledger": ledger, "seconds": 0.01, "i": i}, job_id=job_id)
                acked.append(job_id)
            except BackendUnavailable:
                uncertain.append(job_id)
                if redis_server.proc is not None and redis_server.proc.poll() is not None:
                    refused_while_down += 1
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.002)

    try:
        worker = workers.start("A", "--lease", "5", "--concurrency", "5")
        producer = asyncio.create_task(produce())
        await wait_until(lambda: len(acked) >= 60 and len(ledger_rows(ledger)) >= 40, timeout=60,
                         what="the worker busy with the load before the crash")

        redis_server.kill()
        await wait_until(lambda: refused_while_down >= 5, what="producer refused with a typed error while down")
        try:
            await wait_until(lambda: "backend unavailable" in worker.log_text() or worker.proc.poll() is not None,
                             what="the worker logged the outage")
        except AssertionError:
            raise AssertionError(f"the worker never logged the outage; its log: {worker.log_text()[-3000:]}; "
                                 f"server: {redis_server.proc.poll() if redis_server.proc else None}") from None
        assert worker.proc.poll() is None, f"the worker died: {worker.log_text()[-3000:]}"
        redis_server.start()
        down_count = len(acked)
        await wait_until(lambda: len(acked) >= down_count + 60, timeout=60, what="load after the restart")
        stop.set()
        await producer

        async def all_completed() -> bool:
            for job_id in acked:
                job = await q.aget(job_id)
                if job is None or job.state.value != "completed":
                    return False
            return True

        await wait_until(all_completed, timeout=90, what="every acknowledged job completed")
        jobs: list[Job | None] = [await q.aget(j) for j in acked]
        stored_late = [j for j in [await q.aget(u) for u in uncertain] if j is not None]
        for job in stored_late:  # stored although its add raised: it must run too
            await wait_until(lambda jid=job.id: _completed(q, jid), timeout=60, what=f"{job.id} completed")
        assert_ledger_consistent(ledger, [*jobs, *[await q.aget(j.id) for j in stored_late]])
        assert "backend unavailable" in worker.log_text() and worker.proc.poll() is None
    finally:
        stop.set()
        workers.kill_all()
        await app.aclose()
        app.close()


async def _completed(q, job_id: str) -> bool:  # type: ignore[no-untyped-def]
    job = await q.aget(job_id)
    return job is not None and job.state.value == "completed"
