"""One W3C trace from the ingest request to the desktop, on a real broker and PostgreSQL,
exported to a real OTLP/HTTP endpoint (a small receiver this test runs, decoding the
protobuf the services send): the trace the caller started, a span per hop, each hop the
child of the one before, each starting at the previous hop's stamp."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from moments.processes import free_port
from services.actions.adapters.people import create_agent
from tests.harness import ServiceProcess, cloudevent, eventually, sse_listener
from tests.integration.conftest import base_url

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@asynccontextmanager
async def otlp_receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """An OTLP/HTTP endpoint on a free port; yields (its URL, the spans received)."""
    spans: list[dict[str, Any]] = []

    async def traces(request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        for resource in export.resource_spans:
            service = next(
                a.value.string_value
                for a in resource.resource.attributes
                if a.key == "service.name"
            )
            for scope in resource.scope_spans:
                for span in scope.spans:
                    spans.append(
                        {
                            "service": service,
                            "name": span.name,
                            "trace": span.trace_id.hex(),
                            "id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "start_ms": span.start_time_unix_nano // 1_000_000,
                        }
                    )
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", spans
    finally:
        await runner.cleanup()


async def test_one_trace_runs_from_the_request_to_the_desktop_a_span_per_hop(
    services: Callable[..., ServiceProcess], pool: asyncpg.Pool, api_key: str, run_id: str
) -> None:
    async with otlp_receiver() as (endpoint, spans):
        tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        ingest, signals = services("ingest", **tracing), services("signals", **tracing)
        actions = services("actions", **tracing)
        for process in (ingest, signals, actions):
            await process.wait_ready()
        token = await create_agent(pool, f"tracer-{run_id}", ["complaints"], "Tracer")
        customer = f"cust-{run_id}"
        event = cloudevent(
            customer,
            "complaint.filed",
            {"channel": "email", "category": "billing", "severity": "high"},
            event_id=f"trc-{run_id}",
        )
        headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/cloudevents+json",
            "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01",
        }
        async with (
            sse_listener(base_url(actions), token) as stream,
            httpx.AsyncClient(base_url=base_url(ingest)) as client,
        ):
            posted = await client.post("/v1/events", content=json.dumps(event), headers=headers)
            assert posted.status_code == 202

            async def on_the_desktop() -> dict[str, Any] | None:
                return next(
                    (e["data"] for e in stream if e["data"].get("customer_id") == customer), None
                )

            shown = await eventually(on_the_desktop, 30, "the recommendation on the desktop")

        async def every_hop() -> dict[str, dict[str, Any]] | None:
            mine = {s["name"]: s for s in spans if s["trace"] == TRACE_ID}
            hops = ("ingest", "signals", "actions", "desktop push")
            return mine if all(h in mine for h in hops) else None

        hop = await eventually(every_hop, 30, "a span from every hop at the receiver")

    trace = shown["trace"]
    assert trace["traceparent"].split("-")[1] == TRACE_ID  # the desktop gets the trace too
    assert trace["traceparent"].split("-")[2] == hop["desktop push"]["id"]
    assert hop["ingest"]["parent"] == CALLER_SPAN  # the caller's trace, continued
    assert hop["signals"]["parent"] == hop["ingest"]["id"]
    assert hop["actions"]["parent"] == hop["signals"]["id"]
    assert hop["desktop push"]["parent"] == hop["actions"]["id"]
    assert {h["service"] for h in hop.values()} == {
        "moments-ingest",
        "moments-signals",
        "moments-actions",
    }
    # Each hop starts where the last one stamped the message: the same figures the
    # operations page reads.
    assert hop["signals"]["start_ms"] == int(trace["moments_ingested_at"])
    assert hop["actions"]["start_ms"] == int(trace["moments_signalled_at"])
    assert hop["desktop push"]["start_ms"] == int(trace["moments_decided_at"])
