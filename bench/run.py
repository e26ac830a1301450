"""`python -m bench` (`make bench`): every measurement, in one unattended run.

1. The raw broker baseline (bench.broker) at 6 and 12 partitions.
2. End-to-end and per-hop latency at 100, 500 and 2,000 events/s of single-event POSTs.
3. Sustained throughput of batched ingest -> signals -> actions -> desktop: the highest
   offered rate at which the backlogs in front of signals and actions stay flat.
4. Scaling: the same search with 1 and 2 signals workers, on 6 and 12 partitions.
5. Memory: the signals worker holding 100,000 and 1,000,000 customers' state.

Everything runs on free ports in a temporary MOMENTS_HOME and is stopped by pid at the
end. Results go to bench/results/ (JSON and PNG charts); see the Performance section of README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import shutil
import signal
import statistics
import tempfile
import time
from collections.abc import Coroutine, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench.broker import RawBroker
from bench.load import DesktopListener, IngestLoad, Request, match, prepare
from bench.memory import SignalsMemory, mean_size, realistic_states
from bench.report import machine, percentiles, write_results
from bench.stack import (
    BenchInfrastructure,
    CpuMeter,
    Pipeline,
    PipelineConfig,
    poll,
    scrape,
    total,
)
from moments.simulate.datasets import purchase_histories, tenure_records
from moments.simulate.domain.population import build_population
from moments.simulate.domain.simulation import SimulatedEvent, Simulation
from moments.simulate.senders import kafka_message
from schemas.events import parse_event
from services.actions.domain.catalogue import load_catalogue
from services.actions.domain.policy import ContactPolicy, decide
from services.actions.settings import DEFAULT_CATALOGUE
from services.signals.handlers import SignalsHandler

SEED = 2026
RESULTS = Path(__file__).with_name("results")


@dataclass(frozen=True)
class Plan:
    # The contract's loads, and 250/s: below this machine's capacity, for comparison.
    latency_loads: tuple[int, ...] = (100, 250, 500, 2000)
    latency_seconds: tuple[float, ...] = (10.0, 8.0, 8.0, 5.0)  # fewer where it saturates
    step_seconds: float = 12.0
    batch: int = 50
    first_rate: float = 250.0
    rate_factor: float = 1.6
    max_steps: int = 6
    population: int = 20_000
    raw_messages: int = 40_000
    configs: tuple[tuple[int, int], ...] = ((1, 6), (2, 6), (1, 12), (2, 12))  # workers, parts
    memory_customers: tuple[int, ...] = (100_000, 1_000_000)

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            latency_loads=(100, 500),
            latency_seconds=(5.0, 4.0),
            step_seconds=6.0,
            max_steps=4,
            population=5_000,
            raw_messages=10_000,
            configs=((1, 6), (2, 6)),
            memory_customers=(10_000, 50_000),
        )


@dataclass
class Counters:
    at: float
    accepted: float
    consumed: float
    emitted: float
    decided: float
    desktop: int


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
    samples: list[dict[str, float]] = field(default_factory=list)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t, y): how fast a backlog grows, per second."""
    if len(points) < 3:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread if spread else 0.0


class Bench:
    def __init__(self, plan: Plan, console: Console, progress: Progress):
        self.plan, self.console, self.progress = plan, console, progress
        self.home = Path(tempfile.mkdtemp(prefix="moments-bench-"))
        self.infrastructure = BenchInfrastructure(self.home)
        self.credentials: dict[str, Any] = {}
        self.results: dict[str, Any] = {"plan": asdict(plan)}
        self.task = progress.add_task("starting", total=None)

    def status(self, text: str) -> None:
        self.progress.update(self.task, description=text)

    # -- shared inputs -------------------------------------------------------------

    def simulation(self, prefix: str, size: int | None = None) -> Simulation:
        population = build_population(
            SEED, size or self.plan.population, purchase_histories(), tenure_records(), prefix
        )
        return Simulation(SEED, population, datetime(2026, 1, 5, tzinfo=UTC).timestamp())

    def profile_messages(self) -> tuple[list[Any], dict[str, float], list[bytes]]:
        """Real message sizes per hop, and real customer states, from simulated traffic."""
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        simulation = self.simulation("size", 2_000)
        events = list(_take(simulation.events(), 30_000))
        first_hop = [kafka_message(e.cloudevent(SEED)) for e in events[:5_000]]
        analyzer = SentimentIntensityAnalyzer()
        handler = SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))
        catalogue = load_catalogue(DEFAULT_CATALOGUE)
        policy = ContactPolicy(6, 0.0, "bench", "bench-id-secret")
        signal_sizes: list[int] = []
        rec_sizes: list[int] = []
        record_sizes: list[int] = []  # what signals publishes on `customers` per event
        states: dict[str, bytes] = {}
        now = datetime.now(UTC)
        for event in events[:5_000]:
            parsed = parse_event(event.cloudevent(SEED))
            state, found, record = handler.handle(states.get(event.customer_id), parsed, now)
            if state is not None:
                states[event.customer_id] = state
            if record is not None:
                record_sizes.append(len(record.model_dump_json()))
            for finding in found:
                signal_sizes.append(len(finding.model_dump_json()))
                for rec in decide(finding, catalogue, policy, 0, now):
                    rec_sizes.append(len(rec.model_dump_json()))
        sizes = {
            "interaction_value_bytes": statistics.fmean(len(m[1]) for m in first_hop),
            "interaction_header_bytes": statistics.fmean(
                sum(len(k) + len(v) for k, v in m[2]) for m in first_hop
            ),
            "signal_bytes": statistics.fmean(signal_sizes),
            "customer_record_bytes": statistics.fmean(record_sizes),
            "recommendation_bytes": statistics.fmean(rec_sizes),
            "signals_per_event": len(signal_sizes) / 5_000,
            "recommendations_per_event": len(rec_sizes) / 5_000,
        }
        active = realistic_states(iter(events), SEED, len(events))
        return first_hop, sizes, active

    # -- 1. raw broker ---------------------------------------------------------------

    async def raw_broker(self, first_hop: list[Any], sizes: dict[str, float]) -> None:
        plan = self.plan
        hop_sizes = (int(sizes["signal_bytes"]), int(sizes["recommendation_bytes"]))
        raw: dict[str, Any] = {}
        for partitions in sorted({p for _, p in plan.configs}):
            self.status(f"raw broker, {partitions} partitions: relays starting")
            broker = RawBroker(
                self.infrastructure.bootstrap_servers,
                partitions,
                hop_sizes,
                first_hop,
                self.home / "logs",
            )
            try:
                await broker.start()
                self.status(f"raw broker, {partitions} partitions: throughput")
                rate = await broker.throughput(plan.raw_messages)
                entry: dict[str, Any] = {"throughput_msgs_per_s": rate, "latency": {}}
                if partitions == 6:
                    for load in plan.latency_loads:
                        self.status(f"raw broker, {partitions} partitions: {load} msgs/s")
                        entry["latency"][str(load)] = percentiles(await broker.latency(load, 5.0))
                raw[str(partitions)] = entry
                self.console.log(f"raw broker, {partitions} partitions: {rate:,.0f} msgs/s")
            finally:
                await broker.stop()
        self.results["raw_broker"] = raw

    # -- the pipeline ----------------------------------------------------------------

    async def counters(
        self, client: httpx.AsyncClient, pipeline: Pipeline, listener: DesktopListener
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
        self, client: httpx.AsyncClient, pipeline: Pipeline, listener: DesktopListener,
        deadline_s: float = 90.0,
    ) -> None:  # fmt: skip
        """Wait until signals and actions have caught up and the desktop has gone quiet."""
        seen = {"desktop": -1, "since": time.monotonic()}
        last: list[Counters] = []

        async def caught_up() -> bool:
            now = await self.counters(client, pipeline, listener)
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
        self, pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener
    ) -> None:
        """Traffic until every signals worker has partitions and recommendations flow."""
        async with (
            IngestLoad(pipeline.ingest_url, self.credentials["ingest_api_key"]) as load,
            httpx.AsyncClient(timeout=5) as client,
        ):
            end = time.monotonic() + 120
            while True:
                requests = prepare(stream, SEED, 400, 20, "/channels")
                await load.run(requests, 400)
                workers = [
                    total(await scrape(client, url), "moments_signals_events_total")
                    for url in pipeline.signals_urls()
                ]
                if all(w > 0 for w in workers) and listener.received:
                    break
                if time.monotonic() > end:
                    raise TimeoutError(f"warm-up: workers processed {workers}, no desktop yet")
            # A stalled rebalance does not clear by waiting longer: fail fast, start afresh.
            await self.drain(client, pipeline, listener, 45.0)

    async def latency(
        self, pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener
    ) -> dict[str, Any]:
        results: dict[str, Any] = {}
        async with (
            IngestLoad(pipeline.ingest_url, self.credentials["ingest_api_key"], 128) as load,
            httpx.AsyncClient(timeout=5) as client,
        ):
            plan = self.plan
            for rate, seconds in zip(plan.latency_loads, plan.latency_seconds, strict=True):
                self.status(f"latency: {rate} events/s, single-event POSTs")
                requests = prepare(stream, SEED, int(rate * seconds), 1, "/channels")
                result = await load.run(requests, rate)
                with contextlib.suppress(TimeoutError):
                    await self.drain(client, pipeline, listener, 120)
                journeys = match(requests, listener.since(result.started))
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
                }
                e2e = results[str(rate)]["end_to_end_ms"]
                self.console.log(
                    f"latency at {rate} events/s: p50 {e2e['p50']:.1f} ms, p99 {e2e['p99']:.1f}"
                    f" ms, max {e2e['max']:.1f} ms ({len(journeys)} recommendations)"
                )
        return results

    async def step(
        self, pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener,
        load: IngestLoad, client: httpx.AsyncClient, rate: float,
    ) -> Step:  # fmt: skip
        plan = self.plan
        requests: list[Request] = prepare(
            stream, SEED, int(rate * plan.step_seconds), plan.batch, "/channels"
        )
        meter = CpuMeter({**self.infrastructure.processes(), **pipeline.processes()})
        samples: list[Counters] = [await self.counters(client, pipeline, listener)]
        cpu_before = meter.read()
        sending = asyncio.create_task(load.run(requests, rate))
        while not sending.done():
            await asyncio.wait({sending}, timeout=0.5)
            samples.append(await self.counters(client, pipeline, listener))
        result = sending.result()
        first, last = samples[0], samples[-1]
        seconds = max(1e-6, last.at - first.at)
        cpu = CpuMeter.shares(cpu_before, meter.read(), seconds)
        settle = first.at + 3.0  # the first seconds fill buffers; judge the rest
        judged = [s for s in samples if s.at >= settle]
        signals_slope = slope([(s.at, s.accepted - s.consumed) for s in judged])
        actions_slope = slope([(s.at, s.emitted - s.decided) for s in judged])
        accepted = (last.accepted - first.accepted) / seconds
        signals = (last.emitted - first.emitted) / seconds
        flat = (
            result.failed_requests == 0
            and accepted >= 0.93 * rate
            and signals_slope <= max(0.03 * rate, 20.0)
            and actions_slope <= max(0.03 * max(signals, 1.0), 10.0)
        )
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
            flat=flat,
            cpu_percent=cpu,
            samples=[asdict(s) for s in samples],
        )

    async def sustained(
        self, pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener,
        first_rate: float,
    ) -> dict[str, Any]:  # fmt: skip
        plan = self.plan
        steps: list[Step] = []
        good: Step | None = None
        bad: Step | None = None
        rate = first_rate
        async with (
            IngestLoad(pipeline.ingest_url, self.credentials["ingest_api_key"], 32) as load,
            httpx.AsyncClient(timeout=5) as client,
        ):
            while len(steps) < plan.max_steps:
                self.status(f"throughput {pipeline.config.name}: offering {rate:,.0f} events/s")
                step = await self.step(pipeline, stream, listener, load, client, rate)
                steps.append(step)
                verdict = "flat" if step.flat else "growing"
                self.console.log(
                    f"  {pipeline.config.name}: offered {rate:,.0f}/s, accepted "
                    f"{step.accepted_per_s:,.0f}/s, signals consumed {step.consumed_per_s:,.0f}/s,"
                    f" desktop {step.desktop_per_s:,.1f}/s, backlog {verdict}; CPU % of a core: "
                    + ", ".join(f"{k} {v:.0f}" for k, v in step.cpu_percent.items())
                )
                try:
                    self.status(f"throughput {pipeline.config.name}: draining")
                    await self.drain(client, pipeline, listener, 120)
                except TimeoutError:
                    self.console.log("  backlog did not drain in 120 s; stopping the search")
                    break
                if step.flat:
                    good = step if good is None or step.offered > good.offered else good
                else:
                    bad = step if bad is None or step.offered < bad.offered else bad
                if bad is None:
                    rate *= plan.rate_factor
                elif good is None:
                    rate /= plan.rate_factor**2
                elif bad.offered / good.offered <= 1.2:
                    break
                else:
                    rate = math.sqrt(good.offered * bad.offered)
        best = good
        return {
            "steps": [asdict(s) for s in steps],
            "sustained_events_per_s": best.accepted_per_s if best else 0.0,
            "sustained_recommendations_per_s": best.desktop_per_s if best else 0.0,
            "sustained_signals_per_s": best.signals_per_s if best else 0.0,
            "sustained_offered": best.offered if best else 0.0,
        }

    async def pipeline_config(
        self, workers: int, partitions: int, with_latency: bool, first_rate: float, attempt: int
    ) -> dict[str, Any]:
        suffix = f"-{attempt}" if attempt else ""
        config = PipelineConfig(f"{workers}x{partitions}{suffix}", partitions, workers)
        self.status(f"pipeline {config.name}: starting services")
        pipeline = Pipeline(self.infrastructure, config)
        listener = DesktopListener(pipeline.actions_url, self.credentials["agent_token"])
        simulation = self.simulation(f"c{config.name}")
        stream = simulation.events()
        entry: dict[str, Any] = {"workers": workers, "partitions": partitions}
        try:
            await pipeline.start(self.credentials)
            await listener.start()
            self.status(f"pipeline {config.name}: warming up")
            await self.warm_up(pipeline, stream, listener)
            if with_latency:
                entry["latency"] = await self.latency(pipeline, stream, listener)
            entry["throughput"] = await self.sustained(pipeline, stream, listener, first_rate)
            entry["rss_bytes"] = pipeline.rss_bytes()
            entry["customers_seen"] = sum(1 for life in simulation.lives.values() if life.events)
            entry["database"] = await self.database_bytes()
            self.console.log(
                f"pipeline {config.name}: sustained "
                f"{entry['throughput']['sustained_events_per_s']:,.0f} events/s, "
                f"{entry['throughput']['sustained_recommendations_per_s']:,.1f} desktop recs/s"
            )
        finally:
            await listener.stop()
            pipeline.stop()
        return entry

    async def database_bytes(self) -> dict[str, int]:
        import asyncpg

        connection = await asyncpg.connect(self.infrastructure.database_url)
        try:
            rows = await connection.fetch(
                "select relname, pg_total_relation_size(oid) as bytes from pg_class"
                " where relname in ('signals', 'recommendations', 'outcomes')"
            )
            customers = await connection.fetchval("select count(distinct customer_id) from signals")
        finally:
            await connection.close()
        return {**{r["relname"]: int(r["bytes"]) for r in rows}, "customers": int(customers)}

    # -- 5. memory -------------------------------------------------------------------

    async def memory(self, states: list[bytes]) -> None:
        memory = SignalsMemory(self.infrastructure)
        await memory.prepare()
        self.status("memory: signals worker holding no customers")
        empty, _ = await memory.measure()
        readings = [{"customers": 0, "rss_bytes": empty}]
        for customers in self.plan.memory_customers:
            self.status(f"memory: loading {customers:,} customers' state")
            await memory.add_customers(customers - memory.loaded, states)
            self.status(f"memory: signals worker recovering {customers:,} customers")
            rss, held = await memory.measure()
            customers = held
            readings.append({"customers": held, "rss_bytes": rss})
            self.console.log(
                f"signals holding {customers:,} customers: RSS {rss / 2**20:,.0f} MiB, "
                f"{(rss - empty) / customers:,.0f} bytes per customer"
            )
        self.results["memory"] = {
            "signals": readings,
            "state_bytes_mean": mean_size(states),
            "state_bytes_p95": sorted(len(s) for s in states)[int(0.95 * len(states))],
            "distinct_states": len(states),
        }

    # -- the run -----------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        started = time.time()
        self.results["machine"] = machine()
        self.status("starting broker and database")
        await self.infrastructure.start()
        self.credentials = await self.infrastructure.stack.issue_dev_credentials()
        self.status("profiling message sizes and customer states")
        first_hop, sizes, states = await asyncio.to_thread(self.profile_messages)
        self.results["message_sizes"] = sizes
        await self.raw_broker(first_hop, sizes)
        pipelines: dict[str, Any] = {}
        first_rate = self.plan.first_rate
        for number, (workers, partitions) in enumerate(self.plan.configs):
            for attempt in range(2):
                try:
                    entry = await self.pipeline_config(
                        workers, partitions, number == 0, first_rate, attempt
                    )
                    break
                except (TimeoutError, RuntimeError) as error:
                    # A Faust rebalance on this broker now and then stalls a worker; one
                    # fresh start of the configuration is allowed, then it is reported.
                    self.console.log(f"[red]pipeline {workers}x{partitions} failed[/]: {error}")
                    entry = {"workers": workers, "partitions": partitions, "error": str(error)}
            pipelines[f"{workers}x{partitions}"] = entry
            if number == 0 and "throughput" in entry:
                # Later configurations start their search just below the first one's result.
                found = entry["throughput"]["sustained_offered"]
                first_rate = max(self.plan.first_rate, 0.8 * found) if found else first_rate
        self.results["pipelines"] = pipelines
        await self.memory(states)
        self.results["duration_s"] = time.time() - started
        self.results["finished_at"] = datetime.now(UTC).isoformat()
        return self.results

    def close(self, logs: Path) -> None:
        """Stop everything, keep the processes' logs in `logs`, remove the temporary home."""
        self.infrastructure.stop()
        shutil.rmtree(logs, ignore_errors=True)
        for log in self.home.rglob("*.log"):
            if "postgres" not in log.parts:
                target = logs / log.relative_to(self.home)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(log, target)
        shutil.rmtree(self.home, ignore_errors=True)


def _take(events: Iterator[SimulatedEvent], count: int) -> Iterator[SimulatedEvent]:
    for number, event in enumerate(events):
        if number >= count:
            return
        yield event


async def stoppable(work: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run `work`; SIGTERM or SIGINT cancels it, so every `finally` stops its processes."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    return await task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, for trying changes")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write results")
    args = parser.parse_args(argv)
    console = Console()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    plan = Plan.quick() if args.quick else Plan()
    bench = Bench(plan, console, progress)
    try:
        with progress:
            results = asyncio.run(stoppable(bench.run()))
    except asyncio.CancelledError:
        console.print("stopped before the end: nothing written, every process stopped")
        return 130
    finally:
        bench.close(args.results / "logs")
    write_results(results, args.results, console)
    return 0
