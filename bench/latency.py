"""End-to-end and per-hop latency: single-event POSTs at fixed rates, open loop.

Each desktop recommendation is matched to the POST behind it (`load.match`), so every
figure runs from the start of that POST to the SSE arrival; the hops come from the
`moments_*_at` stamps the services carry in Kafka headers. A step holds its rate for its
whole length (30 s or more in a full run); its figures are the steady state, the events
posted after its first `SETTLE_S`, so a queue that builds at that rate shows. Every step
also records each process's CPU per event.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from bench.load import DesktopListener, IngestLoad, match, prepare
from bench.progress import drain
from bench.report import percentiles
from bench.stack import CpuMeter, Pipeline
from bench.traffic import SEED
from moments.simulate.domain.simulation import SimulatedEvent

SETTLE_S = 5.0  # the start of a step, left out of its figures


async def measure_latency(
    pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener,
    api_key: str, loads: Sequence[tuple[int, float]], meter: Callable[[], CpuMeter],
    status: Callable[[str], None], log: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    """For each (events/s, seconds) of `loads`: percentiles end to end and per hop, in
    the steady state, and CPU per event per process."""
    results: dict[str, Any] = {}
    async with (
        IngestLoad(pipeline.ingest_url, api_key, 128) as load,
        httpx.AsyncClient(timeout=5) as client,
    ):
        for rate, seconds in loads:
            status(f"latency: {rate} events/s, single-event POSTs")
            requests = prepare(stream, SEED, int(rate * seconds), 1, "/channels")
            cpu = meter()
            cpu_before = cpu.read()
            result = await load.run(requests, rate)
            cpu_after = cpu.read()
            with contextlib.suppress(TimeoutError):
                await drain(client, pipeline, listener, 120)
            settled = result.started + min(SETTLE_S, seconds / 3)
            journeys = [
                j for j in match(requests, listener.since(result.started)) if j.posted >= settled
            ]
            hops: dict[str, list[float]] = {}
            for journey in journeys:
                for hop, ms in journey.hops_ms().items():
                    hops.setdefault(hop, []).append(ms)
            duration = max(1e-6, result.finished - result.started)
            results[str(rate)] = {
                "offered_events_per_s": rate,
                "achieved_events_per_s": result.accepted_events / duration,
                "events": len(requests),
                "failed_requests": result.failed_requests,
                "client_behind_s": result.most_behind_s,
                "recommendations_matched": len(journeys),
                "end_to_end_ms": percentiles([j.end_to_end_ms for j in journeys]),
                "hops_ms": {hop: percentiles(values) for hop, values in hops.items()},
                "seconds": seconds,
                "steady_from_s": settled - result.started,
                "cpu_us_per_event": CpuMeter.per_event(
                    cpu_before, cpu_after, result.accepted_events
                ),
            }
            e2e = results[str(rate)]["end_to_end_ms"]
            log(
                f"latency at {rate} events/s: p50 {e2e['p50']:.1f} ms, p99 {e2e['p99']:.1f}"
                f" ms, max {e2e['max']:.1f} ms ({len(journeys)} recommendations), CPU"
                f" {results[str(rate)]['cpu_us_per_event']['total']:,.0f} µs/event"
            )
    return results
