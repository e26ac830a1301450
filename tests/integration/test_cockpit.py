"""The cockpit's plumbing on a real broker and PostgreSQL: single-use stream tickets
across replicas, and a call that pops its customer on the agent's stream (opened by
ticket), the customer API right behind it, and the path of an outcome kept."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import websockets

from schemas.topics import Topics
from services.actions.adapters.people import create_agent, revoke_agent
from services.actions.adapters.tickets import StreamTickets
from services.actions.domain.desktop import Agent
from services.plumbing.database import create_pool
from tests.backends import Backend
from tests.harness import ServiceProcess, cloudevent, eventually, read_topic, sse_listener
from tests.integration.conftest import base_url


async def test_a_ticket_opens_one_stream_once_on_any_replica_until_it_expires(
    database: str, pool: asyncpg.Pool, run_id: str
) -> None:
    agent = Agent(f"tix-{run_id}", "Tix", ("retention",))
    await create_agent(pool, agent.id, list(agent.queues), agent.name)
    other_pool = await create_pool(database, 2)  # a second replica: its own connections
    try:
        here, there = StreamTickets(pool, 60), StreamTickets(other_pool, 60)
        issued = await here.issue(agent)
        assert (
            await pool.fetchval(
                "select count(*) from stream_tickets where ticket_hash = $1", issued.ticket
            )
            == 0
        )  # only a hash of it is kept
        spent = await asyncio.gather(*(r.spend(issued.ticket) for r in (here, there) * 3))
        assert [a for a in spent if a is not None] == [agent]  # exactly one, of six tries

        short = StreamTickets(pool, 0.05)
        expiring = await short.issue(agent)

        async def past_its_time() -> bool:
            return bool(await pool.fetchval("select clock_timestamp() > $1", expiring.expires_at))

        await eventually(past_its_time, 5, "the short ticket's expiry")
        assert await there.spend(expiring.ticket) is None

        before_revocation = await here.issue(agent)
        await revoke_agent(pool, agent.id)
        assert await there.spend(before_revocation.ticket) is None
        assert await there.spend("smt_made_up") is None
    finally:
        await other_pool.close()


async def test_a_call_pops_its_customer_on_the_agents_stream_and_the_path_is_kept(
    backend: Backend,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    ingest, signals, actions = services("ingest"), services("signals"), services("actions")
    for process in (ingest, signals, actions):
        await process.wait_ready()
    url = base_url(actions)
    agent_id = f"pop-{run_id}"
    token = await create_agent(pool, agent_id, ["care"], "Pop")
    customer = f"cust-{run_id}"
    auth = {"Authorization": f"Bearer {token}"}

    def moment(event_type: str, data: dict[str, Any], n: int) -> dict[str, Any]:
        return cloudevent(customer, event_type, data, event_id=f"{run_id}-{n}")

    async with (
        httpx.AsyncClient(base_url=url) as agent_api,
        httpx.AsyncClient(
            base_url=base_url(ingest),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/cloudevents+json",
            },
        ) as channel,
    ):

        async def ticket() -> str:
            issued = await agent_api.post("/v1/desktop/tickets", headers=auth)
            assert issued.status_code == 201
            return str(issued.json()["ticket"])

        async def send(event: dict[str, Any]) -> None:
            assert (await channel.post("/v1/events", content=json.dumps(event))).status_code == 202

        first = await ticket()
        async with sse_listener(url, None, ticket=first) as stream:
            reused = await agent_api.get(f"/v1/desktop/stream?ticket={first}")
            assert reused.status_code == 401
            ws_url = url.replace("http://", "ws://") + f"/v1/desktop/ws?ticket={await ticket()}"
            async with websockets.connect(ws_url) as ws:
                sent = time.monotonic()
                await send(
                    moment(
                        "contact.started",
                        {"channel": "voice", "agent_id": agent_id, "queue": "care"},
                        1,
                    )
                )

                async def popped() -> dict[str, Any] | None:
                    return next((e for e in stream if e.get("event") == "customer"), None)

                pop = await eventually(popped, 10, "the screen-pop on the stream")
                # The stream opens with what is open in the agent's queues (other tests'
                # too): the pop is the first `customer` message, whatever came before.
                on_ws = json.loads(await asyncio.wait_for(ws.recv(), 10))
                while on_ws["type"] != "customer":
                    on_ws = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert pop["data"]["customer_id"] == customer and pop["data"]["on_call"]
            assert pop["data"]["live_contact"]["agent_id"] == agent_id
            assert "id" not in pop  # a pop is not a position to resume from
            assert pop["at"] - sent < 5
            assert on_ws["type"] == "customer" and on_ws["customer_id"] == customer

            # Stored before the stream heard of it: the customer API answers at once.
            view = await agent_api.get(f"/v1/customers/{customer}", headers=auth)
            assert view.status_code == 200 and view.json()["on_call"]

            await send(moment("cancellation.requested", {"channel": "voice", "product": "tv"}, 2))

            async def recommended() -> dict[str, Any] | None:
                return next(
                    (
                        e["data"]
                        for e in stream
                        if e.get("event") == "recommendation"
                        and e["data"]["customer_id"] == customer
                    ),
                    None,
                )

            rec = await eventually(recommended, 30, "the call's recommendation")
            assert rec["agent_id"] == agent_id  # for the agent on the call, whatever the queue

            async with sse_listener(url, None, ticket=await ticket()) as joining:

                async def joined() -> list[dict[str, Any]]:
                    return [e for e in joining if e.get("event") == "customer"]

                # A stream opened during the call starts with its customer.
                assert (await eventually(joined, 10, "the live customer"))[0]["data"]["on_call"]

            # Declined at the guide's first step, before any answer: a path may stop there.
            path = [{"step": rec["action"]["guide"]["start"], "answer": None}]
            posted = await agent_api.post(
                f"/v1/recommendations/{rec['id']}/outcome",
                json={"outcome": "declined", "reason": "not_now", "path": path, "note": "busy"},
                headers=auth,
            )
            assert posted.status_code == 201
            assert (posted.json()["reason"], posted.json()["path"]) == ("not_now", path)
            await send(moment("contact.ended", {"channel": "voice", "outcome": "resolved"}, 3))

            async def ended() -> dict[str, Any] | None:
                pops = [e["data"] for e in stream if e.get("event") == "customer"]
                return pops[-1] if pops and not pops[-1]["on_call"] else None

            assert (await eventually(ended, 10, "the end of the call"))["live_contact"] is None

        view = (await agent_api.get(f"/v1/customers/{customer}", headers=auth)).json()
    outcome = next(e for e in view["timeline"] if e["kind"] == "outcome")
    assert (outcome["reason"], outcome["path"], outcome["note"]) == ("not_now", path, "busy")
    on_topic = await read_topic(
        backend.bootstrap_servers,
        topics.outcomes,
        lambda ms: any(json.loads(m.value)["recommendation_id"] == rec["id"] for m in ms),
    )
    published = next(
        json.loads(m.value)
        for m in on_topic
        if json.loads(m.value)["recommendation_id"] == rec["id"]
    )
    assert published["path"] == path and published["channel"] == "desktop"


async def test_a_snoozed_recommendation_comes_back_on_the_desktop_at_its_time(
    services: Callable[..., ServiceProcess], pool: asyncpg.Pool, api_key: str, run_id: str
) -> None:
    ingest, signals = services("ingest"), services("signals")
    actions = services("actions", ACTIONS_DESKTOP_POLL_S="0.5")
    for process in (ingest, signals, actions):
        await process.wait_ready()
    token = await create_agent(pool, f"snooze-{run_id}", ["complaints"], "Snoozer")
    customer = f"cust-{run_id}"
    event = cloudevent(
        customer,
        "complaint.filed",
        {"channel": "email", "category": "billing", "severity": "high"},
        event_id=f"snz-{run_id}",
    )
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        sse_listener(base_url(actions), token) as stream,
        httpx.AsyncClient(base_url=base_url(ingest)) as channel,
        httpx.AsyncClient(base_url=base_url(actions)) as agent,
    ):
        headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/cloudevents+json",
        }
        assert (
            await channel.post("/v1/events", content=json.dumps(event), headers=headers)
        ).status_code == 202

        def mine() -> list[dict[str, Any]]:
            return [e["data"] for e in stream if e["data"].get("customer_id") == customer]

        async def shown(times: int) -> list[dict[str, Any]] | None:
            found = mine()
            return found if len(found) >= times else None

        [first] = await eventually(lambda: shown(1), 30, "the recommendation")
        until = datetime.now(UTC) + timedelta(seconds=2)
        snoozed = await agent.post(
            f"/v1/recommendations/{first['id']}/outcome",
            json={"outcome": "snoozed", "snooze_until": until.isoformat()},
            headers=auth,
        )
        assert snoozed.status_code == 201
        again = (await eventually(lambda: shown(2), 30, "the recommendation back"))[1]
        back_at = datetime.now(UTC)
    assert again["id"] == first["id"] and again["status"] == "open"
    assert again["seq"] > first["seq"]  # a new place on the desktop, after its snooze
    assert back_at >= until
    row = await pool.fetchrow(
        "select status, snoozed_until from recommendations where id = $1", first["id"]
    )
    assert (row["status"], row["snoozed_until"]) == ("open", None)
