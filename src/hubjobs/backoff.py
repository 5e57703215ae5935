"""Retry delays: fixed, exponential and named custom strategies with optional jitter and cap."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ConfigurationError, InvalidJobOptions
from .limits import check_seconds

BackoffKind = Literal["fixed", "exponential", "custom"]
CustomStrategy = Callable[[int], float]
"""A named strategy: attempt number (1 = the first failed try) -> delay in seconds."""


@dataclass(frozen=True)
class Backoff:
    """How long a job waits in `delayed` after a failed try before the next one.

    `delay` is in seconds. `jitter` is a fraction 0..1: the delay is drawn uniformly from
    `[d * (1 - jitter), d]`. `cap` bounds the delay (after jitter) in seconds.
    """

    kind: BackoffKind = "fixed"
    delay: float = 0.0
    name: str | None = None
    jitter: float = 0.0
    cap: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("fixed", "exponential", "custom"):
            raise InvalidJobOptions(f"backoff kind must be fixed, exponential or custom, not {self.kind!r}")
        check_seconds(self.delay, "backoff.delay")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, (int, float)) \
                or not 0.0 <= self.jitter <= 1.0:
            raise InvalidJobOptions(f"backoff jitter must be between 0 and 1, got {self.jitter!r}",
                                    field="backoff.jitter")
        if self.cap is not None:
            check_seconds(self.cap, "backoff.cap")
        if self.kind == "custom" and not self.name:
            raise InvalidJobOptions("a custom backoff needs the name of a registered strategy")

    @classmethod
    def fixed(cls, seconds: float, *, jitter: float = 0.0, cap: float | None = None) -> Backoff:
        """The same delay after every failed try."""
        return cls("fixed", float(seconds), None, jitter, cap)

    @classmethod
    def exponential(cls, seconds: float, *, jitter: float = 0.0, cap: float | None = None) -> Backoff:
        """`seconds * 2 ** (attempt - 1)`: 1x, 2x, 4x ... the base delay."""
        return cls("exponential", float(seconds), None, jitter, cap)

    @classmethod
    def custom(cls, name: str, *, jitter: float = 0.0, cap: float | None = None) -> Backoff:
        """A strategy registered on the App with `app.backoff_strategy(name)`."""
        return cls("custom", 0.0, name, jitter, cap)

    def compute(
        self,
        attempt: int,
        strategies: Mapping[str, CustomStrategy] | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Delay in seconds after failed try number `attempt` (1-based)."""
        if attempt < 1:
            raise ValueError(f"attempt must be >= 1, got {attempt}")
        if self.kind == "fixed":
            base = self.delay
        elif self.kind == "exponential":
            base = self.delay * (2 ** (attempt - 1))
        else:
            assert self.name is not None
            fn = (strategies or {}).get(self.name)
            if fn is None:
                raise ConfigurationError(f"unknown backoff strategy {self.name!r}; register it with "
                                         f"app.backoff_strategy({self.name!r})")
            base = float(fn(attempt))
        if self.jitter:
            base = base * (1.0 - self.jitter * (rng or random).random())
        if self.cap is not None:
            base = min(base, self.cap)
        return max(0.0, base)

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored with the job."""
        return {"kind": self.kind, "delay": self.delay, "name": self.name, "jitter": self.jitter, "cap": self.cap}

    @classmethod
    def from_value(cls, value: Any) -> Backoff | None:
        """Accept a Backoff, its dict form, a number (fixed seconds) or None."""
        if value is None or isinstance(value, Backoff):
            return value
        if isinstance(value, bool):
            raise InvalidJobOptions(f"backoff must be a Backoff, a dict or seconds, not {value!r}")
        if isinstance(value, (int, float)):
            return cls.fixed(check_seconds(value, "backoff"))
        if isinstance(value, Mapping):
            try:
                return cls(
                    kind=value.get("kind", value.get("type", "fixed")),
                    delay=float(value.get("delay", 0.0)),
                    name=value.get("name"),
                    jitter=float(value.get("jitter", 0.0)),
                    cap=None if value.get("cap") is None else float(value["cap"]),
                )
            except (TypeError, ValueError, OverflowError) as exc:
                if isinstance(exc, InvalidJobOptions):
                    raise
                raise InvalidJobOptions(f"bad backoff {dict(value)!r}: {exc}") from None
        raise InvalidJobOptions(f"backoff must be a Backoff, a dict or seconds, not {value!r}")
