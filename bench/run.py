"""`python -m bench` (`make bench`): every measurement, in one unattended run.

0. What a fetch wait costs on this broker (bench.fetch_wait), while it is still idle.
1. The raw broker baseline (bench.broker) at 6 and 12 partitions, with its CPU per message.
2. End-to-end and per-hop latency at 100, 250 and 500 events/s of single-event POSTs, 30 s
   each after a warm-up, in the steady state, and 2,000 events/s as an overload.
3. Sustained throughput of batched ingest -> signals -> actions -> desktop: the highest
   offered rate at which the backlogs in front of signals and actions stay flat.
4. Scaling: the same search with 1, 2 and 4 signals workers on 12 partitions.
5. Memory: the signals worker holding 100,000 and 1,000,000 customers' state.
6. Decisions: how fast actions' decision code decides (bench.decisions), in-process.

Every figure carries the CPU microseconds per event of each process (ingest, signals,
actions, the broker, PostgreSQL), and the raw broker's CPU per message beside it.

`Bench` orchestrates: it starts the infrastructure and each configuration's pipeline and
calls the measurements, which live in their own modules (bench.broker, bench.latency,
bench.throughput with its pure rate search in bench.search, bench.memory). Everything
runs on free ports in a temporary MOMENTS_HOME and is stopped by pid at the end. Results
go to bench/results/ (JSON and PNG charts); see the Performance section of README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import tempfile
import time
from collections.abc import Coroutine, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench.broker import measure_raw_broker
from bench.decisions import measure as measure_decisions
from bench.fetch_wait import measure_fetch_wait
from bench.latency import measure_latency
from bench.load import DesktopListener
from bench.memory import measure_memory
from bench.progress import warm_up
from bench.report import machine, write_results
from bench.stack import BenchInfrastructure, CpuMeter, Pipeline, PipelineConfig
from bench.throughput import Search, measure_sustained
from bench.traffic import profile_messages, simulation
from moments.simulate.domain.simulation import SimulatedEvent, Simulation

RESULTS = Path(__file__).with_name("results")


@dataclass(frozen=True)
class Plan:
    # The contract's loads, and 250/s: below this machine's capacity, for comparison.
    latency_loads: tuple[int, ...] = (100, 250, 500, 2000)
    latency_seconds: tuple[float, ...] = (30.0, 30.0, 30.0, 10.0)  # 2,000/s is an overload
    raw_latency_seconds: float = 15.0
    step_seconds: float = 15.0
    batch: int = 50
    first_rate: float = 400.0
    rate_factor: float = 1.6
    max_steps: int = 6
    population: int = 20_000
    raw_messages: int = 40_000
    configs: tuple[tuple[int, int], ...] = ((1, 6), (1, 12), (2, 12), (4, 12))  # workers, parts
    memory_customers: tuple[int, ...] = (100_000, 1_000_000)
    decision_customers: int = 1000
    fetch_idle_seconds: float = 8.0
    fetch_partitions: tuple[int, ...] = (1, 6, 24)
    fetch_waits_ms: tuple[int, ...] = (10, 20, 100, 250)

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            latency_loads=(100, 500),
            latency_seconds=(8.0, 10.0),
            raw_latency_seconds=5.0,
            step_seconds=6.0,
            max_steps=3,
            population=5_000,
            raw_messages=10_000,
            configs=((1, 6),),
            memory_customers=(10_000, 50_000),
            decision_customers=200,
            fetch_idle_seconds=3.0,
            fetch_partitions=(1, 24),
            fetch_waits_ms=(10, 250),
        )


class Bench:
    """One run: starts the infrastructure, runs each measurement module in turn on its
    own pipeline configuration, gathers the results, and stops everything it started."""

    def __init__(self, plan: Plan, console: Console, progress: Progress):
        self.plan, self.console, self.progress = plan, console, progress
        self.home = Path(tempfile.mkdtemp(prefix="moments-bench-"))
        self.infrastructure = BenchInfrastructure(self.home)
        self.credentials: dict[str, Any] = {}
        self.results: dict[str, Any] = {"plan": asdict(plan)}
        self.task = progress.add_task("starting", total=None)

    def status(self, text: str) -> None:
        self.progress.update(self.task, description=text)

    def log(self, text: str) -> None:
        self.console.log(text)

    def simulation(self, prefix: str, size: int | None = None) -> Simulation:
        return simulation(prefix, size or self.plan.population)

    async def warm_up(
        self, pipeline: Pipeline, stream: Iterator[SimulatedEvent], listener: DesktopListener
    ) -> None:
        await warm_up(pipeline, stream, listener, self.credentials["ingest_api_key"])

    async def pipeline_config(
        self, workers: int, partitions: int, with_latency: bool, first_rate: float, attempt: int
    ) -> dict[str, Any]:
        plan = self.plan
        suffix = f"-{attempt}" if attempt else ""
        config = PipelineConfig(f"{workers}x{partitions}{suffix}", partitions, workers)
        self.status(f"pipeline {config.name}: starting services")
        pipeline = Pipeline(self.infrastructure, config)
        listener = DesktopListener(pipeline.actions_url, self.credentials["agent_token"])
        population = self.simulation(f"c{config.name}")
        stream = population.events()
        api_key = self.credentials["ingest_api_key"]
        entry: dict[str, Any] = {"workers": workers, "partitions": partitions}
        try:
            await pipeline.start(self.credentials)
            await listener.start()
            self.status(f"pipeline {config.name}: warming up")
            await self.warm_up(pipeline, stream, listener)

            def meter() -> CpuMeter:  # afresh per step: PostgreSQL's backends come and go
                return CpuMeter({**self.infrastructure.processes(), **pipeline.processes()})

            if with_latency:
                loads = list(zip(plan.latency_loads, plan.latency_seconds, strict=True))
                entry["latency"] = await measure_latency(
                    pipeline, stream, listener, api_key, loads, meter, self.status, self.log
                )
            search = Search(
                first_rate, plan.rate_factor, plan.max_steps, plan.step_seconds, plan.batch
            )

            entry["throughput"] = await measure_sustained(
                pipeline, stream, listener, api_key, meter, search, self.status, self.log
            )
            entry["rss_bytes"] = pipeline.rss_bytes()
            entry["customers_seen"] = sum(1 for life in population.lives.values() if life.events)
            entry["database"] = await self.infrastructure.database_bytes()
            self.log(
                f"pipeline {config.name}: sustained "
                f"{entry['throughput']['sustained_events_per_s']:,.0f} events/s, "
                f"{entry['throughput']['sustained_recommendations_per_s']:,.1f} desktop recs/s"
            )
        finally:
            await listener.stop()
            pipeline.stop()
        return entry

    async def run(self) -> dict[str, Any]:
        plan = self.plan
        started = time.time()
        self.results["machine"] = machine()
        self.status("starting broker and database")
        await self.infrastructure.start()
        self.credentials = await self.infrastructure.stack.issue_dev_credentials()
        self.status("profiling message sizes and customer states")
        first_hop, sizes, states = await asyncio.to_thread(profile_messages)
        self.results["message_sizes"] = sizes
        self.results["fetch_wait"] = await measure_fetch_wait(
            self.infrastructure.bootstrap_servers,
            self.infrastructure.processes().get("broker", []),
            self.status,
            self.log,
            plan.fetch_partitions,
            plan.fetch_waits_ms,
            idle_s=plan.fetch_idle_seconds,
        )
        self.results["raw_broker"] = await measure_raw_broker(
            self.infrastructure.bootstrap_servers,
            sorted({p for _, p in plan.configs}),
            plan.latency_loads,
            plan.raw_messages,
            first_hop,
            sizes,
            self.home / "logs",
            self.infrastructure.processes().get("broker", []),
            self.status,
            self.log,
            plan.raw_latency_seconds,
        )
        pipelines: dict[str, Any] = {}
        first_rate = plan.first_rate
        for number, (workers, partitions) in enumerate(plan.configs):
            for attempt in range(2):
                try:
                    entry = await self.pipeline_config(
                        workers, partitions, number == 0, first_rate, attempt
                    )
                    break
                except (TimeoutError, RuntimeError) as error:
                    # A rebalance on this broker now and then stalls a worker; one fresh
                    # start of the configuration is allowed, then it is reported.
                    self.log(f"[red]pipeline {workers}x{partitions} failed[/]: {error}")
                    entry = {"workers": workers, "partitions": partitions, "error": str(error)}
            pipelines[f"{workers}x{partitions}"] = entry
            if number == 0 and "throughput" in entry:
                # Later configurations start their search just below the first one's result.
                found = entry["throughput"]["sustained_offered"]
                first_rate = max(plan.first_rate, 0.8 * found) if found else first_rate
        self.results["pipelines"] = pipelines
        self.results["memory"] = await measure_memory(
            self.infrastructure, states, plan.memory_customers, self.status, self.log
        )
        self.status("decisions: the decision code in-process")
        figures = await asyncio.to_thread(measure_decisions, customers=plan.decision_customers)
        self.results["decisions"] = asdict(figures)
        self.log(
            f"decisions: {figures.decisions_per_s:,.0f}/s, p50 {figures.p50_ms} ms,"
            f" p99 {figures.p99_ms} ms"
        )
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
