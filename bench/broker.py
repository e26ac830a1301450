"""The raw broker baseline: the pipeline's hops with nothing but aiokafka in between.

produce -> hop1 -> relay -> hop2 -> relay -> hop3 -> consume: three broker hops, as
events take (interactions -> signals -> recommendations.desktop), with the same
partition count, the same producer and consumer settings (services.plumbing.kafka) and
the same message sizes: hop1 carries real CloudEvents in the Kafka binary binding, hop2
and hop3 carry payloads the size of a real signal and a real recommendation. Each relay
is its own process, as each service is, and commits after the next hop has acked.

`python -m bench.broker relay ...` is one relay; `RawBroker` runs the whole baseline and
`measure_raw_broker` takes its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from bench.report import percentiles
from bench.stack import CpuMeter
from moments.processes import poll, start_process, stop_process
from services.plumbing.kafka import ensure_topics, make_consumer, make_producer
from services.plumbing.settings import KafkaSettings

SENT_AT = "bench_sent_at"
RUN = "bench_run"


async def relay(bootstrap: str, source: str, target: str, group: str, size: int) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    consumer = make_consumer(settings, source, group_id=group)
    producer = make_producer(settings)
    payload = b"x" * size
    await consumer.start()
    await producer.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            for partition, messages in batches.items():
                futures = [
                    await producer.send(target, payload, key=m.key, headers=list(m.headers))
                    for m in messages
                ]
                await asyncio.gather(*futures)
                await consumer.commit({partition: messages[-1].offset + 1})
    finally:
        await consumer.stop()
        await producer.stop()


@dataclass
class Arrivals:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    last_at: dict[str, float] = field(default_factory=dict)


class RawBroker:
    """Topics, two relay processes and a final consumer for one partition count."""

    def __init__(
        self,
        bootstrap: str,
        partitions: int,
        sizes: tuple[int, int],
        first_hop: Sequence[tuple[bytes, bytes, list[tuple[str, bytes]]]],
        logs: Path,
    ):
        self.bootstrap, self.partitions = bootstrap, partitions
        self.sizes, self.first_hop, self.logs = sizes, first_hop, logs
        self.prefix = f"bench.raw{partitions}."
        self.topics = [f"{self.prefix}hop{n}" for n in (1, 2, 3)]
        self.relays: list[subprocess.Popen[bytes]] = []
        self.arrivals = Arrivals()
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self, deadline_s: float = 60.0) -> None:
        settings = KafkaSettings(
            kafka_bootstrap_servers=self.bootstrap, kafka_topic_partitions=self.partitions
        )
        await ensure_topics(settings, self.topics)
        self.logs.mkdir(parents=True, exist_ok=True)
        for number, (source, target) in enumerate(zip(self.topics, self.topics[1:], strict=False)):
            log = (self.logs / f"relay-{self.partitions}-{number}.log").open("ab")
            command = [
                sys.executable, "-m", "bench.broker", "relay", "--bootstrap", self.bootstrap,
                "--source", source, "--target", target, "--group", f"{self.prefix}relay{number}",
                "--size", str(self.sizes[number]),
            ]  # fmt: skip
            self.relays.append(start_process(command, log, own_session=True))
        self.consumer = make_consumer(settings, group_id=None, fetch_max_wait_ms=20)
        await self.consumer.start()
        self.consumer.assign([TopicPartition(self.topics[-1], p) for p in range(self.partitions)])
        await self.consumer.seek_to_end()
        self.producer = make_producer(settings)
        await self.producer.start()
        self._reader = asyncio.create_task(self._read())

        async def probe_passed() -> bool:
            """Ready when a probe makes it through both relays (their groups have joined)."""
            if "probe" in self.arrivals.last_at:
                return True
            for relay_process in self.relays:
                if relay_process.poll() is not None:
                    raise RuntimeError(f"a relay exited with {relay_process.returncode}")
            await self._send(0, "probe")
            return False

        await poll(probe_passed, deadline_s, "a probe through the raw broker's relays", 0.25)

    async def _read(self) -> None:
        assert self.consumer is not None
        while True:
            batches = await self.consumer.getmany(timeout_ms=100, max_records=2000)
            now = time.time()
            for messages in batches.values():
                for message in messages:
                    headers = dict(message.headers)
                    run = headers.get(RUN, b"").decode()
                    sent = float(headers.get(SENT_AT, b"0"))
                    self.arrivals.latencies_ms.setdefault(run, []).append((now - sent) * 1000)
                    self.arrivals.last_at[run] = now

    async def _send(self, number: int, run: str) -> asyncio.Future[object]:
        assert self.producer is not None
        key, value, headers = self.first_hop[number % len(self.first_hop)]
        stamped = [*headers, (SENT_AT, repr(time.time()).encode()), (RUN, run.encode())]
        return await self.producer.send(self.topics[0], value, key=key, headers=stamped)

    async def _arrived(self, run: str, count: int, deadline_s: float) -> None:
        """Poll until `count` messages of `run` have arrived, or the deadline passes: the
        figures are taken from what arrived by then."""

        async def all_there() -> bool:
            return len(self.arrivals.latencies_ms.get(run, [])) >= count

        with contextlib.suppress(TimeoutError):
            await poll(all_there, deadline_s, f"{count} messages of {run}")

    def relay_processes(self) -> list[psutil.Process]:
        return [psutil.Process(p.pid) for p in self.relays if p.poll() is None]

    async def throughput(self, count: int, deadline_s: float = 120.0) -> float:
        """Messages per second through all three hops, for `count` sent as fast as possible."""
        run = f"throughput-{count}"
        started = time.time()
        futures = [await self._send(n, run) for n in range(count)]
        await asyncio.gather(*futures)
        await self._arrived(run, count, deadline_s)
        arrived = len(self.arrivals.latencies_ms.get(run, []))
        return arrived / max(1e-6, self.arrivals.last_at.get(run, started) - started)

    async def latency(self, rate: float, duration_s: float) -> list[float]:
        """End-to-end milliseconds of messages sent at `rate` per second, open loop."""
        run = f"latency-{rate:g}"
        loop = asyncio.get_running_loop()
        start = loop.time()
        count = int(rate * duration_s)
        futures = []
        for number in range(count):
            delay = start + number / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the offered load
            futures.append(await self._send(number, run))
        await asyncio.gather(*futures)
        await self._arrived(run, count, 30.0)
        return list(self.arrivals.latencies_ms.get(run, []))

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for client in (self.producer, self.consumer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
        for process in self.relays:
            stop_process(process, 10)
        self.relays.clear()


async def measure_raw_broker(
    bootstrap: str,
    partition_counts: Sequence[int],
    latency_loads: Sequence[int],
    messages: int,
    first_hop: Sequence[tuple[bytes, bytes, list[tuple[str, bytes]]]],
    sizes: dict[str, float],
    logs: Path,
    broker_process: list[psutil.Process],
    status: Callable[[str], None],
    log: Callable[[str], None],
    latency_s: float = 5.0,
) -> dict[str, Any]:
    """Throughput for each partition count, with the CPU per message of the broker, the
    two relays and the bench's producer and consumer; latency at each load on 6."""
    hop_sizes = (int(sizes["signal_bytes"]), int(sizes["recommendation_bytes"]))
    raw: dict[str, Any] = {}
    for partitions in partition_counts:
        status(f"raw broker, {partitions} partitions: relays starting")
        broker = RawBroker(bootstrap, partitions, hop_sizes, first_hop, logs)
        try:
            await broker.start()
            status(f"raw broker, {partitions} partitions: throughput")
            meter = CpuMeter({"broker": broker_process, "relays": broker.relay_processes()})
            before = meter.read()
            rate = await broker.throughput(messages)
            cpu = CpuMeter.per_event(before, meter.read(), messages)
            cpu["total"] = round(cpu["total"] + cpu.get(CpuMeter.CLIENT, 0.0), 1)
            entry: dict[str, Any] = {
                "throughput_msgs_per_s": rate,
                "cpu_us_per_msg": cpu,  # over its three hops, like an event's
                "latency": {},
            }
            if partitions == 6:
                for load in latency_loads:
                    status(f"raw broker, {partitions} partitions: {load} msgs/s")
                    entry["latency"][str(load)] = percentiles(await broker.latency(load, latency_s))
            raw[str(partitions)] = entry
            log(
                f"raw broker, {partitions} partitions: {rate:,.0f} msgs/s,"
                f" {cpu['total']:,.0f} µs CPU per message (broker {cpu['broker']:,.0f})"
            )
        finally:
            await broker.stop()
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broker")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("relay", help="consume one topic, produce to the next")
    one.add_argument("--bootstrap", required=True)
    one.add_argument("--source", required=True)
    one.add_argument("--target", required=True)
    one.add_argument("--group", required=True)
    one.add_argument("--size", type=int, required=True, help="bytes of each relayed value")
    args = parser.parse_args(argv)
    asyncio.run(relay(args.bootstrap, args.source, args.target, args.group, args.size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
