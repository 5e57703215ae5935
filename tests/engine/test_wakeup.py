"""The worker's wake-up flag: futures resolve on set (or at once when already set), and
abandoned ones do not pile up."""

from __future__ import annotations

import asyncio

from hubjobs.wakeup import PRUNE_AT, Wakeup


async def test_a_future_resolves_when_the_flag_is_set() -> None:
    flag = Wakeup()
    fut = flag.future()
    assert not fut.done()
    flag.set()
    await asyncio.wait_for(fut, 1)
    assert flag.is_set() and flag.future().done()
    flag.clear()
    assert not flag.is_set() and not flag.future().done()


async def test_wait_returns_once_set_from_another_task() -> None:
    flag = Wakeup()
    waiter = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    flag.set()
    await asyncio.wait_for(waiter, 1)


async def test_abandoned_futures_are_pruned() -> None:
    flag = Wakeup()
    for _ in range(PRUNE_AT * 10):
        flag.future().cancel()
    assert len(flag._waiters) <= PRUNE_AT
