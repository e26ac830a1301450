"""The whole path on a real broker and PostgreSQL: an event in, a recommendation out on
the desktop streams, once; an outcome back into PostgreSQL and onto `outcomes`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import websockets

from schemas.topics import Topics
from services.actions.adapters.people import create_agent
from tests.backends import Backend
from tests.harness import ServiceProcess, cloudevent, eventually, read_topic, sse_listener
from tests.integration.conftest import base_url


async def test_event_becomes_one_recommendation_on_sse_and_websocket_and_outcome_is_stored(
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
    actions_url = base_url(actions)
    token = await create_agent(pool, f"agent-{run_id}", ["retention", "complaints"], "Test")
    other_token = await create_agent(pool, f"other-{run_id}", ["collections"], "Elsewhere")
    customer = f"cust-{run_id}"
    cancel = cloudevent(
        customer,
        "cancellation.requested",
        {"channel": "voice", "product": "broadband", "reason": "price"},
        event_id=f"cancel-{run_id}",
    )
    complaint = cloudevent(
        customer,
        "complaint.filed",
        {"channel": "email", "category": "billing", "severity": "high"},
        event_id=f"complaint-{run_id}",
    )
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/cloudevents+json"}
    ws_url = actions_url.replace("http://", "ws://") + f"/v1/desktop/ws?access_token={token}"

    async with (
        sse_listener(actions_url, token) as sse,
        sse_listener(actions_url, other_token) as other_sse,
        websockets.connect(ws_url) as ws,
        httpx.AsyncClient(base_url=base_url(ingest)) as client,
    ):
        for event in (cancel, cancel, complaint):  # the cancellation is sent twice
            response = await client.post("/v1/events", content=json.dumps(event), headers=headers)
            assert response.status_code == 202

        async def two_on_sse() -> bool:
            return len([e for e in sse if e["data"]["customer_id"] == customer]) >= 2

        await eventually(two_on_sse, 60, "two recommendations on SSE")
        ws_messages: list[dict[str, Any]] = []
        while len(ws_messages) < 2:  # after the agent's open backlog, which other tests share
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["customer_id"] == customer:
                ws_messages.append(message)

    mine = [e["data"] for e in sse if e["data"]["customer_id"] == customer]
    codes = sorted(r["action"]["code"] for r in mine)
    assert codes == ["complaints.own_it", "retention.ask_what_changed"]
    retention = next(r for r in mine if r["queue"] == "retention")
    assert retention["why"]["signals"][0]["type"] == "cancellation_risk"
    assert "Asked to cancel broadband on voice" in retention["why"]["reasons"]
    assert retention["priority"] == 90 and retention["channel"] == "desktop"
    assert {m["id"] for m in ws_messages} == {r["id"] for r in mine}
    assert all(int(e["id"]) == e["data"]["seq"] for e in sse)
    assert not [e for e in other_sse if e["data"]["customer_id"] == customer]  # not its queue

    # The re-sent cancellation made no second signal and no second recommendation.
    signals_seen = await read_topic(
        backend.bootstrap_servers, topics.signals, lambda m: len(m) >= 2, deadline_s=10
    )
    kinds = sorted(json.loads(m.value)["type"] for m in signals_seen)
    assert kinds == ["cancellation_risk", "complaint"]
    stored = await pool.fetch(
        "select action_code from recommendations where customer_id = $1", customer
    )
    assert sorted(r["action_code"] for r in stored) == codes

    async with httpx.AsyncClient(base_url=actions_url) as client:
        auth = {"Authorization": f"Bearer {token}"}
        outcome = await client.post(
            f"/v1/recommendations/{retention['id']}/outcome",
            json={"outcome": "accepted", "note": "moving abroad; offered a pause"},
            headers=auth,
        )
        unknown = await client.post(
            "/v1/recommendations/rec_nope/outcome", json={"outcome": "accepted"}, headers=auth
        )
        bad = await client.post(
            f"/v1/recommendations/{retention['id']}/outcome",
            json={"outcome": "maybe"},
            headers=auth,
        )
        anonymous = await client.post(
            f"/v1/recommendations/{retention['id']}/outcome", json={"outcome": "accepted"}
        )
        screen_pop = await client.get(f"/v1/customers/{customer}/recommendations", headers=auth)

    assert outcome.status_code == 201
    assert outcome.json()["outcome"] == "accepted"
    assert outcome.json()["agent_id"] == f"agent-{run_id}"
    assert (
        unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    )
    assert bad.status_code == 422 and "outcome" in bad.json()["detail"]
    assert anonymous.status_code == 401
    row = await pool.fetchrow(
        "select outcome, note from outcomes where recommendation_id = $1", retention["id"]
    )
    assert (row["outcome"], row["note"]) == ("accepted", "moving abroad; offered a pause")
    body = screen_pop.json()
    assert [r["id"] for r in body["open"]] == [r["id"] for r in mine if r["queue"] != "retention"]
    assert {r["id"]: r["status"] for r in body["recent"]}[retention["id"]] == "accepted"
    outcomes = await read_topic(backend.bootstrap_servers, topics.outcomes, lambda m: len(m) >= 1)
    assert json.loads(outcomes[0].value)["recommendation_id"] == retention["id"]
    assert outcomes[0].key == customer.encode()

    # A desktop that reconnects with Last-Event-ID gets what it missed, and only that.
    first_seq = min(r["seq"] for r in mine)
    async with sse_listener(actions_url, token, last_event_id=str(first_seq)) as resumed:

        async def caught_up() -> bool:
            return any(e["data"]["customer_id"] == customer for e in resumed)

        await eventually(caught_up, 10, "resumed stream")
    assert [e["data"]["seq"] for e in resumed if e["data"]["customer_id"] == customer] == [
        max(r["seq"] for r in mine)
    ]


async def test_agent_on_a_live_contact_gets_that_customers_recommendations(
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    ingest, signals, actions = services("ingest"), services("signals"), services("actions")
    for process in (ingest, signals, actions):
        await process.wait_ready()
    agent = f"live-{run_id}"
    token = await create_agent(pool, agent, ["no-such-queue"], "On a call")
    customer = f"cust-{run_id}"
    events = [
        cloudevent(
            customer,
            "contact.started",
            {"channel": "voice", "agent_id": agent, "queue": "sales"},
            event_id="l-1",
        ),
        cloudevent(
            customer,
            "life_event.reported",
            {"channel": "voice", "kind": "bereavement"},
            event_id="l-2",
        ),
    ]
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/cloudevents+json"}
    async with (
        sse_listener(base_url(actions), token) as sse,
        httpx.AsyncClient(base_url=base_url(ingest)) as client,
    ):
        for event in events:
            assert (
                await client.post("/v1/events", content=json.dumps(event), headers=headers)
            ).status_code == 202

        # The stream also pops the customer up (`customer` events) for the agent on the call.
        def recommended() -> list[dict[str, Any]]:
            return [
                e["data"]
                for e in sse
                if e.get("event") == "recommendation" and e["data"]["customer_id"] == customer
            ]

        async def delivered() -> bool:
            return bool(recommended())

        await eventually(delivered, 60, "the live agent's recommendation")
        assert any(e.get("event") == "customer" and e["data"]["on_call"] for e in sse)
    [rec] = recommended()
    assert rec["agent_id"] == agent
    assert rec["action"]["code"] == "care.bereavement_support"
    assert rec["queue"] == "care"  # not one of this agent's queues: it came for the live call
    # signals published the customer's record; actions keeps the latest, live call and all.

    async def record_stored() -> asyncpg.Record | None:
        row: asyncpg.Record | None = await pool.fetchrow(
            "select version, live_agent_id, record from customers where customer_id = $1",
            customer,
        )
        return row if row is not None and row["version"] >= 2 else None

    row = await eventually(record_stored, 30, "the customer's record in actions")
    assert row["live_agent_id"] == agent
    record = row["record"]
    assert record["live_contact"]["agent_id"] == agent
    assert [m["kind"] for m in record["moments"]] == ["contact.started", "life_event.reported"]
    assert record["open_issues"][0]["key"] == "life_event:bereavement"
    assert 0 <= record["health"]["score"] <= 100 and record["health"]["reasons"]
