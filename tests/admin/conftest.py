"""Fixtures for the admin tests: an App on a fresh SQLite file, tokens of each role, and an
httpx client on the admin ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from hubjobs import App
from hubjobs.admin import AdminSettings, TokenStore, create_admin_app

from .support import make_app, token_store_path


@dataclass
class Tokens:
    """One token per role, plus the store."""

    store: TokenStore
    admin: str
    viewer: str
    producer: str


@pytest.fixture
def jobs_app(tmp_path: Path) -> Iterator[App]:
    """The test App on a new SQLite file."""
    app = make_app(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield app
    app.close()


@pytest.fixture
def tokens(tmp_path: Path) -> Tokens:
    """Tokens of every role in a fresh store."""
    store = TokenStore(token_store_path(tmp_path))
    return Tokens(store, store.create("admin", "alice").token, store.create("viewer", "victor").token,
                  store.create("producer", "paula").token)


@pytest.fixture
def settings(tmp_path: Path) -> AdminSettings:
    """Settings pointing at the test token store."""
    return AdminSettings(token_store=token_store_path(tmp_path))


@pytest.fixture
async def admin_app(jobs_app: App, settings: AdminSettings, tokens: Tokens) -> AsyncIterator[Starlette]:
    """The admin ASGI app (closed after the test)."""
    admin = create_admin_app(jobs_app, settings=settings)
    yield admin
    await admin.state.admin.aclose()
    await jobs_app.aclose()


@pytest.fixture
async def client(admin_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the admin app (no credentials)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(admin_app), base_url="http://testserver") as c:
        yield c
