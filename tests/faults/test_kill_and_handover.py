"""Drills that kill a service: nothing is lost or doubled at any stage, and the survivors
take a dead member's partitions over within 5 s.

Each service in turn is SIGKILLed halfway through a paced stream of events and replaced,
while a desktop follows the stream as a browser would (reconnecting with Last-Event-ID).
Counted at every stage: accepted by ingest, on `interactions`, signalled, stored,
published to `recommendations.desktop`, delivered to the desktop, dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner

from schemas.topics import Topics
from services.actions.adapters.people import create_agent
from tests.faults.conftest import Broker, base_url, port_of
from tests.faults.test_desktop_delivery import QUEUES, desktop_rows, moment
from tests.harness import ServiceProcess, eventually, topic_messages

SERVICES = ("ingest", "signals", "actions")
INPUT_TOPIC = {"signals": "interactions", "actions": "signals"}


async def send_retrying(
    url: str, api_key: str, events: list[dict[str, Any]], per_second: float
) -> dict[str, int]:
    """POST one event at a time at `per_second`, re-sending (same id) until it is accepted,
    as a channel system does when ingest is unreachable. Returns 202 answers per id."""
    accepted: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/cloudevents+json"}
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for i, event in enumerate(events):
            await asyncio.sleep(max(0.0, start + i / per_second - time.monotonic()))  # pacing
            while True:
                try:
                    response = await client.post(
                        "/v1/events", content=json.dumps(event), headers=headers
                    )
                except httpx.TransportError:
                    await asyncio.sleep(0.2)  # the client's retry back-off
                    continue
                assert response.status_code in (202, 503), response.text
                if response.status_code == 202:
                    accepted[event["id"]] = accepted.get(event["id"], 0) + 1
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    return accepted


@contextlib.asynccontextmanager
async def browser_desktop(url: str, token: str) -> AsyncIterator[list[dict[str, Any]]]:
    """An SSE desktop that reconnects like EventSource, sending the last id it saw."""
    received: list[dict[str, Any]] = []

    async def follow() -> None:
        last_id: str | None = None
        while True:
            headers = {"Authorization": f"Bearer {token}"}
            if last_id:
                headers["Last-Event-ID"] = last_id
            with contextlib.suppress(httpx.HTTPError):
                async with (
                    httpx.AsyncClient(timeout=None) as client,
                    client.stream("GET", f"{url}/v1/desktop/stream", headers=headers) as response,
                ):
                    event: dict[str, str] = {}
                    async for line in response.aiter_lines():
                        if line:
                            name, _, value = line.partition(":")
                            event[name] = value.strip()
                            continue
                        if "data" in event and response.status_code == 200:
                            received.append(json.loads(event["data"]))
                            last_id = event["id"]
                        event = {}
            await asyncio.sleep(0.5)  # EventSource's reconnection delay

    task = asyncio.create_task(follow())
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def distinct(bootstrap: str, topic: str, field: str = "id") -> tuple[int, int]:
    """(messages, distinct values of `field`) on the topic now."""
    messages = await topic_messages(bootstrap, topic)
    return len(messages), len({value_of(m, field) for m in messages})


def value_of(message: Any, field: str) -> str:
    """A field of a JSON message, or of a binary-mode CloudEvent (`ce_` headers)."""
    headers = {k: v.decode() for k, v in message.headers}
    if f"ce_{field}" in headers:
        return headers[f"ce_{field}"]
    return str(json.loads(message.value)[field])


@pytest.mark.parametrize("victim", SERVICES)
async def test_a_service_killed_mid_stream_loses_and_doubles_nothing_up_to_the_screen(
    victim: str,
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    running = {name: services(name) for name in SERVICES}
    for process in running.values():
        await process.wait_ready()
    token = await create_agent(pool, f"agent-{run_id}", QUEUES, "Watching")
    events = [moment(run_id, n) for n in range(400)]
    ingest_url, actions_url = base_url(running["ingest"]), base_url(running["actions"])

    async with browser_desktop(actions_url, token) as screen:
        first = await send_retrying(ingest_url, api_key, events[:200], per_second=100)
        running[victim].stop(signal.SIGKILL)  # wherever it is in its work
        replacement = services(victim, port=port_of(running[victim]))
        rest = asyncio.create_task(send_retrying(ingest_url, api_key, events[200:], 100))
        await replacement.wait_ready()
        accepted = {**first, **await rest}

        async def all_on_screen() -> bool:
            return len({r["id"] for r in screen}) >= 400

        await eventually(all_on_screen, 90, "400 recommendations on the desktop")

    stored = await desktop_rows(pool, run_id)
    bootstrap = broker.bootstrap_servers
    on_interactions = await distinct(bootstrap, topics.interactions)
    signalled = await distinct(bootstrap, topics.signals, "customer_id")
    published = await distinct(bootstrap, topics.recommendations("desktop"))
    dead = await topic_messages(bootstrap, topics.interactions_dlq)
    mine = [r["id"] for r in screen if r["customer_id"].startswith(f"c{run_id}-")]

    assert len(accepted) == 400
    assert on_interactions[1] == 400  # a re-sent event may be on the topic twice, same id
    assert signalled[1] == 400
    assert len(stored) == 400
    assert published[1] == 400
    assert sorted(mine) == sorted(r["id"] for r in stored)  # each once on the screen
    assert len(mine) == len(set(mine))
    assert dead == []


def partition_of(customer: str, partitions: int) -> int:
    return int(DefaultPartitioner()(customer.encode(), list(range(partitions)), []))


def one_customer_per_partition(run_id: str, partitions: int = 6) -> list[int]:
    """Event numbers whose customers (see `moment`) cover every partition once."""
    chosen: dict[int, int] = {}
    n = 10_000
    while len(chosen) < partitions:
        chosen.setdefault(partition_of(f"c{run_id}-{n}", partitions), n)
        n += 1
    return sorted(chosen.values())


def owns_partitions(process: ServiceProcess, topic: str) -> bool:
    """True when the member's latest assignment in the group that reads `topic`, as
    plumbing.kafka.LoggedAssignment logs it, includes `topic`. A process is a member of
    several groups (actions reads `signals`, `customers` and `outcomes` in three), which
    log their assignments in no particular order."""
    assigned = re.findall(r"group (\S+): partitions assigned: (.*)", process.log_tail(400))
    groups = {group for group, parts in assigned if f"{topic}[" in parts}
    latest = [parts for group, parts in assigned if group in groups]
    return bool(latest) and f"{topic}[" in latest[-1]


@pytest.mark.parametrize("victim", ["signals", "actions"])
async def test_after_a_sigkill_the_survivor_processes_every_partition_within_5_s(
    victim: str,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    others = [services(name) for name in SERVICES if name != victim]
    pair = [services(victim), services(victim)]
    for process in [*others, *pair]:
        await process.wait_ready()
    ingest = next(p for p in others if p.name == "ingest")
    topic = getattr(topics, INPUT_TOPIC[victim])

    async def both_own_partitions() -> bool:
        return all(owns_partitions(p, topic) for p in pair)

    await eventually(both_own_partitions, 60, f"both {victim} members assigned")
    warm = [moment(run_id, n) for n in range(20)]
    await send_retrying(base_url(ingest), api_key, warm, per_second=50)
    await eventually(lambda: stored_at_least(pool, run_id, 20), 60, "warm-up processed")

    pair[0].stop(signal.SIGKILL)
    killed_at = time.monotonic()
    probes = [moment(run_id, n) for n in one_customer_per_partition(run_id)]
    accepted = await send_retrying(base_url(ingest), api_key, probes, per_second=1000)
    await eventually(lambda: stored_at_least(pool, run_id, 26), 30, "every partition again")
    hand_over = time.monotonic() - killed_at

    assert len(accepted) == 6
    assert hand_over < 5.0, f"{victim}: partitions processed again after {hand_over:.1f} s"


async def stored_at_least(pool: asyncpg.Pool, run_id: str, n: int) -> bool:
    return len(await desktop_rows(pool, run_id)) >= n
