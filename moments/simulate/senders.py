"""Where simulated events go: ingest over HTTP, `interactions.raw` on Kafka, or a file.

Each sender takes CloudEvents (structured JSON dicts, as `SimulatedEvent.cloudevent`
makes them) in groups and reports how many were accepted and refused. Senders are the
simulator's only I/O besides the desktop responder; the domain never sees them.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import httpx
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from schemas.topics import Topics
from services.plumbing.kafka import make_producer
from services.plumbing.settings import KafkaSettings

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
RETRYABLE = (429, 502, 503, 504)
MAX_ATTEMPTS = 6


@dataclass
class Delivered:
    accepted: int = 0
    refused: int = 0
    problems: list[str] = field(default_factory=list)


class EventSender(Protocol):
    async def start(self) -> None: ...

    async def send(self, events: list[dict[str, Any]]) -> Delivered: ...

    async def close(self) -> None: ...


class HttpSender:
    """POSTs to ingest: one structured event per request, or batches of several.

    429 and 503 are retried after the Retry-After the answer gives, a few times, so a
    rate-limited run slows down rather than losing events.
    """

    def __init__(self, ingest_url: str, api_key: str, concurrency: int = 8, timeout_s: float = 20):
        self.ingest_url, self.api_key = ingest_url.rstrip("/"), api_key
        self.concurrency, self.timeout_s = concurrency, timeout_s
        self.client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        self.client = httpx.AsyncClient(
            base_url=self.ingest_url, timeout=self.timeout_s, limits=limits
        )

    async def send(self, events: list[dict[str, Any]]) -> Delivered:
        assert self.client is not None, "start() first"
        single = len(events) == 1
        body = json.dumps(events[0] if single else events, separators=(",", ":"))
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": STRUCTURED if single else BATCH,
        }
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = await self.client.post("/v1/events", content=body, headers=headers)
            except httpx.TransportError as error:
                if attempt == MAX_ATTEMPTS - 1:
                    return Delivered(0, len(events), [f"transport: {error!r}"])
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
                continue
            if response.status_code in RETRYABLE and attempt < MAX_ATTEMPTS - 1:
                retry_after = response.headers.get("retry-after", "1")
                await asyncio.sleep(float(retry_after) if retry_after.isdigit() else 1.0)
                continue
            if response.status_code == 202:
                answer = response.json()
                refused = answer.get("rejected", [])
                return Delivered(
                    len(answer.get("accepted", [])),
                    len(refused),
                    [f"{r.get('field')}: {r.get('reason')}" for r in refused],
                )
            return Delivered(0, len(events), [f"{response.status_code}: {response.text[:300]}"])
        return Delivered(0, len(events), ["gave up after retries"])

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


_FORMAT = JSONFormat()


def kafka_message(event: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The CloudEvents Kafka binary-mode message: (key = customer id, value, headers)."""
    attributes = {k: v for k, v in event.items() if k != "data"}
    attributes["time"] = datetime.fromisoformat(attributes["time"].replace("Z", "+00:00"))
    message = ce_kafka.to_binary(
        CloudEvent(attributes, event["data"]), _FORMAT, key_mapper=lambda e: e.get_subject()
    )
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return key or b"", message.value, list(message.headers.items())


class KafkaSender:
    """Publishes straight to `interactions.raw`, where ingest's raw gate validates them."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str = ""):
        self.settings = KafkaSettings(
            kafka_bootstrap_servers=bootstrap_servers, kafka_topic_prefix=topic_prefix
        )
        self.topic = Topics(topic_prefix).interactions_raw
        self.producer = make_producer(self.settings, linger_ms=5)

    async def start(self) -> None:
        await self.producer.start()

    async def send(self, events: list[dict[str, Any]]) -> Delivered:
        futures = []
        for event in events:
            key, value, headers = kafka_message(event)
            futures.append(await self.producer.send(self.topic, value, key=key, headers=headers))
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        return Delivered(len(events) - len(failed), len(failed), [repr(f) for f in failed[:3]])

    async def close(self) -> None:
        await self.producer.stop()


class FileSender:
    """JSON lines, keys sorted: two runs with the same seed give byte-identical files."""

    def __init__(self, path: Path):
        self.path = path
        self.file: IO[str] | None = None

    async def start(self) -> None:
        self.file = self.path.open("w")

    async def send(self, events: list[dict[str, Any]]) -> Delivered:
        assert self.file is not None, "start() first"
        for event in events:
            self.file.write(json.dumps(event, sort_keys=True, separators=(",", ":")) + "\n")
        return Delivered(len(events))

    async def close(self) -> None:
        if self.file is not None:
            self.file.close()


class Pace:
    """When the next event may go: at `rate` events/s, or at the simulated clock's `speed`.

    Open loop: the schedule does not slip when sending is slow, so a slow target shows up
    as lag (`behind_s`) rather than as a quietly lower rate.
    """

    def __init__(self, rate: float | None, speed: float, sim_start: float):
        self.rate, self.speed, self.sim_start = rate, speed, sim_start
        self.wall_start = time.monotonic()
        self.sent = 0

    def due(self, sim_at: float) -> float:
        """Monotonic time at which the next event (simulated time `sim_at`) is due."""
        if self.rate:
            return self.wall_start + self.sent / self.rate
        return self.wall_start + (sim_at - self.sim_start) / self.speed

    async def wait(self, sim_at: float, count: int) -> None:
        delay = self.due(sim_at) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing an open-loop load, not waiting for readiness
        self.sent += count

    def behind_s(self, sim_at: float) -> float:
        return max(0.0, time.monotonic() - self.due(sim_at))
