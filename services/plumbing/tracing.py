"""Tracing across hops: one W3C trace per event, from the ingest request to the desktop.

Every process calls `configure_tracing(service, settings)` once. Spans are made with the
OpenTelemetry SDK and exported nowhere unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (then
to that OTLP/HTTP endpoint, in batches, off the hot path). The trace travels in the
`traceparent` header of every Kafka message on the way: ingest starts it (or continues
the caller's, from the HTTP request's own `traceparent`), signals and actions continue
it, and the desktop stream hands it to the page with the recommendation.

A hop's span starts at the previous hop's time stamp (the `moments_*_at` headers, see
schemas/headers.py) and ends when the hop has sent its result, so a trace's waterfall
shows the same per-hop latencies as the operations page, which reads the same stamps.
With no exporter configured the trace is still carried (each hop gets its own span id
in the same trace), but nothing is recorded: no span objects, no processor, a few
microseconds per message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.plumbing.settings import TracingSettings

log = logging.getLogger(__name__)

TRACEPARENT_HEADER = "traceparent"
TRACESTATE_HEADER = "tracestate"
_PROPAGATOR = TraceContextTextMapPropagator()
_IDS = RandomIdGenerator()
_configured: TracerProvider | None = None
_recording: trace.Tracer | None = None  # set when spans go somewhere


def configure_tracing(
    service: str, settings: TracingSettings, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install this process's tracer provider (once); `exporter` overrides the OTLP one."""
    global _configured, _recording
    if _configured is not None:
        return _configured
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"moments-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(settings.otel_traces_sample_ratio)),
    )
    if exporter is None and settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        exporter = OTLPSpanExporter(endpoint=endpoint)
        log.info("exporting traces to %s", endpoint)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
        _recording = provider.get_tracer("moments")
    trace.set_tracer_provider(provider)
    _configured = provider
    return provider


def record_with(tracer: trace.Tracer | None) -> None:
    """Make spans with `tracer` (None: carry traces without recording); for tests."""
    global _recording
    _recording = tracer


def shutdown_tracing() -> None:
    """Flush what is buffered (at process stop)."""
    if _configured is not None:
        _configured.shutdown()


def context_from(headers: Iterable[tuple[str, bytes]] | Mapping[str, str]) -> Context:
    """The trace a Kafka message (or an HTTP request's headers) belongs to; without a
    `traceparent`, the current one (see `continuing`)."""
    if isinstance(headers, Mapping):
        carrier = {k.lower(): v for k, v in headers.items()}
    else:
        carrier = {
            k: v.decode(errors="replace")
            for k, v in headers
            if k in (TRACEPARENT_HEADER, TRACESTATE_HEADER)
        }
    if TRACEPARENT_HEADER not in carrier:
        return context.get_current()
    return _PROPAGATOR.extract(carrier)


@contextlib.contextmanager
def continuing(headers: Mapping[str, str]) -> Iterator[None]:
    """Within the block, spans without a trace of their own continue the one these (HTTP
    request) headers carry, if any."""
    token = context.attach(context_from(headers))
    try:
        yield
    finally:
        context.detach(token)


def trace_headers(span: Span) -> list[tuple[str, bytes]]:
    """The headers that carry `span`'s trace on to the next hop."""
    # The hot path without an exporter: no propagator. (With one, a span the sampler left
    # out is a NonRecordingSpan too, and goes through the propagator, keeping tracestate.)
    if _recording is None and isinstance(span, NonRecordingSpan):
        ids = span.get_span_context()
        value = f"00-{ids.trace_id:032x}-{ids.span_id:016x}-{ids.trace_flags:02x}"
        return [(TRACEPARENT_HEADER, value.encode())]
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return [(k, v.encode()) for k, v in carrier.items()]


def _parent_ids(headers: Iterable[tuple[str, bytes]] | Mapping[str, str]) -> SpanContext | None:
    """The W3C traceparent of a message, read without the propagator (version 00)."""
    if isinstance(headers, Mapping):
        value = next((v for k, v in headers.items() if k.lower() == TRACEPARENT_HEADER), None)
    else:
        raw = next((v for k, v in headers if k == TRACEPARENT_HEADER), None)
        value = raw.decode(errors="replace") if raw is not None else None
    if value is None:
        return None
    parts = value.strip().split("-")
    if len(parts) != 4 or parts[0] != "00" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, True, TraceFlags(flags))


def without_trace(headers: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in headers if k not in (TRACEPARENT_HEADER, TRACESTATE_HEADER)]


def hop_span(
    name: str,
    headers: Iterable[tuple[str, bytes]] | Mapping[str, str],
    started_ms: int | None,
    kind: SpanKind = SpanKind.CONSUMER,
    attributes: Mapping[str, str | int] | None = None,
) -> Span:
    """A span for one hop, child of the message's trace (a new trace if it has none),
    starting at `started_ms` (the previous hop's stamp) when known. The caller ends it
    once the hop's work is sent."""
    if _recording is None:
        above = _parent_ids(headers) or trace.get_current_span().get_span_context()
        trace_id = above.trace_id if above.is_valid else _IDS.generate_trace_id()
        flags = above.trace_flags if above.is_valid else TraceFlags(TraceFlags.SAMPLED)
        return NonRecordingSpan(SpanContext(trace_id, _IDS.generate_span_id(), False, flags))
    parent = context_from(headers)
    return _recording.start_span(
        name,
        context=parent,
        kind=kind,
        start_time=started_ms * 1_000_000 if started_ms is not None else None,
        attributes=dict(attributes or {}),
    )
