"""The stored encoding of an event batch: compact, exact to the microsecond, and able to read
batches written in the earlier shapes."""

from __future__ import annotations

import json

import pytest

from hubjobs.backends.base import NewEvent
from hubjobs.backends.event_batches import decode_events, encode_events


def test_a_batch_round_trips_to_the_microsecond() -> None:
    events = [NewEvent("active", "j1", 1_732_838_400.123456, {"name": "noop"}),
              NewEvent("completed", None, 1_732_838_400.5, {})]
    text = encode_events(events)
    assert " " not in text and isinstance(json.loads(text)[0][2], int)
    assert decode_events(text) == events


def test_batches_of_earlier_shapes_still_decode() -> None:
    floats = json.dumps([["completed", "a", 12.5, {"x": 1}]])
    objects = json.dumps([{"event": "failed", "job_id": "b", "at": 3.25, "data": {"error": "boom"}}])
    assert decode_events(floats) == [NewEvent("completed", "a", 12.5, {"x": 1})]
    assert decode_events(objects) == [NewEvent("failed", "b", 3.25, {"error": "boom"})]


def test_an_unreadable_item_keeps_its_place_as_none() -> None:
    text = json.dumps([["active", "a", 1, {}], ["too", "short"], {"event": "x"}, ["waiting", "b", 2, "not a dict"]])
    assert decode_events(text) == [NewEvent("active", "a", 0.000001, {}), None, None,
                                   NewEvent("waiting", "b", 0.000002, {})]


def test_text_that_is_not_an_array_is_refused() -> None:
    with pytest.raises(ValueError):
        decode_events('{"event": "active"}')
