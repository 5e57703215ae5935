"""Contract-suite fixtures: the test App on the parametrized backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hubjobs import App
from tests.apps import build_app
from tests.contract.producers import PRODUCER_KINDS, Producer, Producers


@pytest.fixture
async def tapp(backend_url: str) -> AsyncIterator[App]:
    """The test App (handlers of tests/apps.py) on the backend under test."""
    app = build_app(backend_url)
    yield app
    await app.aclose()
    app.close()


@pytest.fixture(params=PRODUCER_KINDS)
def producer(request: pytest.FixtureRequest) -> Producers:
    """Producer operations through the async twin or the sync twin (run in a thread): tests
    of producer and admin operations take it, so each runs both ways on every backend."""
    kind = str(request.param)
    return lambda queue: Producer(queue, kind)
