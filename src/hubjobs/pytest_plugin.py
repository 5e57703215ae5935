"""pytest fixtures for testing your handlers (installed with hubjobs as a `pytest11` plugin):

- `hubjobs_url`: a fresh `memory://` URL (an in-memory SQLite database of the test's process),
  freed after the test; `hubjobs_sqlite_url`: a new SQLite file in the test's temp folder.
- `hubjobs_app` / `hubjobs_sqlite_app`: a bare App on either (declare handlers on it, or
  `hubjobs.test_mode.bind(your_app, hubjobs_url)` to point yours there).
- `hubjobs_clock`: `advance(seconds)` moves the backends' clock forward, reset after the test.
- `hubjobs_drain`: `hubjobs_drain(app)` runs every due job to completion in the test's process
  (sync tests; `await hubjobs.test_mode.adrain(app)` in async ones).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .app import App
from .backends.sqlite.memory import forget
from .test_mode import TestClock, drain


@pytest.fixture
def hubjobs_url() -> Iterator[str]:
    """A fresh memory:// URL, its database freed after the test."""
    url = f"memory://pytest-{uuid.uuid4().hex}"
    yield url
    forget(url)


@pytest.fixture
def hubjobs_sqlite_url(tmp_path: Path) -> str:
    """A new SQLite database file in the test's temp folder."""
    return f"sqlite:///{tmp_path / 'hubjobs.db'}"


@pytest.fixture
def hubjobs_app(hubjobs_url: str) -> Iterator[App]:
    """A bare App on memory://, closed after the test."""
    app = App(hubjobs_url)
    yield app
    app.close()


@pytest.fixture
def hubjobs_sqlite_app(hubjobs_sqlite_url: str) -> Iterator[App]:
    """A bare App on a temporary SQLite file, closed after the test."""
    app = App(hubjobs_sqlite_url)
    yield app
    app.close()


@pytest.fixture
def hubjobs_clock() -> Iterator[TestClock]:
    """The backends' clock: `advance(seconds)`; back to wall time after the test."""
    test_clock = TestClock()
    yield test_clock
    test_clock.reset()


@pytest.fixture
def hubjobs_drain() -> Callable[..., int]:
    """`hubjobs_drain(app, queues=None)`: run every due job to completion; returns the tries run."""
    return drain
