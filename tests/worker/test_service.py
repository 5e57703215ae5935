"""PeriodicService: steps at its interval (first at once when asked) and stops on request."""

from __future__ import annotations

import asyncio

import pytest

from hubjobs.worker.service import PeriodicService


class Counting(PeriodicService):
    name = "counting"

    def __init__(self, interval: float, at_start: bool) -> None:
        super().__init__(interval)
        self.step_at_start = at_start
        self.steps = 0
        self.stepped = asyncio.Event()

    async def step(self) -> None:
        self.steps += 1
        self.stepped.set()


async def test_a_service_steps_until_stopped() -> None:
    service = Counting(0.01, at_start=False)
    service.start()
    await asyncio.wait_for(service.stepped.wait(), 10)
    await service.stop()
    stopped_at = service.steps
    await asyncio.sleep(0.05)
    assert service.steps == stopped_at >= 1


async def test_step_at_start_runs_before_the_first_interval() -> None:
    service = Counting(3600, at_start=True)
    service.start()
    await asyncio.wait_for(service.stepped.wait(), 10)
    assert service.steps == 1
    await service.stop()


def test_a_bad_interval_is_named() -> None:
    with pytest.raises(ValueError, match="counting: interval must be > 0"):
        Counting(0, at_start=False)
