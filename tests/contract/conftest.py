"""Contract-suite fixtures: the test App on the parametrized backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hubjobs import App
from tests.apps import build_app


@pytest.fixture
async def tapp(backend_url: str) -> AsyncIterator[App]:
    """The test App (handlers of tests/apps.py) on the backend under test."""
    app = build_app(backend_url)
    yield app
    await app.aclose()
    app.close()
