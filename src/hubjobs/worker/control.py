"""Maintenance: carry out admin commands addressed to this worker. The dashboard publishes them
on the control stream (`CONTROL_STREAM`, an event stream that is not a queue); every
CONTROL_SECONDS the worker reads what is new and obeys the commands naming it:

- `quiet`: stop claiming jobs; running ones finish, outcomes are still sent, the worker stays up
  (its heartbeat says "quiet").
- `stop`: stop gracefully, as on SIGTERM.

The worker reports what it did on the same stream (`worker-control-done`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from ..backends.base import Backend, NewEvent, PublishEvents, ReadEvents
from .service import PeriodicService
from .slots import Slots

log = logging.getLogger("hubjobs.worker")

CONTROL_STREAM = "hubjobs:control"
"""The event stream commands travel on (named so it can never be a queue's: see `Queue` names)."""
COMMAND_EVENT = "worker-control"
DONE_EVENT = "worker-control-done"
CONTROL_SECONDS = 1.0
Command = Literal["quiet", "stop"]
COMMANDS: tuple[Command, ...] = ("quiet", "stop")


def command_event(worker_id: str, command: Command, by: str) -> NewEvent:
    """The event asking `worker_id` to carry out `command` (sent by `by`)."""
    if command not in COMMANDS:
        raise ValueError(f"unknown worker command {command!r}; known: {', '.join(COMMANDS)}")
    return NewEvent(COMMAND_EVENT, None, time.time(), {"worker_id": worker_id, "command": command, "by": by})


class WorkerControl(PeriodicService):
    """Reads the control stream and quiets or stops this worker when told to."""

    name = "control"

    def __init__(self, backend: Backend, worker_id: str, slots: Slots, stop: Callable[[], None],
                 interval: float = CONTROL_SECONDS) -> None:
        super().__init__(interval)
        self.backend = backend
        self.worker_id = worker_id
        self.slots = slots
        self.stop_worker = stop
        self.started_at = time.time()
        self._cursor = "0"

    async def step(self) -> None:
        """Obey the new commands for this worker (a read failure is logged, retried next step)."""
        try:
            events = await self.backend.read_events(ReadEvents(CONTROL_STREAM, self._cursor, limit=100))
        except Exception as exc:  # noqa: BLE001 - the next step reads again
            log.warning("could not read worker commands: %s", exc)
            return
        for event in events:
            self._cursor = event.id
            data = event.data
            if event.event != COMMAND_EVENT or data.get("worker_id") != self.worker_id or event.at < self.started_at:
                continue
            command = data.get("command")
            if command == "quiet":
                self.slots.quiet = True
                self.slots.wake.set()
            elif command == "stop":
                self.stop_worker()
            else:
                continue
            log.warning("worker %s: %s, as %s asked", self.worker_id, command, data.get("by", "an admin"))
            try:
                await self.backend.publish_events(PublishEvents(CONTROL_STREAM, [NewEvent(
                    DONE_EVENT, None, time.time(), {"worker_id": self.worker_id, "command": command})]))
            except Exception as exc:  # noqa: BLE001 - the command was carried out all the same
                log.warning("could not report worker command %s: %s", command, exc)
