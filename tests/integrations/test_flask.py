"""Flask: the extension with an app factory; a request enqueues, the job runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from hubjobs import App, Job
from hubjobs.contrib.flask import HubJobs
from hubjobs.test_mode import drain

jobs = App("memory://flask-declared")


@jobs.job("email")
def confirm(job: Job) -> str:
    return f"confirmed {job.data['order']}"


hubjobs_ext = HubJobs(jobs)


def create_app(url: str) -> Flask:
    flask_app = Flask(__name__)
    flask_app.config["HUBJOBS_URL"] = url
    hubjobs_ext.init_app(flask_app)

    @flask_app.post("/orders/<int:order_id>")
    def create_order(order_id: int) -> dict[str, Any]:
        job = hubjobs_ext.queue("email").add("confirm", {"order": order_id})
        return {"job": job.id}

    return flask_app


def test_a_request_enqueues_and_the_job_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    flask_app = create_app(url)
    assert jobs.url == url and flask_app.extensions["hubjobs"] is hubjobs_ext
    job_id = flask_app.test_client().post("/orders/9").get_json()["job"]
    assert drain(jobs) == 1
    job = jobs.queue("email").get(job_id)
    assert job is not None and job.wait(timeout=10) == "confirmed 9"
    jobs.close()
