"""Test harness shared by the integration and end-to-end tiers.

Service processes started and stopped by pid, Kafka probes that read a topic until a
condition holds, and polling with a deadline (never a fixed sleep): all on the process
kit that `moments run` and the benchmark use too (moments/processes.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition

from moments.processes import ProcessExited, poll, start_process, stop_process, wait_http_ok

# The tests' name for the kit's poll: `await eventually(check, deadline_s, what)`.
eventually = poll


async def read_topic(
    bootstrap_servers: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    deadline_s: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the beginning until `until(messages)` holds; returns them all."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    messages: list[ConsumerRecord[bytes, bytes]] = []

    async def enough() -> bool:
        if until(messages):  # before reading: a condition that holds at once reads nothing
            return True
        for batch in (await consumer.getmany(timeout_ms=200)).values():
            messages.extend(batch)
        return until(messages)

    try:
        await poll(enough, deadline_s, f"{topic}: the condition", every_s=0)
        return messages
    except TimeoutError:
        raise AssertionError(f"{topic}: condition not met; read {len(messages)} messages") from None
    finally:
        await consumer.stop()


async def topic_messages(bootstrap_servers: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on `topic` now: read from the beginning up to the end offsets."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()
        ]
        if not partitions:
            await consumer.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        messages: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                messages.extend(batch)
        return messages
    finally:
        await consumer.stop()


async def produce(
    bootstrap_servers: str, topic: str, items: list[tuple[bytes | None, bytes, list[Any]]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        for key, value, headers in items:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


@dataclass
class ServiceProcess:
    """One of the services as its own process, as `moments run` starts it."""

    name: str
    env: dict[str, str]
    ready_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = start_process(
            [sys.executable, "-m", f"services.{self.name}"],
            self._log,
            {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
        )

    async def wait_ready(self, deadline_s: float = 60.0) -> None:
        assert self.process is not None
        try:
            await wait_http_ok(self.ready_url, deadline_s, self.process, self.name)
        except ProcessExited as exited:
            raise AssertionError(f"{exited}:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> None:
        if self.process is None:
            return
        stop_process(self.process, timeout_s, sig)
        self._log.close()
        self.process = None


def cloudevent(
    customer: str,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str,
    source: str = "/channels/test",
    time_: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "subject": customer,
        "datacontenttype": "application/json",
        "data": data,
    }
    if time_:
        event["time"] = time_
    return event


@contextlib.asynccontextmanager
async def sse_listener(
    url: str, token: str | None, last_event_id: str | None = None, ticket: str | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Collects the stream's events into a list while the block runs, each with the
    monotonic time it arrived (`at`). The stream is opened with the agent's token, or
    with `?ticket=` as the page does."""
    received: list[dict[str, Any]] = []
    connected = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    query = f"?ticket={ticket}" if ticket else ""

    async def listen() -> None:
        async with (
            httpx.AsyncClient(timeout=None) as client,
            client.stream("GET", f"{url}/v1/desktop/stream{query}", headers=headers) as response,
        ):
            assert response.status_code == 200
            connected.set()
            event: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if not line:
                    if "data" in event:
                        received.append({**event, "at": time.monotonic()})
                    event = {}
                    continue
                name, _, value = line.partition(":")
                event[name] = json.loads(value) if name == "data" else value.strip()

    task = asyncio.create_task(listen())
    await asyncio.wait_for(connected.wait(), 10)
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def ws_listener(
    url: str, token: str, last_seq: int | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Collects the WebSocket stream's recommendations into a list while the block runs."""
    received: list[dict[str, Any]] = []
    query = f"?last_seq={last_seq}" if last_seq else ""
    ws_url = url.replace("http://", "ws://") + "/v1/desktop/ws" + query
    auth = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(ws_url, max_size=None, additional_headers=auth) as ws:

        async def listen() -> None:
            async for message in ws:
                received.append(json.loads(message))

        task = asyncio.create_task(listen())
        try:
            yield received
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task
