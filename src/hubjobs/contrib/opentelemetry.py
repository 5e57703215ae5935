"""OpenTelemetry traces for jobs, in the style of OpenTelemetry's instrumentors:
`hubjobs.contrib.opentelemetry.instrument(app)` adds middleware that makes a PRODUCER span per
add (child of the current span, or of the W3C `traceparent` already in the job's meta, which is
how the HTTP enqueue endpoint continues an incoming request's trace), stores the producer span's
W3C trace context (`traceparent`, `tracestate`) in the job's meta, and makes a CONSUMER span per
try as its child. Attributes follow OpenTelemetry's messaging conventions: `messaging.system`
= "hubjobs", `messaging.destination.name` = the queue, `messaging.message.id` = the job id,
`messaging.operation.type` (send / process), plus `hubjobs.job.name` and `hubjobs.job.try`
(`messaging.hubjobs.retry_count` = tries before this one). A failing try records the exception
and an error status on its span. Needs `hubjobs[otel]` and, to export, an SDK you configure."""

from __future__ import annotations

from typing import Any

from ..extras import EXTRAS, MissingExtra
from ..job import Job
from ..middleware import AddContext, CallNext, Middleware

SYSTEM = "hubjobs"
CONTEXT_KEYS = ("traceparent", "tracestate")


class OpenTelemetryMiddleware(Middleware):
    """Producer and consumer spans (see the module docstring)."""

    def __init__(self, tracer_provider: Any = None) -> None:
        try:
            from opentelemetry import propagate, trace
        except ImportError:
            raise MissingExtra(EXTRAS["otel"], "opentelemetry") from None
        self._trace = trace
        self._propagate = propagate
        self.tracer = trace.get_tracer("hubjobs", tracer_provider=tracer_provider)

    def before_add(self, add: AddContext) -> None:
        """Start the producer span and put its context in the job's meta."""
        trace = self._trace
        incoming = {k: add.meta[k] for k in CONTEXT_KEYS if k in add.meta}
        parent = self._propagate.extract(incoming) if incoming else None
        span = self.tracer.start_span(f"send {add.queue}", context=parent, kind=trace.SpanKind.PRODUCER,
                                      attributes={"messaging.system": SYSTEM,
                                                  "messaging.destination.name": add.queue,
                                                  "messaging.operation.type": "send",
                                                  "messaging.message.id": add.job_id,
                                                  "hubjobs.job.name": add.name})
        carrier: dict[str, str] = {}
        self._propagate.inject(carrier, context=trace.set_span_in_context(span))
        for key in CONTEXT_KEYS:
            add.meta.pop(key, None)
            if key in carrier:
                add.meta[key] = carrier[key]
        add.state["otel.span"] = span

    def after_add(self, add: AddContext, error: BaseException | None) -> None:
        """End the producer span (with the error, if the add failed)."""
        span = add.state.pop("otel.span", None)
        if span is None:
            return
        if error is not None:
            span.record_exception(error)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, str(error)))
        elif add.added is not None and not add.added.created:
            span.set_attribute("hubjobs.duplicate", True)
        span.end()

    async def __call__(self, job: Job, call_next: CallNext) -> Any:
        """Run the try inside a consumer span, child of the producer span in the job's meta."""
        trace = self._trace
        meta = job.meta
        parent = self._propagate.extract({k: meta[k] for k in CONTEXT_KEYS if k in meta})
        with self.tracer.start_as_current_span(
                f"process {job.queue}", context=parent, kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": SYSTEM, "messaging.destination.name": job.queue,
                            "messaging.operation.type": "process", "messaging.message.id": job.id,
                            "messaging.hubjobs.retry_count": job.attempts_made,
                            "hubjobs.job.name": job.name, "hubjobs.job.try": job.attempts_made + 1},
                record_exception=True, set_status_on_exception=True):
            return await call_next(job)


def instrument(app: Any, tracer_provider: Any = None) -> OpenTelemetryMiddleware:
    """Trace `app`'s adds and tries (with the global tracer provider unless one is given);
    returns the middleware."""
    mw = OpenTelemetryMiddleware(tracer_provider)
    app.middleware(mw)
    return mw
