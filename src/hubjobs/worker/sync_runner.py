"""Runs sync (`def`) handlers in threads of the worker's own, with cheap hand-offs: jobs go to
the threads through one SimpleQueue, and results come back in batches — a thread that finishes
while the loop has not yet collected earlier results adds to them instead of waking the loop
again, so a busy worker pays one loop wake-up for many finished sync handlers."""

from __future__ import annotations

import asyncio
import collections
import contextvars
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

_Done = tuple["asyncio.Future[Any]", Any, "BaseException | None"]


class SyncRunner:
    """`threads` daemon threads calling handlers for the event loop `loop`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threads: int) -> None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads!r}")
        self._loop = loop
        self._work: SimpleQueue[tuple[contextvars.Context, Callable[[Any], Any], Any, asyncio.Future[Any]] | None] = \
            SimpleQueue()
        self._done: collections.deque[_Done] = collections.deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._threads = [threading.Thread(target=self._serve, name=f"hubjobs-handler-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    def run(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        """A future of `fn(arg)` called in a handler thread with a copy of the current context."""
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._work.put((contextvars.copy_context(), fn, arg, fut))
        return fut

    def _serve(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            ctx, fn, arg, fut = item
            try:
                done: _Done = (fut, ctx.run(fn, arg), None)
            except BaseException as exc:  # every handler error becomes the future's
                done = (fut, None, exc)
            del item, fut
            with self._lock:
                self._done.append(done)
                if self._scheduled:
                    continue
                self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._collect)
            except RuntimeError:  # the loop is closed: nobody waits for these any more
                return

    def _collect(self) -> None:
        with self._lock:
            finished = list(self._done)
            self._done.clear()
            self._scheduled = False
        for fut, result, exc in finished:
            if fut.cancelled():
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(result)

    def close(self) -> None:
        """Let idle threads end (a thread still running an abandoned handler ends after it)."""
        for _ in self._threads:
            self._work.put(None)
