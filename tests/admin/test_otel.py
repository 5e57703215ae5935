"""OpenTelemetry: the SDK's OTLP/HTTP exporter sends to a receiver on loopback (decoding the
protobuf export) one trace: the HTTP caller's span -> the producer span of the enqueue -> the
consumer spans of each try, with the messaging attributes and the error recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from hubjobs import App
from hubjobs.contrib.opentelemetry import instrument

from .conftest import Tokens
from .support import bearer, run_burst


class _Collector(BaseHTTPRequestHandler):
    spans: list[Any] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                type(self).spans.extend(scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[Any]]]:
    _Collector.spans = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/traces", _Collector.spans
    finally:
        server.shutdown()
        server.server_close()


def _attrs(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = value.string_value if value.HasField("string_value") else value.int_value
    return out


async def test_one_trace_from_http_enqueue_to_each_try(client: httpx.AsyncClient, tokens: Tokens, jobs_app: App,
                                                       collector: tuple[str, list[Any]]) -> None:
    endpoint, spans = collector
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    instrument(jobs_app, tracer_provider=provider)
    caller = provider.get_tracer("caller")
    with caller.start_as_current_span("checkout") as http_span:
        headers: dict[str, str] = {}
        propagate.inject(headers)
        r = await client.post("/api/queues/files/jobs", headers={**bearer(tokens.producer), **headers,
                                                                 "Content-Type": "application/json"},
                              json={"name": "process-file", "data": {"fileId": "f1", "fail": True},
                                    "options": {"job_id": "job-1"}})
    assert r.status_code == 201, r.text
    await run_burst(jobs_app, ["files"])
    provider.force_flush()
    provider.shutdown()
    trace_id = http_span.get_span_context().trace_id.to_bytes(16, "big")
    by_name = {s.name: s for s in spans}
    producer, consumer, http = by_name["send files"], by_name["process files"], by_name["checkout"]
    assert {s.trace_id for s in (producer, consumer, http)} == {trace_id}
    assert producer.parent_span_id == http.span_id and consumer.parent_span_id == producer.span_id
    assert producer.kind == trace.SpanKind.PRODUCER.value + 1  # OTLP numbers kinds from 1 (internal)
    assert consumer.kind == trace.SpanKind.CONSUMER.value + 1
    attrs = _attrs(consumer)
    assert attrs["messaging.system"] == "hubjobs" and attrs["messaging.destination.name"] == "files"
    assert attrs["messaging.message.id"] == "job-1" and attrs["messaging.hubjobs.retry_count"] == 0
    assert _attrs(producer)["messaging.message.id"] == "job-1"
    assert consumer.status.code == 2  # STATUS_CODE_ERROR
    assert any(event.name == "exception" for event in consumer.events)
    job = await jobs_app.queue("files").aget("job-1")
    assert job is not None and job.meta["traceparent"].split("-")[2] == producer.span_id.hex()
