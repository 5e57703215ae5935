"""Producer calls mypy --strict accepts."""

from __future__ import annotations

from hubjobs import Job

from .tasks import Greet, greet, untyped


def produce() -> None:
    """Every accepted form."""
    job: Job[Greet] = greet.enqueue(Greet(who="ada"), priority=3, delay=5)
    who: str = job.data.who
    greet.enqueue(who="ada", times=2)
    greet.options(priority=1).enqueue(who=who)
    untyped.enqueue({"anything": 1}, job_id="x")


async def produce_async() -> None:
    """The async twin."""
    job = await greet.aenqueue(who="ada")
    times: int = job.data.times
    await greet.aenqueue(Greet(who="b", times=times))
