"""FastAPI / Starlette: a lifespan that opens and closes the App, a dependency that gives a queue,
and the dashboard mounted at a prefix.

    jobs = App("postgresql://...")
    api = FastAPI(lifespan=hubjobs_lifespan(jobs))
    api.mount("/admin/queues", dashboard(jobs))

    @api.post("/orders")
    async def order(queue: Annotated[Queue, Depends(queue_dependency(jobs, "email"))]) -> dict:
        job = await queue.aadd("send-email", {...})
        return {"job": job.id}
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..app import App
from ..queue import Queue

if TYPE_CHECKING:
    from ..admin.settings import AdminSettings


def hubjobs_lifespan(app: App, *, then: Callable[[Any], AbstractAsyncContextManager[Any]] | None = None
                     ) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan opening `app`'s backend at startup (a bad URL fails the start, not the first
    request) and closing it at shutdown; `then` wraps the host's own lifespan inside it."""

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[None]:
        await app.backend()
        try:
            if then is None:
                yield
            else:
                async with then(asgi_app):
                    yield
        finally:
            await app.aclose()

    return lifespan


def queue_dependency(app: App, name: str) -> Callable[[], Queue]:
    """A dependency giving the declared queue `name` (an unknown name fails at once, here)."""
    queue = app.get_queue(name)

    def dependency() -> Queue:
        return queue

    return dependency


def dashboard(app: App, *, settings: AdminSettings | None = None) -> Any:
    """The dashboard and its API as an ASGI app to `mount` at any prefix (it serves relative
    links). Needs the `hubjobs[dashboard]` extra."""
    from ..admin import create_admin_app

    return create_admin_app(app, settings=settings)
