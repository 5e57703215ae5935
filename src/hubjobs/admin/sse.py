"""Server-Sent Events: live job events from the EventHub to a browser (or any client).

Each message is `event: job` with JSON `{"queue", "event", "job_id", "at", "data"}`; `event:
resync` tells a client that fell behind to reload what it shows; comment lines keep the
connection alive. Clients reconnect on their own (`retry:`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from starlette.responses import StreamingResponse

from .http import dumps
from .live import EventHub

KEEPALIVE_SECONDS = 15.0
RECONNECT_MS = 2000


async def event_stream(hub: EventHub, queues: Sequence[str]) -> AsyncIterator[str]:
    """The text of an SSE stream until the client goes away or the hub closes."""
    sub = hub.subscribe(queues or None)
    try:
        yield f"retry: {RECONNECT_MS}\n: connected\n\n"
        while not sub.closed:
            item = await sub.next(KEEPALIVE_SECONDS)
            if sub.lagged:
                sub.lagged = False
                yield "event: resync\ndata: {}\n\n"
            if item is None:
                if not sub.closed:
                    yield ": keep-alive\n\n"
                continue
            yield f"event: job\ndata: {dumps(item.to_json())}\n\n"
    finally:
        hub.unsubscribe(sub)


def sse_response(hub: EventHub, queues: Sequence[str]) -> StreamingResponse:
    """A streaming text/event-stream response."""
    return StreamingResponse(event_stream(hub, queues), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
