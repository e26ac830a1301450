"""ingest's OpenAPI description tells the truth: schemathesis against the live service
finds no 5xx and no response that breaks the documented status codes, types or schemas."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from schemas.topics import Topics
from tests.harness import ServiceProcess
from tests.integration.conftest import base_url

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def fuzz(url: str, api_key: str, examples: int) -> list[str]:
    """Run every operation's generated cases; returns the operations exercised."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises, failing the test

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            headers = dict(case.headers or {})
            headers.setdefault("Authorization", f"Bearer {api_key}")
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        check()
        exercised.append(operation.label)
    return exercised


async def test_schemathesis_finds_no_server_errors_and_no_schema_violations(
    topics: Topics, services: Callable[..., ServiceProcess], api_key: str
) -> None:
    ingest = services("ingest", INGEST_RATE_PER_SOURCE="100000", INGEST_RATE_BURST="100000")
    await ingest.wait_ready()
    exercised = await asyncio.to_thread(fuzz, base_url(ingest), api_key, 60)
    assert "POST /v1/events" in exercised
    assert {"GET /healthz", "GET /readyz", "GET /metrics"} <= set(exercised)
