"""`make soak`: minutes of steady traffic while something breaks every `SOAK_FAULT_EVERY_S`.

Two signals workers and two actions replicas behind one ingest; an SSE desktop on one
actions replica that reconnects like EventSource, a WebSocket desktop on the other. In
turn: a signals worker is SIGKILLed and replaced, an actions replica is SIGKILLed and
replaced (its desktop reconnects), the broker is frozen for 5 s. At the end every stage is
counted, as in the fault tier, and the figures are written to bench/results/soak.json
(the README's "Soak" figures come from there). Not part of `make test`: it runs for
SOAK_MINUTES (default 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import websockets

from schemas.topics import Topics
from services.actions.adapters.people import create_agent
from tests.faults.conftest import Broker, base_url, port_of
from tests.faults.test_desktop_delivery import QUEUES, desktop_rows, moment
from tests.faults.test_kill_and_handover import browser_desktop, distinct, send_retrying
from tests.harness import ServiceProcess, eventually, topic_messages

MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
FAULT_EVERY_S = float(os.environ.get("SOAK_FAULT_EVERY_S", "45"))
RATE = float(os.environ.get("SOAK_EVENTS_PER_S", "40"))
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "soak.json"


@contextlib.asynccontextmanager
async def reconnecting_ws(url: str, token: str) -> AsyncIterator[list[dict[str, Any]]]:
    """A WebSocket desktop that reconnects with the last position it saw."""
    received: list[dict[str, Any]] = []

    async def follow() -> None:
        last = 0
        while True:
            ws_url = url.replace("http://", "ws://") + f"/v1/desktop/ws?last_seq={last}"
            with contextlib.suppress(OSError, websockets.WebSocketException):
                headers = {"Authorization": f"Bearer {token}"}
                async with websockets.connect(ws_url, additional_headers=headers) as ws:
                    async for message in ws:
                        body = json.loads(message)
                        if body.get("type") == "recommendation":
                            received.append(body)
                            last = max(last, int(body["seq"]))
            await asyncio.sleep(0.5)  # a desktop's reconnection delay

    task = asyncio.create_task(follow())
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_minutes_of_traffic_with_a_fault_every_few_seconds_lose_and_double_nothing(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    ingest = services("ingest")
    workers = [services("signals"), services("signals")]
    replicas = [services("actions"), services("actions")]
    for process in [ingest, *workers, *replicas]:
        await process.wait_ready()
    token = await create_agent(pool, f"agent-{run_id}", QUEUES, "Soak")
    total = int(MINUTES * 60 * RATE)
    events = [moment(run_id, n) for n in range(total)]
    faults: list[dict[str, Any]] = []
    started = time.monotonic()

    async def break_things() -> None:
        turn = 0
        while True:
            await asyncio.sleep(FAULT_EVERY_S)  # the fault schedule, not a readiness wait
            kind = ("kill signals", "kill actions", "freeze broker")[turn % 3]
            at = time.monotonic() - started
            if kind == "kill signals":
                victim = workers[turn % 2]
                victim.stop(signal.SIGKILL)
                workers[turn % 2] = services("signals", port=port_of(victim))
                await workers[turn % 2].wait_ready(90)
            elif kind == "kill actions":
                victim = replicas[turn % 2]
                victim.stop(signal.SIGKILL)
                replicas[turn % 2] = services("actions", port=port_of(victim))
                await replicas[turn % 2].wait_ready(90)
            else:
                broker.pause()
                await asyncio.sleep(5)  # the length of the freeze
                broker.resume()
            faults.append({"kind": kind, "at_s": round(at, 1)})
            turn += 1

    async with (
        browser_desktop(base_url(replicas[0]), token) as sse,
        reconnecting_ws(base_url(replicas[1]), token) as ws,
    ):
        chaos = asyncio.create_task(break_things())
        try:
            accepted = await send_retrying(base_url(ingest), api_key, events, per_second=RATE)
        finally:
            chaos.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chaos
        sent_for_s = time.monotonic() - started

        def mine(received: list[dict[str, Any]]) -> list[str]:
            return [r["id"] for r in received if r["customer_id"].startswith(f"c{run_id}-")]

        async def all_on_both() -> bool:
            return len(set(mine(sse))) >= total and len(set(mine(ws))) >= total

        await eventually(all_on_both, 180, f"{total} recommendations on both desktops")
        caught_up_s = time.monotonic() - started - sent_for_s

    stored = await desktop_rows(pool, run_id)
    bootstrap = broker.bootstrap_servers
    on_interactions = await distinct(bootstrap, topics.interactions)
    signalled = await distinct(bootstrap, topics.signals, "customer_id")
    published = await distinct(bootstrap, topics.recommendations("desktop"))
    dead = await topic_messages(bootstrap, topics.interactions_dlq)
    figures = {
        "minutes": MINUTES,
        "events_per_s": RATE,
        "events": total,
        "faults": faults,
        "accepted": len(accepted),
        "interactions_distinct": on_interactions[1],
        "interactions_messages": on_interactions[0],
        "signalled_customers": signalled[1],
        "stored": len(stored),
        "published_distinct": published[1],
        "sse_received": len(mine(sse)),
        "sse_distinct": len(set(mine(sse))),
        "ws_received": len(mine(ws)),
        "ws_distinct": len(set(mine(ws))),
        "dead_lettered": len(dead),
        "sending_s": round(sent_for_s, 1),
        "caught_up_after_s": round(caught_up_s, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")

    assert len(faults) >= 3
    assert len(accepted) == total
    assert on_interactions[1] == total and signalled[1] == total
    assert len(stored) == total and published[1] == total
    expected = sorted(r["id"] for r in stored)
    assert sorted(mine(sse)) == expected  # each once, across every reconnection
    assert sorted(mine(ws)) == expected
    assert dead == []
