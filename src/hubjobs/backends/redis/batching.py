"""Coalescing of concurrent single-job adds: while one add script call is in flight for a
queue, adds arriving meanwhile wait and then go together in the next call. A lone producer pays
nothing extra; many concurrent producers (web requests, `asyncio.gather`) share round trips.
Every caller still gets its own outcome or error, and nothing is buffered beyond the call in
flight: an add returns only once Redis has stored the job."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ...errors import BackendUnavailable
from ..base import AddedJob, NewJob

AddMany = Callable[[str, Sequence[NewJob]], Awaitable[list[AddedJob]]]


@dataclass
class _Lane:
    """Adds waiting for one queue's next script call."""

    pending: list[tuple[NewJob, asyncio.Future[AddedJob]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    """Sends what is pending, call after call, until nothing is."""
    leader: bool = False
    """A caller is sending its own add directly (the lane was idle)."""


class AddCoalescer:
    """Groups concurrent single adds per queue into one `add_many` call."""

    def __init__(self, add_many: AddMany) -> None:
        self._add_many = add_many
        self._lanes: dict[str, _Lane] = {}

    async def add(self, queue: str, job: NewJob) -> AddedJob:
        """Add one job, sharing the round trip with adds made meanwhile."""
        lane = self._lanes.get(queue)
        if lane is None:
            lane = self._lanes[queue] = _Lane()
        if lane.task is None and not lane.leader:  # idle: no extra hop for a lone producer
            lane.leader = True
            try:
                [outcome] = await self._add_many(queue, [job])
                return outcome
            finally:
                lane.leader = False
                if lane.pending and lane.task is None:
                    lane.task = asyncio.ensure_future(self._drain(queue, lane))
        future: asyncio.Future[AddedJob] = asyncio.get_running_loop().create_future()
        lane.pending.append((job, future))
        return await future

    async def _drain(self, queue: str, lane: _Lane) -> None:
        batch: list[tuple[NewJob, asyncio.Future[AddedJob]]] = []
        try:
            while lane.pending:
                batch, lane.pending = lane.pending, []
                try:
                    added = await self._add_many(queue, [job for job, _f in batch])
                except Exception as exc:  # noqa: BLE001 - handed on: each caller gets its call's error
                    for _job, f in batch:
                        if not f.done():
                            f.set_exception(exc)
                    continue
                for (_job, f), outcome in zip(batch, added):
                    if not f.done():
                        f.set_result(outcome)
                batch = []
        except BaseException:
            closed = BackendUnavailable("the Redis backend was closed while adding jobs")
            for _job, f in [*batch, *lane.pending]:
                if not f.done():
                    f.set_exception(closed)
            lane.pending = []
            raise
        finally:
            lane.task = None

    async def close(self) -> None:
        """Stop pending calls (their callers get BackendUnavailable)."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()
