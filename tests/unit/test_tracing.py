"""`services.plumbing.tracing`: one trace across hops, carried in Kafka headers, with hop
spans that start at the previous hop's stamp. Spans go to an in-memory exporter."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from schemas.headers import stamp_ms
from services.plumbing import tracing


@pytest.fixture
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.record_with(provider.get_tracer("test"))
    yield exporter
    tracing.record_with(None)


def test_a_trace_continues_from_the_http_request_through_two_kafka_hops(
    spans: InMemorySpanExporter,
) -> None:
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    ingest = tracing.hop_span("ingest", {"Traceparent": caller}, None)
    first_hop = [("ce_id", b"e-1"), *tracing.trace_headers(ingest)]
    ingest.end()
    signals = tracing.hop_span("signals", first_hop, started_ms=1_700_000_000_000)
    second_hop = tracing.trace_headers(signals)
    signals.end()
    actions = tracing.hop_span("actions", second_hop, started_ms=1_700_000_000_020)
    actions.end()

    finished = {s.name: s for s in spans.get_finished_spans()}
    trace_ids = {s.context.trace_id for s in finished.values()}
    assert trace_ids == {int("0af7651916cd43dd8448eb211c80319c", 16)}
    assert finished["ingest"].parent.span_id == int("b7ad6b7169203331", 16)
    assert finished["signals"].parent.span_id == finished["ingest"].context.span_id
    assert finished["actions"].parent.span_id == finished["signals"].context.span_id
    assert finished["signals"].start_time == 1_700_000_000_000 * 1_000_000


def test_a_message_without_a_trace_starts_one(spans: InMemorySpanExporter) -> None:
    span = tracing.hop_span("ingest", [], None)
    headers = dict(tracing.trace_headers(span))
    span.end()
    assert headers[tracing.TRACEPARENT_HEADER].count(b"-") == 3
    [made] = spans.get_finished_spans()
    assert made.parent is None  # a new trace, not a child


def test_trace_headers_are_replaced_not_stacked() -> None:
    old = [("traceparent", b"00-aaaa-bbbb-01"), ("ce_id", b"x")]
    assert tracing.without_trace(old) == [("ce_id", b"x")]


def test_without_an_exporter_the_trace_is_carried_with_a_new_span_id_per_hop() -> None:
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    first = tracing.hop_span("ingest", {"traceparent": caller}, None)
    second = tracing.hop_span("signals", tracing.trace_headers(first), None)
    one, two = first.get_span_context(), second.get_span_context()
    assert one.trace_id == two.trace_id == int("0af7651916cd43dd8448eb211c80319c", 16)
    assert len({one.span_id, two.span_id, int("b7ad6b7169203331", 16)}) == 3
    assert not first.is_recording()
    fresh = tracing.hop_span("ingest", [], None).get_span_context()
    assert fresh.is_valid and fresh.trace_id != one.trace_id


def test_hop_stamps_are_read_from_headers() -> None:
    headers = [("moments_ingested_at", b"1700000000123"), ("moments_bad", b"x")]
    assert stamp_ms(headers, "moments_ingested_at") == 1_700_000_000_123
    assert stamp_ms(headers, "moments_bad") is None
    assert stamp_ms(headers, "moments_missing") is None


def test_a_malformed_traceparent_starts_a_new_trace() -> None:
    for bad in ("garbage", "00-xyz-abc-01", "00-" + "0" * 32 + "-" + "1" * 16 + "-01"):
        span = tracing.hop_span("signals", [("traceparent", bad.encode())], None)
        assert span.get_span_context().is_valid
        assert f"{span.get_span_context().trace_id:032x}" not in bad


def test_a_span_the_sampler_leaves_out_still_carries_the_callers_tracestate() -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    tracing.record_with(provider.get_tracer("test"))
    try:
        caller = {
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
            "tracestate": "vendor=opaque",
        }
        span = tracing.hop_span("ingest", caller, None)
        assert not span.is_recording()
        headers = dict(tracing.trace_headers(span))
    finally:
        tracing.record_with(None)
    assert headers[tracing.TRACESTATE_HEADER] == b"vendor=opaque"
    assert headers[tracing.TRACEPARENT_HEADER].startswith(b"00-0af7651916cd43dd8448eb211c80319c-")
