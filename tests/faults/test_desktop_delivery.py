"""Drills for the agent's screen: every desktop recommendation arrives, once, in order.

At 150 events/s over six partitions, with two actions replicas sharing the work, an SSE
desktop on one replica and a WebSocket desktop on the other each receive every
recommendation for their queues exactly once; a desktop away for 400 recommendations
receives all 400 when it comes back. Every stage is counted: accepted by ingest, stored
in PostgreSQL, published to `recommendations.desktop`, delivered to each screen.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from schemas.topics import Topics
from services.actions.adapters.people import create_agent
from tests.faults.conftest import Broker, base_url
from tests.harness import (
    ServiceProcess,
    cloudevent,
    eventually,
    read_topic,
    sse_listener,
    topic_messages,
    ws_listener,
)

QUEUES = ["retention", "complaints"]


def moment(run_id: str, n: int) -> dict[str, Any]:
    """One event of a new customer that makes exactly one desktop recommendation."""
    customer = f"c{run_id}-{n}"
    if n % 2:
        return cloudevent(
            customer,
            "complaint.filed",
            {"channel": "email", "category": "billing", "severity": "high"},
            event_id=f"e{run_id}-{n}",
        )
    return cloudevent(
        customer,
        "cancellation.requested",
        {"channel": "voice", "product": "broadband", "reason": "price"},
        event_id=f"e{run_id}-{n}",
    )


async def send_paced(
    ingest_url: str, api_key: str, events: list[dict[str, Any]], per_second: float
) -> Counter[int]:
    """POST the events as batches of 15 at `per_second` on average; counts the statuses."""
    statuses: Counter[int] = Counter()
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/cloudevents-batch+json",
    }
    size = 15
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=ingest_url, timeout=30) as client:
        for i in range(0, len(events), size):
            due = start + i / per_second
            await asyncio.sleep(max(0.0, due - time.monotonic()))  # pacing, not readiness
            batch = events[i : i + size]
            response = await client.post("/v1/events", content=json.dumps(batch), headers=headers)
            statuses[response.status_code] += len(batch)
    return statuses


async def desktop_rows(pool: asyncpg.Pool, run_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "select id, desktop_pos from recommendations"
        " where channel = 'desktop' and customer_id like $1 order by desktop_pos",
        f"c{run_id}-%",
    )


def ids(received: list[dict[str, Any]], run_id: str) -> list[str]:
    return [r["id"] for r in received if r["customer_id"].startswith(f"c{run_id}-")]


def data(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["data"] for e in events]


def has(n: int, *streams: list[Any]) -> Callable[[], Awaitable[bool]]:
    """A check for `eventually`: every stream has received at least n items."""

    async def check() -> bool:
        return all(len(stream) >= n for stream in streams)

    return check


async def test_at_150_events_a_second_over_six_partitions_every_desktop_gets_each_once(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    ingest, signals = services("ingest"), services("signals")
    replica_a, replica_b = services("actions"), services("actions")
    for process in (ingest, signals, replica_a, replica_b):
        await process.wait_ready()
    token = await create_agent(pool, f"agent-{run_id}", QUEUES, "Both queues")
    events = [moment(run_id, n) for n in range(1500)]

    async with (
        sse_listener(base_url(replica_a), token) as sse,
        ws_listener(base_url(replica_b), token) as ws,
    ):
        statuses = await send_paced(base_url(ingest), api_key, events, per_second=150)

        async def all_on_both_screens() -> bool:
            return len(set(ids(data(sse), run_id))) >= 1500 and len(set(ids(ws, run_id))) >= 1500

        await eventually(all_on_both_screens, 120, "1,500 recommendations on both screens")

    stored = await desktop_rows(pool, run_id)
    published = await read_topic(
        broker.bootstrap_servers,
        topics.recommendations("desktop"),
        lambda m: len({json.loads(x.value)["id"] for x in m}) >= 1500,
        deadline_s=30,
    )
    dead = [
        m
        for topic in (topics.interactions_dlq,)
        for m in await topic_messages(broker.bootstrap_servers, topic)
    ]
    assert statuses == Counter({202: 1500})
    assert len(stored) == 1500 and all(r["desktop_pos"] is not None for r in stored)
    assert len({json.loads(m.value)["id"] for m in published}) == 1500
    expected = [r["id"] for r in stored]
    # Exactly once each, in the desktops' commit order, on both screens.
    assert ids(data(sse), run_id) == expected
    assert ids(ws, run_id) == expected
    sse_positions = [e["data"]["seq"] for e in sse]
    assert sse_positions == sorted(set(sse_positions))
    assert [int(e["id"]) for e in sse] == sse_positions
    assert dead == []


async def test_a_desktop_away_for_400_recommendations_gets_all_400_on_resume(
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    ingest, signals, actions = services("ingest"), services("signals"), services("actions")
    for process in (ingest, signals, actions):
        await process.wait_ready()
    url = base_url(actions)
    token = await create_agent(pool, f"agent-{run_id}", QUEUES, "Away")

    async with sse_listener(url, token) as first:
        await send_paced(base_url(ingest), api_key, [moment(run_id, 0)], per_second=100)
        await eventually(has(1, first), 60, "the first recommendation")
    last_seen = first[-1]["data"]["seq"]

    # Away: 400 more are decided and stored while no desktop is connected.
    missed = [moment(run_id, n) for n in range(1, 401)]
    statuses = await send_paced(base_url(ingest), api_key, missed, per_second=200)

    async def all_stored() -> bool:
        # Stored and given their desktop position (which follows the decision's commit):
        # the order the desktop must see is the positions' order.
        rows = await desktop_rows(pool, run_id)
        return len(rows) == 401 and all(r["desktop_pos"] is not None for r in rows)

    await eventually(all_stored, 90, "401 stored and placed recommendations")
    stored = await desktop_rows(pool, run_id)
    expected = [r["id"] for r in stored[1:]]

    async with (
        sse_listener(url, token, last_event_id=str(last_seen)) as resumed_sse,
        ws_listener(url, token, last_seq=last_seen) as resumed_ws,
    ):
        await eventually(
            has(400, resumed_sse, resumed_ws),
            30,
            "400 resumed recommendations on SSE and WS",
        )
    assert statuses == Counter({202: 400})
    assert ids(data(resumed_sse), run_id) == expected
    assert ids(resumed_ws, run_id) == expected
