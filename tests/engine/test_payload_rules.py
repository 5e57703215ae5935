"""Payload and option rules that need no backend."""

from __future__ import annotations

import pytest

from hubjobs import InvalidJobData, InvalidJobOptions, Retention
from hubjobs.payload import PayloadLimits, encode_data, parse_data_argument


def test_json_only() -> None:
    assert encode_data({"a": [1, 2, "é"]}) == '{"a":[1,2,"é"]}'
    with pytest.raises(InvalidJobData, match="JSON"):
        encode_data({1, 2})
    with pytest.raises(InvalidJobData, match="JSON"):
        encode_data(b"bytes")


def test_limits_are_configurable() -> None:
    with pytest.raises(InvalidJobData, match="over the limit of 10 bytes"):
        encode_data("x" * 20, PayloadLimits(max_bytes=10))
    with pytest.raises(InvalidJobData, match="deeper than 2"):
        encode_data([[[1]]], PayloadLimits(max_depth=2))


def test_data_argument_errors_name_the_position() -> None:
    with pytest.raises(InvalidJobData, match="line 1 column 2"):
        parse_data_argument("{oops")


def test_retention_values() -> None:
    assert Retention.from_value(True).keeps_none
    assert Retention.from_value(False).keeps_all
    assert Retention.from_value(5) == Retention(count=5)
    assert Retention.from_value({"count": 10, "age": 60}) == Retention(10, 60.0)
    with pytest.raises(InvalidJobOptions, match="count and age"):
        Retention.from_value({"max": 3})
    with pytest.raises(InvalidJobOptions):
        Retention(count=-1)
