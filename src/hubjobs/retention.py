"""How many finished jobs to keep: all, none, or by count and/or age."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidJobOptions
from .limits import MAX_COUNT, check_int, check_seconds


@dataclass(frozen=True)
class Retention:
    """Keep finished jobs up to `count` newest and/or `age` seconds old; `None` means no bound.

    `Retention(count=0)` keeps none; `Retention()` keeps all.
    """

    count: int | None = None
    age: float | None = None

    def __post_init__(self) -> None:
        if self.count is not None:
            check_int(self.count, "retention count", 0, MAX_COUNT)
        if self.age is not None:
            check_seconds(self.age, "retention age")

    @property
    def keeps_none(self) -> bool:
        """True when finished jobs are removed at once."""
        return self.count == 0 or self.age == 0

    @property
    def keeps_all(self) -> bool:
        """True when nothing is ever removed."""
        return self.count is None and self.age is None

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored with the job."""
        return {"count": self.count, "age": self.age}

    @classmethod
    def from_value(cls, value: Any) -> Retention:
        """Accept BullMQ-like values: True (keep none), False/None (keep all), an int (keep N),
        a dict {count, age}, or a Retention."""
        if isinstance(value, Retention):
            return value
        if value is True:
            return cls(count=0)
        if value is False or value is None:
            return cls()
        if isinstance(value, int):
            return cls(count=value)
        if isinstance(value, dict):
            unknown = set(value) - {"count", "age"}
            if unknown:
                raise InvalidJobOptions(f"retention takes count and age, not {sorted(unknown)}")
            age = value.get("age")
            return cls(count=value.get("count"), age=None if age is None else check_seconds(age, "retention age"))
        raise InvalidJobOptions(f"retention must be bool, int, dict or Retention, not {value!r}")


DEFAULT_KEEP_COMPLETED = Retention(count=1000, age=24 * 3600.0)
"""Completed jobs: the newest 1,000 and at most 24 h old."""

DEFAULT_KEEP_FAILED = Retention(count=10_000, age=None)
"""Failed jobs (the dead-letter state): the newest 10,000, any age."""
