"""The erasure drill: an operator erases a customer; their rows leave PostgreSQL, their
state leaves the signals table and its changelog, and a signals worker restarted from
that changelog (SIGKILLed, then replaced) has no memory of them, while the customer next
to them keeps everything. Counted at every stage: rows per table, tombstones per topic,
the erasure record, the records signals makes afterwards."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from schemas.topics import Topics
from services.actions.adapters.people import create_agent, create_operator
from services.signals.runtime import changelog_topic
from tests.faults.conftest import Broker, base_url, port_of
from tests.faults.test_kill_and_handover import send_retrying
from tests.harness import ServiceProcess, cloudevent, eventually, topic_messages

SERVICES = ("ingest", "signals", "actions")
TABLES = ("signals", "recommendations", "outcomes", "customers", "decisions")


def story(customer: str, tag: str) -> list[dict[str, Any]]:
    return [
        cloudevent(
            customer,
            "contact.started",
            {"channel": "voice", "agent_id": "agent-x", "queue": "retention"},
            event_id=f"{tag}-1",
        ),
        cloudevent(
            customer,
            "cancellation.requested",
            {"channel": "voice", "product": "broadband", "reason": "price"},
            event_id=f"{tag}-2",
        ),
        cloudevent(
            customer,
            "complaint.filed",
            {"channel": "email", "category": "billing", "severity": "high"},
            event_id=f"{tag}-3",
        ),
    ]


async def rows(pool: asyncpg.Pool, customer: str) -> dict[str, int]:
    return {
        table: int(
            await pool.fetchval(f"select count(*) from {table} where customer_id = $1", customer)
        )
        for table in TABLES
    }


async def record_version(pool: asyncpg.Pool, customer: str) -> int:
    version = await pool.fetchval("select version from customers where customer_id = $1", customer)
    return int(version or 0)


async def test_an_erased_customer_is_gone_everywhere_and_stays_gone_after_a_restart(
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
    erased, kept = f"c{run_id}-erased", f"c{run_id}-kept"
    ingest, actions = base_url(running["ingest"]), base_url(running["actions"])
    await send_retrying(
        ingest, api_key, story(erased, f"e{run_id}") + story(kept, f"k{run_id}"), 50
    )

    async def both_decided_and_recorded() -> bool:
        counts = [await rows(pool, c) for c in (erased, kept)]
        versions = [await record_version(pool, c) for c in (erased, kept)]
        decided = all(c["recommendations"] >= 2 and c["customers"] == 1 for c in counts)
        return decided and min(versions) >= 3

    await eventually(both_decided_and_recorded, 60, "both customers decided and recorded")
    agent = await create_agent(pool, f"agent-{run_id}", ["retention", "complaints"], "Agent")
    operator = await create_operator(pool, f"op-{run_id}", "Operator")
    rec_id = await pool.fetchval(
        "select id from recommendations where customer_id = $1 limit 1", erased
    )
    async with httpx.AsyncClient(base_url=actions, timeout=10) as client:
        posted = await client.post(
            f"/v1/recommendations/{rec_id}/outcome",
            json={"outcome": "accepted"},
            headers={"Authorization": f"Bearer {agent}"},
        )
        assert posted.status_code == 201

        async def learned() -> bool:
            return bool(
                await pool.fetchval(
                    "select count(*) from learned_outcomes where customer_id = $1", erased
                )
            )

        await eventually(learned, 30, "the outcome learned from")
        before = {**await rows(pool, erased), "learned_outcomes": 1}
        as_agent = await client.delete(
            f"/v1/customers/{erased}", headers={"Authorization": f"Bearer {agent}"}
        )
        answer = await client.delete(
            f"/v1/customers/{erased}", headers={"Authorization": f"Bearer {operator}"}
        )
        assert as_agent.status_code == 401  # an agent may not erase
        assert answer.status_code == 202, answer.text
        erasure = answer.json()

        async def done() -> dict[str, Any] | None:
            progress = await client.get(
                f"/v1/erasures/{erasure['id']}", headers={"Authorization": f"Bearer {operator}"}
            )
            body: dict[str, Any] = progress.json()
            return body if body["state"] == "done" else None

        finished = await eventually(done, 30, "signals confirming the erasure")

    assert erasure["rows_deleted"] == before and before["outcomes"] == 1
    assert before["decisions"] >= 1
    assert erasure["operator_id"] == f"op-{run_id}" and "customer_id" not in erasure
    assert finished["confirmed_at"] and finished["published_at"]
    assert await rows(pool, erased) == dict.fromkeys(TABLES, 0)
    # The lesson stays, without the customer: a replay of `outcomes` must not teach twice.
    lesson = await pool.fetchrow(
        "select customer_id from learned_outcomes where recommendation_id = $1", rec_id
    )
    assert lesson is not None and lesson["customer_id"] is None
    kept_rows = await rows(pool, kept)
    assert kept_rows["recommendations"] >= 2 and kept_rows["customers"] == 1
    stored = await pool.fetchrow("select * from erasures where id = $1", erasure["id"])
    assert stored["customer_id"] is None and stored["customer_key"].startswith("cust_")

    # The topics: a tombstone for the erased customer on the changelog and on `customers`.
    changelog = changelog_topic(topics.prefix, f"signals-{run_id}")
    state_log = await topic_messages(broker.bootstrap_servers, changelog)
    last_state = [m for m in state_log if m.key == erased.encode()][-1]
    assert last_state.value is None
    records = await topic_messages(broker.bootstrap_servers, topics.customers)
    assert [m for m in records if m.key == erased.encode()][-1].value is None
    assert [m for m in records if m.key == kept.encode()][-1].value is not None

    # A worker restored from that changelog has no memory of the erased customer.
    kept_version = await record_version(pool, kept)
    running["signals"].stop(signal.SIGKILL)
    replacement = services("signals", port=port_of(running["signals"]))
    await replacement.wait_ready()
    after = [
        cloudevent(
            c,
            "feedback.submitted",
            {"channel": "app", "score": 9, "scale": "nps"},
            event_id=f"{c}-after",
        )
        for c in (erased, kept)
    ]
    await send_retrying(ingest, api_key, after, 50)

    async def both_recorded_again() -> bool:
        return await record_version(pool, erased) >= 1 and (
            await record_version(pool, kept) > kept_version
        )

    await eventually(both_recorded_again, 60, "new records after the restart")
    fresh = json.loads(
        await pool.fetchval("select record::text from customers where customer_id = $1", erased)
    )
    old = json.loads(
        await pool.fetchval("select record::text from customers where customer_id = $1", kept)
    )
    assert fresh["version"] == 1
    assert [m["kind"] for m in fresh["moments"]] == ["feedback.submitted"]
    assert [i["key"] for i in fresh["open_issues"]] == ["positive_moment:feedback"]
    assert fresh["live_contact"] is None
    assert old["version"] == kept_version + 1
    assert "cancellation.requested" in [m["kind"] for m in old["moments"]]
