"""The App the supervisor tests run under `hubjobs worker --processes N` (URL from HUBJOBS_URL)."""

from __future__ import annotations

import os
from typing import Any

from hubjobs import App
from hubjobs.job import Job

app = App()
app.queue("work", concurrency=2)


@app.job("work", "whoami")
async def whoami(job: Job) -> dict[str, Any]:
    """Report which worker process ran the job."""
    return {"pid": os.getpid()}
