"""Drills with bad content and broken dependencies: no event of any content stops the
pipeline, no request gets a 500, and every event accepted is processed or dead-lettered
with its reason. Counted at every stage: answered, dead-lettered (by path), stored, on
the desktop.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from schemas.signals import CustomerSnapshot, EventRef, Signal, SignalType
from schemas.topics import Topics
from services.actions.adapters.people import create_agent
from services.ingest.adapters.keys import create_key
from services.plumbing.database import migrate
from tests.faults.conftest import Broker, Postgres, base_url
from tests.faults.test_desktop_delivery import QUEUES, desktop_rows, moment
from tests.faults.test_kill_and_handover import browser_desktop, send_retrying
from tests.harness import ServiceProcess, eventually, produce, topic_messages

STRUCTURED = {"Content-Type": "application/cloudevents+json"}


def poison(run_id: str) -> dict[str, bytes]:
    """Bodies no downstream stage can hold, each as the bytes a channel might send."""
    good = json.dumps(moment(run_id, 9_998))

    def variant(n: int, old: str, new: str) -> bytes:
        return good.replace(f"e{run_id}-9998", f"p{run_id}-{n}").replace(old, new, 1).encode()

    deep = '{"specversion":"1.0","data":' + "[" * 100_000 + "]" * 100_000 + "}"
    return {
        "nul in subject": variant(1, f'"c{run_id}-9998"', f'"c{run_id}\\u0000"'),
        "nul in data": variant(2, '"broadband"', '"broad\\u0000band"'),
        "lone surrogate": variant(3, f'"c{run_id}-9998"', '"c\\ud800"'),
        "600 KB field": variant(4, '"broadband"', json.dumps("b" * 600_000)),
        "5000-digit integer": variant(5, '"price"', "9" * 5000),
        "NaN": variant(6, '"price"', "NaN"),
        "100k deep": deep.encode(),
    }


def dead_letters_by_path(messages: list[Any]) -> Counter[str]:
    return Counter(dict(m.headers)["dlq_path"].decode() for m in messages)


async def test_poison_at_both_ingest_paths_and_behind_them_stops_nothing(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    running = [services("ingest"), services("signals"), services("actions")]
    for process in running:
        await process.wait_ready()
    ingest = base_url(running[0])
    bad = poison(run_id)
    goods = [moment(run_id, n) for n in range(40)]

    answers: list[httpx.Response] = []
    auth = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as client:
        for n, body in enumerate(bad.values()):
            await send_retrying(ingest, api_key, goods[n * 2 : n * 2 + 2], per_second=100)
            answers.append(
                await client.post("/v1/events", content=body, headers={**auth, **STRUCTURED})
            )
    # The same poison on the Kafka path, around good events.
    await produce(
        broker.bootstrap_servers,
        topics.interactions_raw,
        [
            item
            for n, body in enumerate(bad.values())
            for item in [
                (f"c{run_id}-{20 + n}".encode(), json.dumps(goods[20 + n]).encode(), []),
                (None, body, [("content-type", b"application/cloudevents+json")]),
            ]
        ],
    )
    # Behind ingest: a signal PostgreSQL cannot store (NUL), straight onto `signals`.
    now = datetime.now(UTC)
    nul_signal = Signal(
        id=f"sig-{run_id}-nul",
        type=SignalType.complaint,
        customer_id=f"n{run_id}",
        strength=0.9,
        reasons=["said \u0000 something"],
        evidence=[EventRef(source="/channels/test", id="x", type="complaint.filed", time=now)],
        customer=CustomerSnapshot(),
        occurred_at=now,
        detected_at=now,
    )
    await produce(
        broker.bootstrap_servers,
        topics.signals,
        [(nul_signal.customer_id.encode(), nul_signal.model_dump_json().encode(), [])],
    )
    await send_retrying(ingest, api_key, goods[34:], per_second=100)  # and after all that

    async def all_good_ones_stored() -> bool:
        return len(await desktop_rows(pool, run_id)) >= 14 + 7 + 6

    await eventually(all_good_ones_stored, 60, "every good event's recommendation")

    async def every_poison_dead_lettered() -> Counter[str] | None:
        found = dead_letters_by_path(
            await topic_messages(broker.bootstrap_servers, topics.interactions_dlq)
        )
        return found if sum(found.values()) >= 2 * len(bad) + 1 else None

    dead = await eventually(every_poison_dead_lettered, 30, "the poison dead-lettered")
    stored = await desktop_rows(pool, run_id)
    statuses = [a.status_code for a in answers]
    fields = {name: a.json()["errors"][0]["field"] for name, a in zip(bad, answers, strict=True)}

    assert statuses == [400] * len(bad), dict(zip(bad, statuses, strict=True))
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    assert fields == {
        "nul in subject": "subject",
        "nul in data": "data.product",
        "lone surrogate": "subject",
        "600 KB field": "data.product",
        "5000-digit integer": "data.reason",
        "NaN": "data.reason",
        "100k deep": "body",
    }
    assert dead == Counter({"http": len(bad), "kafka": len(bad), "actions": 1})
    assert len(stored) == 14 + 7 + 6  # every good one, before, between and after
    assert all(p.process is not None and p.process.poll() is None for p in running)


async def test_postgres_restarted_under_traffic_gives_no_500_and_loses_nothing(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    own_postgres: Postgres,
    run_id: str,
) -> None:
    await migrate(own_postgres.url)
    connection = await asyncpg.connect(own_postgres.url)
    try:
        key = (await create_key(connection, "/channels/test", ["*"], "drill")).key
        await create_agent(connection, f"agent-{run_id}", QUEUES, "Drill")
    finally:
        await connection.close()
    running = [services(name, DATABASE_URL=own_postgres.url) for name in SERVICES]
    for process in running:
        await process.wait_ready()
    ingest = base_url(running[0])
    events = [moment(run_id, n) for n in range(120)]
    statuses: Counter[int] = Counter()

    async def send(batch: list[dict[str, Any]], until_accepted: bool) -> list[dict[str, Any]]:
        """POST each event (again while 503 if `until_accepted`); returns those refused."""
        refused = []
        async with httpx.AsyncClient(base_url=ingest, timeout=30) as client:
            for event in batch:
                while True:
                    response = await client.post(
                        "/v1/events",
                        content=json.dumps(event),
                        headers={"Authorization": f"Bearer {key}", **STRUCTURED},
                    )
                    statuses[response.status_code] += 1
                    assert response.status_code in (202, 503), response.text
                    if response.status_code == 202:
                        break
                    assert "Retry-After" in response.headers
                    assert "same id" in response.json()["detail"]
                    if not until_accepted:
                        refused.append(event)
                        break
        return refused

    await send(events[:40], until_accepted=True)
    own_postgres.stop()  # pg_ctl stop -m fast: open connections end, new ones are refused
    refused = await send(events[40:50], until_accepted=False)
    own_postgres.start()  # while it starts, connections get 57P03 "starting up"
    await send([*refused, *events[50:]], until_accepted=True)

    pool = await asyncpg.create_pool(own_postgres.url, min_size=1, max_size=2)
    try:

        async def all_stored() -> bool:
            return len(await desktop_rows(pool, run_id)) >= 120

        await eventually(all_stored, 90, "120 recommendations after the restart")
        stored = await desktop_rows(pool, run_id)
    finally:
        await pool.close()
    assert statuses[500] == 0
    assert statuses[202] == 120
    assert len(stored) == 120 and len({r["id"] for r in stored}) == 120
    assert len(refused) == 10  # PostgreSQL was down for all of them: each a truthful 503
    assert all(p.process is not None and p.process.poll() is None for p in running)


SERVICES = ("ingest", "signals", "actions")


async def test_services_started_before_the_broker_and_postgres_wait_and_then_work(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    own_postgres: Postgres,
    run_id: str,
) -> None:
    url = own_postgres.url
    own_postgres.stop()
    broker.pause()  # frozen: connections hang, as with a broker not yet answering
    running = [services(name, DATABASE_URL=url) for name in SERVICES]
    try:
        for process in running:
            assert process.process is not None

        async def all_waiting() -> bool:
            logs = [p.log_tail(200) for p in running]
            return all("waiting for" in log.lower() for log in logs)

        await eventually(all_waiting, 30, "every service saying what it waits for")
        assert all(p.process is not None and p.process.poll() is None for p in running)
    finally:
        broker.resume()
    own_postgres.start()
    await migrate(own_postgres.url)
    connection = await asyncpg.connect(own_postgres.url)
    try:
        key = (await create_key(connection, "/channels/test", ["*"], "drill")).key
    finally:
        await connection.close()
    for process in running:
        await process.wait_ready(90)
    await send_retrying(base_url(running[0]), key, [moment(run_id, n) for n in range(6)], 50)
    pool = await asyncpg.create_pool(own_postgres.url, min_size=1, max_size=2)
    try:

        async def six_stored() -> bool:
            return len(await desktop_rows(pool, run_id)) == 6

        await eventually(six_stored, 60, "six recommendations")
    finally:
        await pool.close()


async def test_a_broker_frozen_mid_stream_loses_and_doubles_nothing_up_to_the_screen(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    running = [services(name) for name in SERVICES]
    for process in running:
        await process.wait_ready()
    token = await create_agent(pool, f"agent-{run_id}", QUEUES, "Watching")
    events = [moment(run_id, n) for n in range(200)]
    ingest = base_url(running[0])

    async with browser_desktop(base_url(running[2]), token) as screen:
        first = await send_retrying(ingest, api_key, events[:100], per_second=100)
        broker.pause()  # SIGSTOP: every connection hangs, nothing is refused
        frozen = asyncio.create_task(send_retrying(ingest, api_key, events[100:], 100))
        await asyncio.sleep(8)  # the outage itself: how long the broker stays frozen
        broker.resume()
        accepted = {**first, **await frozen}

        async def all_on_screen() -> bool:
            return len({r["id"] for r in screen}) >= 200

        await eventually(all_on_screen, 90, "200 recommendations on the desktop")

    stored = await desktop_rows(pool, run_id)
    mine = [r["id"] for r in screen if r["customer_id"].startswith(f"c{run_id}-")]
    assert len(accepted) == 200
    assert len(stored) == 200
    assert sorted(mine) == sorted(r["id"] for r in stored) and len(mine) == len(set(mine))
    assert all(p.process is not None and p.process.poll() is None for p in running)
