"""How much memory the signals worker needs per customer it holds.

The states are real: a simulated population's traffic is folded through the signals
handler (the same pure code the worker runs) and the resulting `CustomerState` bytes are
kept. To hold N customers, those states are written under N distinct customer ids to
the worker's table changelog, and a fresh worker recovers its table from it, exactly as
it would after a restart. Its RSS is then read by pid, and compared with the same
worker holding no customers. This loads a million customers in seconds, where sending a
million events through ingest would take the whole run.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import psutil
from aiokafka.partitioner import murmur2
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.stack import BenchInfrastructure, PipelineConfig, PipelineStack, scrape, total
from moments.processes import free_port, poll
from moments.simulate.domain.simulation import SimulatedEvent
from moments.stack import StackSettings
from schemas.events import parse_event
from services.plumbing.kafka import ensure_topics, make_producer
from services.plumbing.settings import KafkaSettings
from services.signals.handlers import SignalsHandler
from services.signals.runtime import changelog_topic


def realistic_states(events: Iterator[SimulatedEvent], seed: int, count: int) -> list[bytes]:
    """Each simulated customer's signals state after `count` events of their traffic."""
    analyzer = SentimentIntensityAnalyzer()
    handler = SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))
    states: dict[str, bytes] = {}
    for number, event in enumerate(events):
        if number >= count:
            break
        parsed = parse_event(event.cloudevent(seed))
        state, _, _ = handler.handle(states.get(event.customer_id), parsed, datetime.now(UTC))
        if state is not None:
            states[event.customer_id] = state
    return list(states.values())


class SignalsMemory:
    """One signals worker on its own topics, restarted to recover 0, 100k, 1M customers."""

    def __init__(self, infrastructure: BenchInfrastructure, partitions: int = 6):
        self.infrastructure = infrastructure
        self.config = PipelineConfig("memory", partitions, 1)
        self.app_id = "bench-memory-signals"
        self.changelog = changelog_topic(self.config.prefix, self.app_id)
        self.loaded = 0
        self.kafka = KafkaSettings(
            kafka_bootstrap_servers=infrastructure.bootstrap_servers,
            kafka_topic_partitions=partitions,
            kafka_topic_prefix=self.config.prefix,
        )

    async def prepare(self) -> None:
        await ensure_topics(self.kafka)
        await ensure_topics(self.kafka, [self.changelog], compact=True)

    async def add_customers(self, count: int, states: Sequence[bytes]) -> None:
        """Write `count` more customers' states to the table's changelog."""
        producer = make_producer(self.kafka, linger_ms=20, max_batch_size=512 * 1024)
        await producer.start()
        partitions = self.config.partitions
        try:
            batches = {p: producer.create_batch() for p in range(partitions)}
            pending = []
            for number in range(self.loaded, self.loaded + count):
                key = f"mem-{number:08d}".encode()
                # The default partitioner's choice, so each key lands where the worker
                # would have put it from the `interactions` partition of that customer.
                partition = (murmur2(key) & 0x7FFFFFFF) % partitions
                value = states[number % len(states)]
                if batches[partition].append(key=key, value=value, timestamp=None) is None:
                    batches[partition].close()
                    pending.append(
                        await producer.send_batch(
                            batches[partition], self.changelog, partition=partition
                        )
                    )
                    batches[partition] = producer.create_batch()
                    batches[partition].append(key=key, value=value, timestamp=None)
            for partition, batch in batches.items():
                batch.close()
                pending.append(
                    await producer.send_batch(batch, self.changelog, partition=partition)
                )
            await asyncio.gather(*pending)
        finally:
            await producer.stop()
        self.loaded += count

    async def measure(self, deadline_s: float = 240.0) -> tuple[int, int]:
        """Start a worker and let it recover every loaded customer: (RSS, customers held)."""
        port = free_port()
        stack = PipelineStack(
            StackSettings(
                moments_home=self.infrastructure.home / "memory",
                kafka_bootstrap_servers=self.infrastructure.bootstrap_servers,
                database_url=self.infrastructure.database_url,
                signals_web_port=port,
                kafka_topic_partitions=self.config.partitions,
                kafka_topic_prefix=self.config.prefix,
            ),
            {"SIGNALS_APP_ID": self.app_id},
        )
        worker = stack._spawn(
            "signals", [sys.executable, "-m", "services.signals"], stack.service_env()
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await stack.wait_ready(worker, f"{url}/readyz", 90)
            held = 0.0
            async with httpx.AsyncClient(timeout=10) as client:

                async def holds_all() -> bool:
                    nonlocal held
                    held = total(await scrape(client, url), "moments_signals_customers")
                    return held >= self.loaded

                await poll(holds_all, deadline_s, f"signals holding {self.loaded} customers", 1.0)
            return int(psutil.Process(worker.process.pid).memory_info().rss), int(held)
        finally:
            stack.stop()


def mean_size(states: Sequence[bytes]) -> float:
    return statistics.fmean(len(s) for s in states) if states else 0.0


async def measure_memory(
    infrastructure: BenchInfrastructure,
    states: list[bytes],
    holdings: Sequence[int],
    status: Callable[[str], None],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """RSS of a signals worker holding no one, then each of `holdings` customers."""
    memory = SignalsMemory(infrastructure)
    await memory.prepare()
    status("memory: signals worker holding no customers")
    empty, _ = await memory.measure()
    readings = [{"customers": 0, "rss_bytes": empty}]
    for customers in holdings:
        status(f"memory: loading {customers:,} customers' state")
        await memory.add_customers(customers - memory.loaded, states)
        status(f"memory: signals worker recovering {customers:,} customers")
        rss, held = await memory.measure()
        readings.append({"customers": held, "rss_bytes": rss})
        log(
            f"signals holding {held:,} customers: RSS {rss / 2**20:,.0f} MiB, "
            f"{(rss - empty) / held:,.0f} bytes per customer"
        )
    return {
        "signals": readings,
        "state_bytes_mean": mean_size(states),
        "state_bytes_p95": sorted(len(s) for s in states)[int(0.95 * len(states))],
        "distinct_states": len(states),
    }
