"""A typed task as users declare one."""

from __future__ import annotations

from pydantic import BaseModel

from hubjobs import App, Job

app = App("sqlite:///./typing-fixture.db")


class Greet(BaseModel):
    """The job's data."""

    who: str
    times: int = 1


@app.job("greetings", schema=Greet)
def greet(job: Job[Greet]) -> str:
    """Read the model's fields."""
    return job.data.who * job.data.times


@app.job("greetings")
def untyped(job: Job) -> None:
    """An untyped handler: its data stays a dict."""
    print(job.data["anything"])
