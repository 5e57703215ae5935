"""Sentry for handler errors: `hubjobs.contrib.sentry.instrument(app)` adds middleware that
reports a handler's exception to Sentry with the job's queue, name, id and try as tags and its
meta as context. By default only the final failure of a job is reported (a try that will be
retried is not); `instrument(app, every_try=True)` reports each failed try. Call
`sentry_sdk.init(...)` yourself, as for any Sentry integration. Needs `hubjobs[sentry]`."""

from __future__ import annotations

from typing import Any

from ..errors import UnrecoverableError
from ..extras import EXTRAS, MissingExtra
from ..job import Job
from ..middleware import CallNext, Middleware


class SentryMiddleware(Middleware):
    """Reports handler exceptions to Sentry (see the module docstring)."""

    def __init__(self, *, every_try: bool = False) -> None:
        try:
            import sentry_sdk
        except ImportError:
            raise MissingExtra(EXTRAS["sentry"], "sentry_sdk") from None
        self._sdk = sentry_sdk
        self.every_try = every_try

    async def __call__(self, job: Job, call_next: CallNext) -> Any:
        """Run the try; report its exception when it is the job's last (or always, with every_try)."""
        try:
            return await call_next(job)
        except Exception as exc:
            attempt = job.attempts_made + 1
            final = isinstance(exc, UnrecoverableError) or attempt >= job.max_attempts
            if final or self.every_try:
                self._report(job, exc, attempt, final)
            raise

    def _report(self, job: Job, exc: BaseException, attempt: int, final: bool) -> None:
        with self._sdk.new_scope() as scope:
            scope.set_tag("hubjobs.queue", job.queue)
            scope.set_tag("hubjobs.job_name", job.name)
            scope.set_tag("hubjobs.job_id", job.id)
            scope.set_tag("hubjobs.try", str(attempt))
            scope.set_tag("hubjobs.final", "yes" if final else "no")
            scope.set_context("hubjobs job", {"queue": job.queue, "name": job.name, "id": job.id,
                                              "try": attempt, "max_attempts": job.max_attempts,
                                              "meta": job.meta})
            scope.capture_exception(exc)


def instrument(app: Any, *, every_try: bool = False) -> SentryMiddleware:
    """Add Sentry reporting to `app` (a hubjobs App); returns the middleware."""
    mw = SentryMiddleware(every_try=every_try)
    app.middleware(mw)
    return mw
