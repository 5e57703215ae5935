"""ScheduleSpec: what a schedule is, validated when it is built."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cron_rule import CronRule, CronSyntaxError

CatchUp = Literal["one", "all", "none"]
"""Policy for ticks missed while no scheduler ran; see :func:`hubjobs.scheduling.due_ticks`."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Default anchor of interval schedules: ``every=1h`` ticks on the hour in UTC."""

DEFAULT_MAX_LATENESS = timedelta(hours=1)
"""How late the single catch-up run of policy ``one`` may start by default."""

_MAX_ID_LENGTH = 200
_JSON_KEYS = frozenset(
    {"id", "queue", "name", "data", "cron", "every_seconds", "tz", "catch_up"}
    | {"max_lateness_seconds", "job_options", "anchor"}
)


class ScheduleError(ValueError):
    """A schedule definition that cannot be used; the message names the schedule and the value."""


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    """One schedule: add job ``name`` with ``data`` to ``queue`` at every tick.

    Exactly one of ``cron`` and ``every`` is given:

    * ``cron``: 5 fields, or 6 with **seconds first** (``sec min hour dom month dow``, as in
      BullMQ), evaluated as wall-clock time in ``tz`` (an IANA name); DST rules in
      :mod:`hubjobs.scheduling.local_time`.
    * ``every``: a fixed interval of real time (a whole number of seconds, at least 1 s), ticking
      at ``anchor + k * every`` for whole ``k``, so every process computes the same ticks. ``tz``
      does not move interval ticks. ``anchor`` (default the Unix epoch) is only for ``every``.

    ``catch_up`` and ``max_lateness`` say what runs after downtime (see ``due_ticks``);
    ``job_options`` (priority, attempts, ...) are passed to each job the schedule adds.
    Raises :class:`ScheduleError` for any bad field.
    """

    id: str
    queue: str
    name: str
    data: Any = field(default=None, hash=False)
    cron: str | None = None
    every: timedelta | None = None
    tz: str = "UTC"
    catch_up: CatchUp = "one"
    max_lateness: timedelta = DEFAULT_MAX_LATENESS
    job_options: dict[str, Any] = field(default_factory=dict, hash=False)
    anchor: datetime = EPOCH
    cron_rule: CronRule | None = field(init=False, repr=False, compare=False, hash=False, default=None)
    """Derived: the compiled ``cron`` expression (None for ``every`` schedules)."""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id or len(self.id) > _MAX_ID_LENGTH:
            raise ScheduleError(
                f"schedule id must be a non-empty string of at most 200 characters, got {self.id!r}"
            )
        if any(character.isspace() or not character.isprintable() for character in self.id):
            raise ScheduleError(f"schedule id {self.id!r} must not contain spaces or control characters")
        for label, value in (("queue", self.queue), ("name", self.name)):
            if not isinstance(value, str) or not value.strip():
                raise self._error(f"{label} must be a non-empty string, got {value!r}")
        zone = self._zone()
        if (self.cron is None) == (self.every is None):
            raise self._error(
                f"give exactly one of cron and every, got cron={self.cron!r} and every={self.every!r}"
            )
        if self.cron is not None:
            self._check_cron(zone)
        else:
            self._check_every()
        self._check_catch_up()
        self._check_payload()

    def to_json(self) -> dict[str, Any]:
        """Return the spec as a JSON-ready dict (intervals in seconds, anchor as ISO 8601 UTC)."""
        return {
            "id": self.id,
            "queue": self.queue,
            "name": self.name,
            "data": self.data,
            "cron": self.cron,
            "every_seconds": None if self.every is None else int(self.every.total_seconds()),
            "tz": self.tz,
            "catch_up": self.catch_up,
            "max_lateness_seconds": self.max_lateness.total_seconds(),
            "job_options": dict(self.job_options),
            "anchor": self.anchor.isoformat(),
        }

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> ScheduleSpec:
        """Build a spec from :meth:`to_json` output; raise :class:`ScheduleError` if it is malformed."""
        if not isinstance(fields, dict) or set(fields) != _JSON_KEYS:
            label = repr(fields.get("id")) if isinstance(fields, dict) else "?"
            got = sorted(fields) if isinstance(fields, dict) else fields
            raise ScheduleError(
                f"schedule {label}: stored spec must have keys {sorted(_JSON_KEYS)}, got {got!r}"
            )
        label = repr(fields["id"])
        try:
            every = None if fields["every_seconds"] is None else timedelta(seconds=fields["every_seconds"])
            lateness = timedelta(seconds=fields["max_lateness_seconds"])
            anchor = datetime.fromisoformat(fields["anchor"])
        except (TypeError, ValueError) as error:
            raise ScheduleError(f"schedule {label}: malformed stored spec: {error}") from None
        return cls(
            id=fields["id"],
            queue=fields["queue"],
            name=fields["name"],
            data=fields["data"],
            cron=fields["cron"],
            every=every,
            tz=fields["tz"],
            catch_up=fields["catch_up"],
            max_lateness=lateness,
            job_options=fields["job_options"],
            anchor=anchor,
        )

    def _error(self, problem: str) -> ScheduleError:
        return ScheduleError(f"schedule {self.id!r}: {problem}")

    def _zone(self) -> ZoneInfo:
        if not isinstance(self.tz, str) or not self.tz:
            raise self._error(f"tz must be an IANA time zone name such as 'Europe/Berlin', got {self.tz!r}")
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise self._error(f"unknown time zone {self.tz!r}") from None

    def _check_cron(self, zone: ZoneInfo) -> None:
        if not isinstance(self.cron, str):
            raise self._error(f"cron must be a string, got {self.cron!r}")
        if self.anchor != EPOCH:
            raise self._error(f"anchor applies to every schedules only, got anchor={self.anchor.isoformat()}")
        try:
            rule = CronRule.compile(self.cron, zone, hash_id=self.id.encode())
        except CronSyntaxError as error:
            raise self._error(f"invalid cron expression {self.cron!r}: {error}") from None
        object.__setattr__(self, "cron_rule", rule)

    def _check_every(self) -> None:
        every = self.every
        if not isinstance(every, timedelta):
            raise self._error(f"every must be a timedelta, got {every!r}")
        if every < timedelta(seconds=1) or every % timedelta(seconds=1):
            raise self._error(
                f"every must be a positive whole number of seconds, got {every.total_seconds():g} s"
            )
        anchor = self.anchor
        if not isinstance(anchor, datetime) or anchor.tzinfo is None or anchor.microsecond:
            raise self._error(f"anchor must be a time-zone-aware datetime in whole seconds, got {anchor!r}")
        object.__setattr__(self, "anchor", anchor.astimezone(UTC))

    def _check_catch_up(self) -> None:
        if self.catch_up not in get_args(CatchUp):
            raise self._error(f"catch_up must be 'one', 'all' or 'none', got {self.catch_up!r}")
        if not isinstance(self.max_lateness, timedelta) or self.max_lateness <= timedelta(0):
            raise self._error(f"max_lateness must be a positive timedelta, got {self.max_lateness!r}")

    def _check_payload(self) -> None:
        try:
            json.dumps(self.data, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise self._error(f"data must be JSON: {error}") from None
        options = self.job_options
        if not isinstance(options, dict) or not all(isinstance(key, str) for key in options):
            raise self._error(f"job_options must be a dict with string keys, got {options!r}")
        object.__setattr__(self, "job_options", dict(options))
