"""What a consumer's fetch wait costs on this broker: CPU when idle, latency when not.

For each partition count and fetch wait, `consumers` group-less consumers read one topic
that nothing is written to (one empty fetch per consumer per wait), and the broker's CPU
over `idle_s` seconds is taken; once more with no consumers at all. A least-squares fit
of CPU share = idle + fetches/s x (per fetch + partitions x per partition) splits it into
what an empty fetch costs and what each partition it names adds. Then one consumer's
produce-to-consume latency for single messages shows whether the broker answers when data
arrives (Apache Kafka does: latency stays small whatever the wait) or only when the wait
is over (about half the wait on median).

These two figures choose `KAFKA_FETCH_WAIT_MS` and `KAFKA_BACKGROUND_FETCH_WAIT_MS`.
Run it on an idle broker: the bench does so first.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy
import psutil
from aiokafka import AIOKafkaConsumer

from bench.report import percentiles
from services.plumbing.kafka import ensure_topics, make_consumer, make_producer
from services.plumbing.settings import KafkaSettings


def fit_fetch_cost(idle_share: float, rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Least squares of share - idle = fetches/s x (per fetch + partitions x per partition),
    in milliseconds of broker CPU."""
    design = numpy.array([[r["fetches_per_s"], r["fetches_per_s"] * r["partitions"]] for r in rows])
    observed = numpy.array([r["idle_broker_cpu_share"] - idle_share for r in rows])
    (per_fetch, per_partition), *_ = numpy.linalg.lstsq(design, observed, rcond=None)
    return {
        "ms_per_fetch": round(float(per_fetch) * 1000, 4),
        "ms_per_partition": round(float(per_partition) * 1000, 4),
    }


def broker_seconds(broker: Sequence[psutil.Process]) -> float:
    return sum(p.cpu_times().user + p.cpu_times().system for p in broker)


async def _idle_reader(consumer: AIOKafkaConsumer) -> None:
    while True:
        await consumer.getmany(timeout_ms=1000)


async def one_setting(
    settings: KafkaSettings,
    broker: Sequence[psutil.Process],
    partitions: int,
    wait_ms: int,
    consumers: int,
    idle_s: float,
    samples: int,
) -> dict[str, Any]:
    topic = f"bench.fetch-wait.{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings.model_copy(update={"kafka_topic_partitions": partitions}), [topic])
    readers = [
        make_consumer(
            settings, topic, group_id=None, auto_offset_reset="latest", fetch_max_wait_ms=wait_ms
        )
        for _ in range(consumers)
    ]
    producer = make_producer(settings)
    tasks: list[asyncio.Task[None]] = []
    try:
        await producer.start()
        for reader in readers:
            await reader.start()
            await reader.getmany(timeout_ms=wait_ms * 2)  # positions are known from here
        tasks = [asyncio.create_task(_idle_reader(r)) for r in readers[1:]]
        probe = readers[0]
        # The idle window: every reader fetching, nothing to fetch.
        idle = asyncio.create_task(_idle_reader(probe))
        before, started = broker_seconds(broker), time.monotonic()
        await asyncio.sleep(idle_s)  # the measured window itself, not a wait for readiness
        cpu_share = (broker_seconds(broker) - before) / (time.monotonic() - started)
        idle.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await idle
        latencies = []
        for n in range(samples):
            sent = time.perf_counter()
            await producer.send_and_wait(topic, b"x", key=str(n).encode())
            while not await probe.getmany(timeout_ms=5000):
                pass
            latencies.append((time.perf_counter() - sent) * 1000)
        fetches_per_s = consumers * 1000 / wait_ms
        return {
            "partitions": partitions,
            "fetch_wait_ms": wait_ms,
            "consumers": consumers,
            "idle_broker_cpu_share": round(cpu_share, 4),
            "fetches_per_s": fetches_per_s,
            "latency_ms": percentiles(latencies),
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for reader in readers:
            await reader.stop()
        await producer.stop()


async def measure_fetch_wait(
    bootstrap_servers: str,
    broker: Sequence[psutil.Process],
    status: Callable[[str], None],
    log: Callable[[str], None],
    partitions: Sequence[int] = (1, 6, 24),
    waits_ms: Sequence[int] = (10, 20, 100, 250),
    consumers: int = 4,
    idle_s: float = 8.0,
    samples: int = 30,
) -> dict[str, Any]:
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap_servers)
    status("fetch wait: the broker with no consumers")
    before, started = broker_seconds(broker), time.monotonic()
    await asyncio.sleep(idle_s)  # the measured window itself
    idle_share = (broker_seconds(broker) - before) / (time.monotonic() - started)
    rows = []
    for count in partitions:
        for wait in waits_ms:
            status(f"fetch wait: {wait} ms on {count} partitions")
            row = await one_setting(settings, broker, count, wait, consumers, idle_s, samples)
            log(
                f"fetch wait {wait} ms, {count} partitions: idle broker"
                f" {row['idle_broker_cpu_share']:.0%} of a core,"
                f" latency p50 {row['latency_ms']['p50']:.1f} ms"
            )
            rows.append(row)
    fit = fit_fetch_cost(idle_share, rows)
    log(
        f"fetch cost: {fit['ms_per_fetch']} ms per empty fetch"
        f" + {fit['ms_per_partition']} ms per partition it names"
    )
    return {
        "rows": rows,
        "idle_broker_cpu_share": round(idle_share, 4),
        **fit,
        "latency_over_wait": round(
            statistics.median(r["latency_ms"]["p50"] / r["fetch_wait_ms"] for r in rows), 3
        ),
    }
