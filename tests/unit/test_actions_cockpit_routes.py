"""The cockpit's routes in-process (httpx ASGI transport, fakes for the stores): stream
tickets are issued only for a token in the header and refused once spent; the customer
API answers the agent's customers and the same 404 for everyone else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import FastAPI

from schemas.customers import CustomerRecord
from schemas.recommendations import Outcome
from schemas.signals import Signal
from services.actions.adapters.push import DesktopHub
from services.actions.adapters.tickets import StreamTicket
from services.actions.domain.desktop import Agent, StoredRecommendation
from services.actions.routes import customers, desktop, tickets
from services.plumbing.problems import install_problem_handlers
from tests.unit.builders import new_customer
from tests.unit.cockpit_builders import CARE, NOW, RETENTION, record, signal, stored

TOKENS = {"tok-ret": RETENTION, "tok-care": CARE}


class FakePeople:
    async def agent_by_token(self, token: str) -> Agent | None:
        return TOKENS.get(token)


@dataclass
class FakeTickets:
    issued: dict[str, Agent] = field(default_factory=dict)

    async def issue(self, agent: Agent) -> StreamTicket:
        ticket = f"smt_{len(self.issued)}"
        self.issued[ticket] = agent
        return StreamTicket(ticket, NOW + timedelta(seconds=60))

    async def spend(self, ticket: str) -> Agent | None:
        return self.issued.pop(ticket, None)


@dataclass
class FakeStores:
    records: dict[str, CustomerRecord] = field(default_factory=dict)
    recommendations: dict[str, list[StoredRecommendation]] = field(default_factory=dict)
    signals_of: dict[str, list[Signal]] = field(default_factory=dict)

    async def get(self, customer_id: str) -> CustomerRecord | None:
        return self.records.get(customer_id)

    async def for_customer(self, customer_id: str) -> list[StoredRecommendation]:
        return self.recommendations.get(customer_id, [])

    async def signals(self, customer_id: str) -> list[Signal]:
        return self.signals_of.get(customer_id, [])

    async def outcomes(self, customer_id: str) -> list[Outcome]:
        return []

    async def desktop_head(self) -> int:
        return 41


def app_with(stores: FakeStores, ticket_store: FakeTickets) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    for module in (tickets, customers, desktop):
        app.include_router(module.router)
    app.state.runtime = SimpleNamespace(
        people=FakePeople(),
        tickets=ticket_store,
        repository=stores,
        customers=stores,
        history=stores,
        hub=DesktopHub(),
        settings=SimpleNamespace(actions_desktop_poll_s=1.0, actions_allowed_origins=[]),
    )
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://actions")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_ticket_is_issued_for_the_token_in_the_header_and_says_where_the_queue_ends() -> (
    None
):
    ticket_store = FakeTickets()
    async with client(app_with(FakeStores(), ticket_store)) as http:
        issued = await http.post("/v1/desktop/tickets", headers=bearer("tok-ret"))
        in_the_url = await http.post("/v1/desktop/tickets?access_token=tok-ret")
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    body = issued.json()
    assert body["ticket"] in ticket_store.issued and body["head"] == 41
    assert body["agent"] == {"id": RETENTION.id, "name": "Rory", "queues": ["retention"]}
    assert in_the_url.status_code == 401  # the token is not taken from a URL here
    assert in_the_url.headers["content-type"] == "application/problem+json"


async def test_a_spent_or_unknown_ticket_opens_no_stream() -> None:
    ticket_store = FakeTickets()
    async with client(app_with(FakeStores(), ticket_store)) as http:
        for ticket in ("smt_never_issued", ""):
            refused = await http.get(f"/v1/desktop/stream?ticket={ticket}")
            assert refused.status_code == 401
        issued = (await http.post("/v1/desktop/tickets", headers=bearer("tok-ret"))).json()
        await ticket_store.spend(issued["ticket"])  # as the first connection did
        again = await http.get(f"/v1/desktop/stream?ticket={issued['ticket']}")
    assert again.status_code == 401
    assert "spent or expired" in again.json()["detail"]


async def test_the_customer_api_answers_the_agents_customer_and_the_same_404_otherwise() -> None:
    customer, elsewhere = new_customer(), new_customer()
    now = datetime.now(UTC)  # the route reads the clock: the call and the expiry are real
    later = now + timedelta(hours=1)
    stores = FakeStores(
        records={customer: record(customer, agent_id=RETENTION.id, started=now)},
        recommendations={
            customer: [
                stored(customer, priority=60, expires=later),
                stored(customer, priority=90, expires=later),
            ],
            elsewhere: [stored(elsewhere, queue="care")],
        },
        signals_of={customer: [signal(customer, NOW - timedelta(minutes=5))]},
    )
    async with client(app_with(stores, FakeTickets())) as http:
        mine = await http.get(f"/v1/customers/{customer}", headers=bearer("tok-ret"))
        not_mine = await http.get(f"/v1/customers/{elsewhere}", headers=bearer("tok-ret"))
        unknown = await http.get("/v1/customers/nobody", headers=bearer("tok-ret"))
        anonymous = await http.get(f"/v1/customers/{customer}")
    assert mine.status_code == 200
    view: dict[str, Any] = mine.json()
    assert view["on_call"] and view["profile"]["name"] == "Ada"
    assert view["health"]["reasons"][0]["text"] == "A complaint about billing"
    assert [r["priority"] for r in view["open_recommendations"]] == [90, 60]
    assert view["timeline"][0]["kind"] == "signal"
    assert not_mine.status_code == unknown.status_code == 404
    assert not_mine.json()["title"] == unknown.json()["title"] == "Not found"
    assert not_mine.json()["detail"].replace(elsewhere, "X") == unknown.json()["detail"].replace(
        "nobody", "X"
    )
    assert anonymous.status_code == 401
