"""SyncRunner: sync handlers run in its threads with the caller's context; results and
exceptions come back to the loop; a future given up on (timeout) is left alone."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from hubjobs.worker.sync_runner import SyncRunner

REQUEST = contextvars.ContextVar("REQUEST", default="none")


async def test_results_exceptions_and_context_come_back() -> None:
    runner = SyncRunner(asyncio.get_running_loop(), 3)
    REQUEST.set("req-7")
    try:
        results = await asyncio.gather(*(runner.run(lambda x: (x * 2, threading.current_thread().name,
                                                               REQUEST.get()), i) for i in range(20)))
        assert [r[0] for r in results] == [i * 2 for i in range(20)]
        assert all(r[1].startswith("hubjobs-handler-") and r[2] == "req-7" for r in results)

        def boom(_x: object) -> None:
            raise KeyError("nope")

        with pytest.raises(KeyError):
            await runner.run(boom, None)
    finally:
        runner.close()


async def test_a_future_given_up_on_is_left_alone() -> None:
    runner = SyncRunner(asyncio.get_running_loop(), 1)
    release = threading.Event()
    try:
        fut = runner.run(lambda _x: release.wait(10), None)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(fut, 0.01)
        assert fut.cancelled()
        release.set()
        assert await runner.run(lambda x: x + 1, 1) == 2  # the thread went on to the next job
    finally:
        runner.close()
