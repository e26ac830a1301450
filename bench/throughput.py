"""Sustained throughput: batched POSTs, stepping the offered rate (`search.next_rate`).

Each step offers one rate for `step_seconds`, reads the services' counters twice a
second, and is judged by `search.backlogs_flat`; after each step the pipeline drains
before the next. Every step records each process's CPU time too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from bench.load import DesktopListener, IngestLoad, Request, prepare
from bench.progress import Counters, drain, read_counters
from bench.search import SETTLE_S, backlogs_flat, next_rate, slope
from bench.stack import CpuMeter, Pipeline
from bench.traffic import SEED
from moments.simulate.domain.simulation import SimulatedEvent


@dataclass
class Step:
    offered: float
    seconds: float
    accepted_per_s: float
    consumed_per_s: float
    signals_per_s: float
    decided_per_s: float  # signals actions has decided on
    desktop_per_s: float
    signals_backlog_slope: float
    actions_backlog_slope: float
    client_behind_s: float
    failed_requests: int
    flat: bool
    cpu_percent: dict[str, float] = field(default_factory=dict)  # of one core, per process
    cpu_us_per_event: dict[str, float] = field(default_factory=dict)  # per accepted event
    samples: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Search:
    first_rate: float
    rate_factor: float
    max_steps: int
    step_seconds: float
    batch: int


async def measure_step(
    pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener,
    load: IngestLoad, client: httpx.AsyncClient, meter: CpuMeter, rate: float, search: Search,
) -> Step:  # fmt: skip
    """Offer `rate` events/s for one step and judge whether the backlogs stayed flat."""
    requests: list[Request] = prepare(
        stream, SEED, int(rate * search.step_seconds), search.batch, "/channels"
    )
    samples: list[Counters] = [await read_counters(client, pipeline, listener)]
    cpu_before = meter.read()
    sending = asyncio.create_task(load.run(requests, rate))
    while not sending.done():
        await asyncio.wait({sending}, timeout=0.5)
        samples.append(await read_counters(client, pipeline, listener))
    result = sending.result()
    first, last = samples[0], samples[-1]
    seconds = max(1e-6, last.at - first.at)
    cpu_after = meter.read()
    cpu = CpuMeter.shares(cpu_before, cpu_after, seconds)
    judged = [s for s in samples if s.at >= first.at + SETTLE_S]
    signals_slope = slope([(s.at, s.accepted - s.consumed) for s in judged])
    actions_slope = slope([(s.at, s.emitted - s.decided) for s in judged])
    accepted = (last.accepted - first.accepted) / seconds
    signals = (last.emitted - first.emitted) / seconds
    return Step(
        offered=rate,
        seconds=seconds,
        accepted_per_s=accepted,
        consumed_per_s=(last.consumed - first.consumed) / seconds,
        signals_per_s=signals,
        decided_per_s=(last.decided - first.decided) / seconds,
        desktop_per_s=(last.desktop - first.desktop) / seconds,
        signals_backlog_slope=signals_slope,
        actions_backlog_slope=actions_slope,
        client_behind_s=result.most_behind_s,
        failed_requests=result.failed_requests,
        flat=backlogs_flat(
            rate, accepted, signals, signals_slope, actions_slope, result.failed_requests
        ),
        cpu_percent=cpu,
        cpu_us_per_event=CpuMeter.per_event(
            cpu_before, cpu_after, int(last.accepted - first.accepted)
        ),
        samples=[asdict(s) for s in samples],
    )


async def measure_sustained(
    pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener,
    api_key: str, meter: Callable[[], CpuMeter], search: Search,
    status: Callable[[str], None], log: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    """The highest offered rate whose backlogs stay flat, and every step on the way."""
    name = pipeline.config.name
    steps: list[Step] = []
    judged: list[Step] = []  # the steps the pipeline drained after: the search's evidence

    def tried() -> list[tuple[float, bool]]:
        return [(s.offered, s.flat) for s in judged]

    async with (
        IngestLoad(pipeline.ingest_url, api_key, 32) as load,
        httpx.AsyncClient(timeout=5) as client,
    ):
        while True:
            rate = next_rate(tried(), search.first_rate, search.rate_factor, search.max_steps)
            if rate is None:
                break
            status(f"throughput {name}: offering {rate:,.0f} events/s")
            step = await measure_step(
                pipeline, stream, listener, load, client, meter(), rate, search
            )
            steps.append(step)
            log(
                f"  {name}: offered {rate:,.0f}/s, accepted {step.accepted_per_s:,.0f}/s, "
                f"signals consumed {step.consumed_per_s:,.0f}/s, desktop "
                f"{step.desktop_per_s:,.1f}/s, backlog {'flat' if step.flat else 'growing'}; "
                "CPU % of a core: " + ", ".join(f"{k} {v:.0f}" for k, v in step.cpu_percent.items())
            )
            try:
                status(f"throughput {name}: draining")
                await drain(client, pipeline, listener, 120)
            except TimeoutError:
                log("  backlog did not drain in 120 s; stopping the search")
                break
            judged.append(step)
    flat = [s for s in judged if s.flat]
    best = max(flat, key=lambda s: s.offered) if flat else None
    return {
        "steps": [asdict(s) for s in steps],
        "sustained_events_per_s": best.accepted_per_s if best else 0.0,
        "sustained_recommendations_per_s": best.desktop_per_s if best else 0.0,
        "sustained_signals_per_s": best.signals_per_s if best else 0.0,
        "sustained_offered": best.offered if best else 0.0,
        "sustained_cpu_us_per_event": best.cpu_us_per_event if best else {},
        "sustained_cpu_percent": best.cpu_percent if best else {},
    }
