"""How far each stage of a running pipeline has got, read from the services' `/metrics`.

`read_counters` takes one reading: events ingest accepted, events signals consumed,
signals it emitted, signals actions decided, recommendations the desktop received. The
two backlogs are differences of these (the bench never reads lag from offsets: Tansu
under-reports high watermarks). `drain` waits for both backlogs to empty and the desktop
to go quiet; `warm_up` sends traffic until every worker has partitions and
recommendations reach the desktop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from bench.load import DesktopListener, IngestLoad, prepare
from bench.stack import Pipeline, scrape, total
from bench.traffic import SEED
from moments.processes import poll
from moments.simulate.domain.simulation import SimulatedEvent


@dataclass
class Counters:
    at: float
    accepted: float
    consumed: float
    emitted: float
    decided: float
    desktop: int


async def read_counters(
    client: httpx.AsyncClient, pipeline: Pipeline, listener: DesktopListener
) -> Counters:
    ingest = await scrape(client, pipeline.ingest_url)
    actions = await scrape(client, pipeline.actions_url)
    consumed = emitted = 0.0
    for url in pipeline.signals_urls():
        worker = await scrape(client, url)
        consumed += total(worker, "moments_signals_events_total")
        emitted += total(worker, "moments_signals_emitted_total")
    return Counters(
        at=time.time(),
        accepted=total(ingest, "moments_ingest_events_accepted_total", path="http"),
        consumed=consumed,
        emitted=emitted,
        decided=total(actions, "moments_actions_signals_total"),
        desktop=len(listener.received),
    )


async def drain(
    client: httpx.AsyncClient, pipeline: Pipeline, listener: DesktopListener,
    deadline_s: float = 90.0,
) -> None:  # fmt: skip
    """Wait until signals and actions have caught up and the desktop has gone quiet."""
    seen = {"desktop": -1, "since": time.monotonic()}
    last: list[Counters] = []

    async def caught_up() -> bool:
        now = await read_counters(client, pipeline, listener)
        last[:] = [now]
        if now.desktop != seen["desktop"]:
            seen.update(desktop=now.desktop, since=time.monotonic())
        quiet = time.monotonic() - seen["since"] > 1.5
        return now.consumed >= now.accepted and now.decided >= now.emitted and quiet

    try:
        await poll(caught_up, deadline_s, "pipeline drained", 0.3)
    except TimeoutError as error:
        raise TimeoutError(f"{error}; counters: {last[0] if last else None}") from None


async def warm_up(
    pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener, api_key: str
) -> None:
    """Traffic until every signals worker has partitions and recommendations flow."""
    async with (
        IngestLoad(pipeline.ingest_url, api_key) as load,
        httpx.AsyncClient(timeout=5) as client,
    ):
        workers: list[float] = []

        async def flowing() -> bool:
            await load.run(prepare(stream, SEED, 400, 20, "/channels"), 400)
            workers[:] = [
                total(await scrape(client, url), "moments_signals_events_total")
                for url in pipeline.signals_urls()
            ]
            return all(w > 0 for w in workers) and bool(listener.received)

        try:
            await poll(flowing, 120, "signals workers and the desktop", every_s=0)
        except TimeoutError:
            raise TimeoutError(f"warm-up: workers processed {workers}, no desktop yet") from None
        # A stalled rebalance does not clear by waiting longer: fail fast, start afresh.
        await drain(client, pipeline, listener, 45.0)
