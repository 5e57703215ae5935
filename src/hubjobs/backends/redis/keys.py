"""Key names. Every key of a queue carries the hash tag `{prefix:queue}` (so a queue lives in
one Redis Cluster slot); keys shared by all queues carry `{prefix}`."""

from __future__ import annotations

from dataclasses import dataclass

QUEUE_KEY_NAMES = ("jobs", "prios", "delayed", "active", "leases", "completed", "failed", "settings",
                   "rate", "wake", "logged")
"""The KEYS every queue script receives, in order (documented in lua/lib/queue.lua)."""


@dataclass(frozen=True)
class QueueKeys:
    """The keys of one queue."""

    base: str
    """`{prefix:queue}:`: every key of the queue starts with it (ARGV[1] of queue scripts)."""
    script_keys: tuple[str, ...]
    """The KEYS of every queue script, in the order of `QUEUE_KEY_NAMES`."""
    script_args: tuple[bytes, ...] = ()
    """`script_keys` then `base`, UTF-8 encoded once (they go with every script call)."""

    @property
    def jobs(self) -> str:
        """The hash holding every job's fields."""
        return self.script_keys[0]

    @property
    def wake(self) -> str:
        """The wake-up marker idle workers block on."""
        return self.script_keys[9]

    @property
    def delayed(self) -> str:
        """Delayed jobs by due time."""
        return self.script_keys[2]

    @property
    def events(self) -> str:
        """The queue's event stream."""
        return self.base + "events"

    def log(self, stored_id: str) -> str:
        """The log list of a job (by its stored id)."""
        return f"{self.base}l:{stored_id}"


def queue_keys(prefix: str, queue: str) -> QueueKeys:
    """The keys of `queue` under `prefix`."""
    base = f"{{{prefix}:{queue}}}:"
    keys = tuple(base + name for name in QUEUE_KEY_NAMES)
    return QueueKeys(base, keys, tuple(k.encode() for k in (*keys, base)))


@dataclass(frozen=True)
class GlobalKeys:
    """Keys shared by every queue of one prefix."""

    queues: str
    workers: str
    worker_expiry: str
    schedules: str
    schedule_runs: str
    schedules_paused: str


def global_keys(prefix: str) -> GlobalKeys:
    """The shared keys under `prefix`."""
    tag = f"{{{prefix}}}:"
    return GlobalKeys(tag + "queues", tag + "workers", tag + "workers:expiry", tag + "schedules",
                      tag + "schedules:runs", tag + "schedules:paused")
