"""The producer: the claim loop. It keeps up to MAX_INFLIGHT_CYCLES round trips in flight
(each applies a batch of outcomes and/or claims, sized by the pacer), starts what they claim,
and waits for work when every queue is drained."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from ..backends.base import Backend, ClaimedJob, ClaimJobs, WaitForJobs
from ..errors import BackendUnavailable
from ..events import JobEvent
from ..pacing import AHEAD_FACTOR, Pacer
from .completer import Completer, Pending
from .event_publisher import EventPublisher
from .executor import Executor
from .ports import HandlerRegistry
from .slots import Slots

log = logging.getLogger("hubjobs.worker")

MAX_IDLE_WAIT = 1.0


class Producer:
    """Claims jobs of `queues` for worker `worker_id` into `slots` (see `hubjobs.pacing`)."""

    def __init__(self, backend: Backend, queues: list[str], worker_id: str, lease: float, slots: Slots,
                 completer: Completer, executor: Executor, events: EventPublisher, pacer: Pacer,
                 registry: HandlerRegistry, limited: set[str]) -> None:
        self.backend = backend
        self.queues = queues
        self.worker_id = worker_id
        self.lease = lease
        self.slots = slots
        self.completer = completer
        self.executor = executor
        self.events = events
        self.pacer = pacer
        self.registry = registry
        self.limited = limited
        """Queues never claimed ahead (a global concurrency or a rate limit)."""
        self.reserved = 0
        """Slots reserved by claims in flight."""
        self.reserved_in: dict[str, int] = {}
        """The same per queue."""

    async def run(self, burst: bool) -> None:
        """Keep up to MAX_INFLIGHT_CYCLES finish-and-claim round trips in flight, so the worker
        runs handlers while the backend applies the previous batch; wait for work when idle.
        Returns once stopping (or, with `burst`, once nothing is left to do)."""
        slots = self.slots
        wake = slots.wake
        inflight: dict[asyncio.Task[int | None], str] = {}
        drained: set[str] = set()  # queues whose last claim found nothing: wait before claiming again
        start = 0
        failures = 0
        try:
            while not slots.stopping:
                wake.clear()
                self.executor.start_held()
                order = self.queues[start:] + self.queues[:start]
                start = (start + 1) % len(self.queues)
                for queue in order:
                    while not slots.stopping:
                        task = self._launch_cycle(queue, claim=queue not in drained, in_flight=len(inflight))
                        if task is None:
                            break
                        inflight[task] = queue
                try:
                    if inflight:
                        failures = await self._await_cycles(inflight, drained, failures)
                        continue
                    if burst and not slots.running and not slots.held and not self.completer.pending_count() \
                            and await self._queues_empty():
                        return
                    if slots.quiet:  # an admin quieted the worker: no waits that may claim
                        await self.sleep_or_wake(1.0)
                        continue
                    await self._idle_wait()
                    drained.clear()
                    failures = 0
                    if not slots.running and not slots.held and not slots.stopping:
                        await self._claim_after_wait(drained)
                except Exception as exc:  # a worker never dies of a storage error: it backs off and retries
                    failures = await self._backend_trouble(exc, failures)
        finally:
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)

    async def _await_cycles(self, inflight: dict[asyncio.Task[int | None], str], drained: set[str],
                            failures: int) -> int:
        """Wait for a round trip to finish (or for news: finished jobs, stop); returns the
        failure count for backoff."""
        woken = self.slots.wake.future()
        waiting: list[asyncio.Future[Any]] = [*inflight, woken]
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
        for task in [t for t in inflight if t.done()]:
            queue = inflight.pop(task)
            try:
                claimed = task.result()
            except Exception as exc:
                failures = await self._backend_trouble(exc, failures)
                continue
            failures = 0
            if claimed == 0:
                drained.add(queue)
            elif claimed:
                drained.discard(queue)
        return failures

    async def _backend_trouble(self, exc: Exception, failures: int) -> int:
        failures += 1
        delay = min(5.0, 0.1 * 2 ** min(failures, 6))
        if isinstance(exc, (BackendUnavailable, ConnectionError, OSError)):
            log.warning("backend unavailable (%s); retrying in %.1f s", exc, delay)
        else:
            log.error("storage error (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay,
                      exc_info=exc)
        await self.events.emit(JobEvent("error", "", None, None, {"error": str(exc)}))
        await self.sleep_or_wake(delay)
        return failures

    def _plan_cycle(self, queue: str, claim: bool, in_flight: int) -> Coroutine[Any, Any, int | None] | None:
        """The next round trip for `queue` if the pacer wants one now: it flushes outcomes and
        claims (claimed slots are reserved until the jobs are running or held)."""
        slots = self.slots
        completer = self.completer
        queued = completer.queued(queue)
        occupied = len(slots.running) + len(slots.held) + self.reserved + completer.pending_count() - queued
        may_hold = queue not in self.limited
        room = None
        if slots.caps is not None:
            room = slots.room(queue, AHEAD_FACTOR if may_hold and self.pacer.ahead else 0)
            room = None if room is None else room - self.reserved_in.get(queue, 0)
        plan = self.pacer.plan(queued_outcomes=queued, occupied=occupied, in_flight=in_flight,
                               claiming=self.reserved > 0, claim=claim and not slots.stopping and not slots.quiet,
                               may_hold=may_hold, finishing=completer.finishing > 0, room=room)
        if plan is None:
            return None
        return self._begin_cycle(queue, completer.take(queue, plan.outcomes), plan.claim)

    def _begin_cycle(self, queue: str, pending: list[Pending], limit: int) -> Coroutine[Any, Any, int | None]:
        """Count a round trip as in flight from now (its claimed slots are reserved, its
        outcomes being sent); `_cycle` counts it down when it ends."""
        self.reserved += limit
        if limit:
            self.reserved_in[queue] = self.reserved_in.get(queue, 0) + limit
        if pending:
            self.completer.begin()
        return self._cycle(queue, pending, limit)

    def _launch_cycle(self, queue: str, claim: bool, in_flight: int) -> asyncio.Task[int | None] | None:
        """Start the next round trip for `queue` as a task (see `_plan_cycle`)."""
        cycle = self._plan_cycle(queue, claim, in_flight)
        return None if cycle is None else asyncio.create_task(cycle)

    async def _claim_after_wait(self, drained: set[str]) -> None:
        """Right after an idle wait, with nothing running: claim inline (no task, no hop through
        the loop), so a job added to an idle queue starts at once."""
        for queue in self.queues:
            cycle = self._plan_cycle(queue, True, 0)
            if cycle is None:
                continue
            claimed = await cycle
            self.executor.start_held()
            if claimed:
                return
            drained.add(queue)

    async def _cycle(self, queue: str, pending: list[Pending], limit: int) -> int | None:
        """Flush outcomes and claim up to `limit` jobs in one round trip; returns how many were
        claimed (None when no claim was made)."""
        claim_req = ClaimJobs(queue, self.worker_id, limit, self.lease) if limit > 0 else None
        claimed: list[ClaimedJob]
        try:
            if pending:
                claimed = await self.completer.finish(self.backend, queue, pending, claim_req)
            else:
                assert claim_req is not None
                claimed = await self.backend.claim_jobs(claim_req)
        finally:
            self.reserved -= limit
            if limit:
                self.reserved_in[queue] -= limit
        self.slots.hold(claimed)  # started by the loop, which plans the next trip first
        return None if claim_req is None else len(claimed)

    async def _idle_wait(self) -> None:
        backend = self.backend
        timeout = MAX_IDLE_WAIT
        now = await backend.now()
        for queue in self.queues:
            due = await backend.next_delayed_at(queue)
            if due is not None:
                timeout = min(timeout, max(0.0, due - now) + 0.001)
            rl = self.registry.queue_defaults(queue).rate_limit
            if rl is not None:
                timeout = min(timeout, max(0.01, rl.period / rl.max))
        if timeout <= 0.001:
            return
        wake = self.slots.wake
        if wake.is_set():
            return
        waiter = asyncio.ensure_future(backend.wait_for_jobs(
            WaitForJobs(self.queues, timeout, worker_id=self.worker_id, receive=self.receive)))
        woken = wake.future()
        try:
            await asyncio.wait([waiter, woken], return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            if not waiter.done():  # the backend's blocking call outlives it (see its wait_for_jobs)
                waiter.cancel()
                await asyncio.gather(waiter, return_exceptions=True)
        if not waiter.cancelled() and waiter.exception() is not None:
            exc = waiter.exception()
            assert exc is not None
            raise exc

    def receive(self, _queue: str, jobs: list[ClaimedJob]) -> bool:
        """Jobs the backend claimed for this worker while it waited (`WaitForJobs.receive`):
        started at once, straight from the backend's reply, unless the worker is stopping."""
        slots = self.slots
        if slots.stopping or slots.quiet:
            return False
        slots.hold(jobs)
        self.executor.start_held()
        slots.wake.set()
        return True

    async def sleep_or_wake(self, delay: float) -> None:
        """Sleep `delay` seconds or until woken."""
        try:
            await asyncio.wait_for(self.slots.wake.wait(), delay)
        except TimeoutError:
            pass

    async def _queues_empty(self) -> bool:
        for queue in self.queues:
            counts = await self.backend.count_jobs(queue)
            if counts["waiting"] or counts["delayed"] or counts["active"]:
                return False
        return True
