"""Backoff sequences, jitter and caps."""

from __future__ import annotations

import random

import pytest

from hubjobs import Backoff, ConfigurationError, InvalidJobOptions


def test_fixed() -> None:
    b = Backoff.fixed(10)
    assert [b.compute(n) for n in range(1, 5)] == [10, 10, 10, 10]


def test_exponential() -> None:
    b = Backoff.exponential(2)
    assert [b.compute(n) for n in range(1, 6)] == [2, 4, 8, 16, 32]


def test_exponential_with_cap() -> None:
    b = Backoff.exponential(2, cap=10)
    assert [b.compute(n) for n in range(1, 6)] == [2, 4, 8, 10, 10]


def test_the_webhook_rule_as_a_named_strategy() -> None:
    strategies = {"webhook": lambda n: 5 * 5 ** (n - 1)}
    b = Backoff.custom("webhook", cap=3600)
    assert [b.compute(n, strategies) for n in range(1, 7)] == [5, 25, 125, 625, 3125, 3600]


def test_jitter_stays_within_its_band_and_is_off_by_default() -> None:
    rng = random.Random(7)
    b = Backoff.fixed(100, jitter=0.25)
    values = [b.compute(1, rng=rng) for _ in range(200)]
    assert all(75 <= v <= 100 for v in values) and len(set(values)) > 100
    assert Backoff.fixed(100).compute(1) == 100


def test_unknown_custom_strategy_names_itself() -> None:
    with pytest.raises(ConfigurationError, match="'nope'"):
        Backoff.custom("nope").compute(1, {})


@pytest.mark.parametrize("kwargs", [{"delay": -1}, {"jitter": 2.0}, {"cap": -3}])
def test_bad_backoff_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidJobOptions):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_backoff_from_values() -> None:
    assert Backoff.from_value(5) == Backoff.fixed(5)
    assert Backoff.from_value({"type": "exponential", "delay": 2}) == Backoff.exponential(2)
    assert Backoff.from_value(None) is None
    with pytest.raises(InvalidJobOptions):
        Backoff.from_value("soon")
