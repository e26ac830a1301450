"""The access matrix against a real actions process (OWASP API1): an agent reads and acts
only on recommendations of its queues or its live contacts; holdout ones are invisible
and never actionable; a revoked agent is refused; a foreign page cannot open a desktop
WebSocket."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx
import pytest
import websockets

from schemas.topics import Topics
from services.actions.adapters.people import create_agent, revoke_agent
from services.actions.domain.policy import in_holdout
from tests.faults.conftest import Broker, base_url
from tests.harness import ServiceProcess, eventually, produce
from tests.integration.test_actions_restart import cancellation

SALT = "drill-salt"


def customers(run_id: str, held_out: bool, n: int = 1) -> list[str]:
    found, i = [], 0
    while len(found) < n:
        customer = f"a{run_id}-{i}"
        if in_holdout(customer, 50, SALT) == held_out:
            found.append(customer)
        i += 1
    return found


async def test_agents_see_and_act_only_on_what_is_theirs(
    broker: Broker,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    run_id: str,
) -> None:
    actions = services("actions", ACTIONS_HOLDOUT_PERCENT="50", ACTIONS_HOLDOUT_SALT=SALT)
    await actions.wait_ready()
    retention = await create_agent(pool, f"ret-{run_id}", ["retention"], "Retention")
    care = await create_agent(pool, f"care-{run_id}", ["care"], "Care")
    treated, held = customers(run_id, False)[0], customers(run_id, True)[0]
    await produce(
        broker.bootstrap_servers,
        topics.signals,
        [(c.encode(), cancellation(c, 0).model_dump_json().encode(), []) for c in (treated, held)],
    )

    async def both_decided() -> list[asyncpg.Record] | None:
        rows = await pool.fetch(
            "select id, customer_id, holdout from recommendations where customer_id = any($1)",
            [treated, held],
        )
        return rows if len(rows) == 2 else None

    rows = {r["customer_id"]: r for r in await eventually(both_decided, 60, "two decisions")}
    assert rows[held]["holdout"] and not rows[treated]["holdout"]
    url = base_url(actions)

    async with httpx.AsyncClient(base_url=url) as client:

        def as_agent(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        async def listed(token: str, customer: str) -> list[str]:
            answer = await client.get(
                f"/v1/customers/{customer}/recommendations", headers=as_agent(token)
            )
            assert answer.status_code == 200
            return [r["id"] for r in answer.json()["recent"]]

        async def outcome(token: str, rec_id: str) -> int:
            answer = await client.post(
                f"/v1/recommendations/{rec_id}/outcome",
                json={"outcome": "accepted"},
                headers=as_agent(token),
            )
            return answer.status_code

        matrix = {
            "retention lists its queue's": await listed(retention, treated),
            "care lists another queue's": await listed(care, treated),
            "retention lists a holdout one": await listed(retention, held),
        }
        acts = {
            "care acts on another queue's": await outcome(care, rows[treated]["id"]),
            "retention acts on a holdout one": await outcome(retention, rows[held]["id"]),
            "retention acts on an unknown id": await outcome(retention, "rec_guessed"),
            "retention acts on its queue's": await outcome(retention, rows[treated]["id"]),
        }
        await revoke_agent(pool, f"ret-{run_id}")

        async def refused() -> bool:  # within the agent cache's lifetime
            answer = await client.get(
                f"/v1/customers/{treated}/recommendations", headers=as_agent(retention)
            )
            return answer.status_code == 401

        await eventually(refused, 15, "the revoked token refused")

    assert matrix == {
        "retention lists its queue's": [rows[treated]["id"]],
        "care lists another queue's": [],
        "retention lists a holdout one": [],
    }
    assert acts == {
        "care acts on another queue's": 404,
        "retention acts on a holdout one": 404,
        "retention acts on an unknown id": 404,
        "retention acts on its queue's": 201,
    }
    outcomes = await pool.fetch("select recommendation_id from outcomes")
    assert [o["recommendation_id"] for o in outcomes] == [rows[treated]["id"]]

    ws_url = url.replace("http://", "ws://") + "/v1/desktop/ws"
    with pytest.raises(websockets.InvalidStatus):  # closed before the handshake completes
        async with websockets.connect(
            ws_url, additional_headers={**as_agent(care), "Origin": "https://evil.example"}
        ):
            pass
    async with websockets.connect(
        ws_url, additional_headers={**as_agent(care), "Origin": url}
    ) as own_page:
        assert own_page.protocol.state.name == "OPEN"
