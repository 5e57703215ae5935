"""Schemathesis against the published OpenAPI document, on a real server: no 5xx for valid or
invalid input, and responses conform to the document."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from hubjobs import App
from hubjobs.admin import AdminSettings, create_standalone_app

from .conftest import Tokens
from .support import bearer, make_app, seed, served, token_store_path

EXAMPLES = 10
"""Examples per operation and variant: any input, input for a real queue, and invalid input."""
SKIP = {"/api/events"}  # an endless event stream; covered by test_live
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_server_errors_anywhere_in_the_api(tmp_path: Path, tokens: Tokens) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    seeder = make_app(url)
    asyncio.run(_seed(seeder))
    server_app = make_app(url)
    standalone = create_standalone_app(server_app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
    with served(standalone, server_app) as base, requests.Session() as session:
        doc = httpx.get(f"{base}/api/openapi.json", headers=bearer(tokens.admin)).json()
        schema = schemathesis.openapi.from_dict(doc)
        headers = bearer(tokens.admin)
        ran = []
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an invalid operation fails here
            if operation.path in SKIP:
                continue
            real_queue = {"queue": "files"} if "{queue}" in operation.path else None
            variants = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
            if real_queue:
                variants.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE,
                                                      path_parameters=real_queue))
            for strategy in variants:

                @given(case=strategy)
                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
                def check(case: schemathesis.Case[Any]) -> None:
                    case.call_and_validate(base_url=base, session=session, headers=headers, checks=CHECKS)

                check()
            ran.append(f"{operation.method.upper()} {operation.path}")
        assert len(ran) == len(schema.raw_schema["paths"]) + 1 - len(SKIP), ran  # GET+POST share a path


async def _seed(app: App) -> None:
    try:
        await seed(app)
    finally:
        await app.aclose()

