"""A maintenance service: one concern run periodically as a task the worker starts and stops."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod


class PeriodicService(ABC):
    """Calls `step()` every `interval` seconds (first at once when `step_at_start`) until stopped.
    A failing step is the service's own business: `step` logs and returns."""

    name = "service"
    step_at_start = False

    def __init__(self, interval: float) -> None:
        if not interval > 0:
            raise ValueError(f"{self.name}: interval must be > 0 seconds, got {interval!r}")
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def step(self) -> None:
        """One round of the service's work."""

    async def run(self) -> None:
        """Step forever, `interval` apart."""
        if self.step_at_start:
            await self.step()
        while True:
            await asyncio.sleep(self.interval)
            await self.step()

    def start(self) -> None:
        """Run as a task on the current loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"hubjobs-{self.name}")

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
