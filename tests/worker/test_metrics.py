"""Worker metrics: a worker serving --metrics-port is scraped over HTTP; counters per queue and
name, run/wait histograms and busy slots are there."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hubjobs import App
from tests.helpers import ROOT, wait_until


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_a_running_worker_is_scraped(tmp_path: Path) -> None:
    from tests.apps import build_app

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app = build_app(url)
    q = app.queue("q")
    try:
        await q.aadd("noop", {}, job_id="n")
        await q.aadd("fatal", {}, job_id="f")
        await q.aadd("retry_fast", {}, job_id="r")
        worker = app.worker("q", metrics_port=0, install_signals=False, lease=5)
        task = asyncio.create_task(worker.arun())
        try:
            await wait_until(lambda: worker.metrics_bound is not None, what="metrics served")
            scrape = f"http://127.0.0.1:{worker.metrics_bound}/metrics"

            async def settled() -> str | None:
                async with httpx.AsyncClient() as client:
                    text = (await client.get(scrape)).text
                done = _samples(text).get(("hubjobs_worker_jobs_completed_total",
                                           (("name", "retry_fast"), ("queue", "q"))))
                return text if done == 1 else None

            text = await wait_until(settled, what="the retried job completed in the metrics")
        finally:
            worker.stop()
            await asyncio.wait_for(task, 30)
    finally:
        await app.aclose()
    s = _samples(text)
    assert s[("hubjobs_worker_jobs_started_total", (("name", "retry_fast"), ("queue", "q")))] == 3
    assert s[("hubjobs_worker_jobs_retried_total", (("name", "retry_fast"), ("queue", "q")))] == 2
    assert s[("hubjobs_worker_jobs_failed_total", (("name", "fatal"), ("queue", "q")))] == 1
    assert s[("hubjobs_worker_jobs_completed_total", (("name", "noop"), ("queue", "q")))] == 1
    assert s[("hubjobs_worker_job_run_seconds_count", (("name", "noop"), ("queue", "q")))] == 1
    assert s[("hubjobs_worker_job_wait_seconds_count", (("name", "retry_fast"), ("queue", "q")))] == 3
    assert ("hubjobs_worker_busy_slots", (("worker", worker.id),)) in s


def test_the_worker_command_serves_metrics(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app = App(url)
    app.close()
    env = {**os.environ, "HUBJOBS_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "hubjobs.cli", "--app", "tests.apps:build_app_from_env",
                             "worker", "--queue", "q", "--metrics-port", str(port)],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        body = ""
        for _ in range(600):
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    break
                import time
                time.sleep(0.05)
        assert "hubjobs_worker_busy_slots" in body, proc.stderr.read() if proc.poll() is not None else body
    finally:
        proc.terminate()
        proc.wait(30)
