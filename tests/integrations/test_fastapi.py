"""FastAPI: the lifespan opens the App, a request enqueues through the queue dependency, the job
runs, and the dashboard answers under its prefix. (No `from __future__ import annotations`: FastAPI
reads the endpoint's annotations, which name a dependency made inside `make_api`.)"""


from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from hubjobs import App, Job, Queue
from hubjobs.contrib.starlette import dashboard, hubjobs_lifespan, queue_dependency
from hubjobs.test_mode import drain


def make_api(jobs: App) -> FastAPI:
    api = FastAPI(lifespan=hubjobs_lifespan(jobs))
    api.mount("/admin/queues", dashboard(jobs))

    @api.post("/orders/{order_id}")
    async def create_order(order_id: int,
                           queue: Annotated[Queue, Depends(queue_dependency(jobs, "email"))]) -> dict[str, Any]:
        job = await queue.aadd("confirm", {"order": order_id})
        return {"job": job.id}

    return api


def test_a_request_enqueues_and_the_job_runs(tmp_path: Path) -> None:
    jobs = App(f"sqlite:///{tmp_path / 'jobs.db'}")

    @jobs.job("email")
    async def confirm(job: Job) -> str:
        return f"confirmed {job.data['order']}"

    with TestClient(make_api(jobs)) as client:
        job_id = client.post("/orders/7").json()["job"]
        assert client.get("/admin/queues/healthz").status_code == 200
        assert client.get("/admin/queues/").status_code in (401, 303, 200)
    assert drain(jobs) == 1
    job = jobs.queue("email").get(job_id)
    assert job is not None and job.wait(timeout=10) == "confirmed 7"
    jobs.close()
