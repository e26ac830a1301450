"""The decisioning routes in-process (FastAPI's TestClient) on fakes: channel outcomes,
the next best action, and a path that does not follow the guide."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemas.customers import CustomerRecord, LiveContact
from schemas.health import RelationshipHealth
from schemas.signals import CustomerSnapshot, SignalType
from schemas.topics import Topics
from services.actions.domain.desktop import Agent
from services.actions.handlers import Actions
from services.actions.routes import next_best_action, outcomes, recommendations
from services.plumbing.api_keys import ApiKey
from services.plumbing.problems import install_problem_handlers
from tests.unit.actions_fakes import MemoryPublisher, MemoryStore
from tests.unit.decisions import POLICY, SHIPPED, signal

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
AGENT = Agent("agent-1", "One", ("complaints",))
STRANGER = Agent("agent-2", "Two", ("collections",))


class People:
    async def agent_by_token(self, token: str) -> Agent | None:
        return {"sma_one": AGENT, "sma_two": STRANGER}.get(token)


class Keys:
    async def find(self, secret: str) -> ApiKey | None:
        return {
            "smk_email": ApiKey("key_email", "/channels/email", ("outcome",)),
            "smk_ivr": ApiKey("key_ivr", "/channels/ivr", ("contact.*",)),
        }.get(secret)


class Customers:
    def __init__(self) -> None:
        self.records: dict[str, CustomerRecord] = {}

    async def get(self, customer_id: str) -> CustomerRecord | None:
        return self.records.get(customer_id)


class Store(MemoryStore):
    async def for_customer(self, customer_id: str, limit: int = 50) -> list[Any]:
        rows = [r for r in self.rows.values() if r.recommendation.customer_id == customer_id]
        return [await self.get(r.recommendation.id) for r in rows if not r.recommendation.holdout]


@pytest.fixture
def world() -> Iterator[tuple[TestClient, Store, Customers]]:
    store, customers = Store(), Customers()
    handler = Actions(
        store,
        MemoryPublisher(),
        Topics("r."),
        SHIPPED,
        POLICY,
        clock=lambda: NOW,
        draws=lambda key: random.Random(1),
    )
    app = FastAPI()
    install_problem_handlers(app)
    for module in (outcomes, next_best_action, recommendations):
        app.include_router(module.router)
    app.state.runtime = SimpleNamespace(
        people=People(),
        channel_keys=Keys(),
        customers=customers,
        repository=store,
        actions=handler,
    )
    signals = [
        signal(SignalType.complaint, NOW - timedelta(hours=1), "cust-a"),
        signal(
            SignalType.price_shock,
            NOW - timedelta(minutes=30),
            "cust-a",
            details={
                "product": "tv bundle",
                "previous_price": 400.0,
                "quoted_price": 520.0,
                "currency": "EUR",
            },
        ),
    ]
    asyncio.run(handler.on_signals([(s, []) for s in signals]))
    with TestClient(app) as client:
        yield client, store, customers


def rec_of(store: Store, channel: str) -> str:
    return next(
        r.recommendation.id
        for r in store.rows.values()
        if r.recommendation.channel.value == channel
    )


def test_a_channel_posts_an_outcome_with_its_own_key(
    world: tuple[TestClient, Store, Customers],
) -> None:
    client, store, _ = world
    body = {"id": "mail-7", "recommendation_id": rec_of(store, "email"), "outcome": "accepted"}
    posted = client.post("/v1/outcomes", json=body, headers={"Authorization": "Bearer smk_email"})
    assert posted.status_code == 201
    assert posted.json()["channel"] == "email" and posted.json()["outcome"] == "accepted"
    again = client.post("/v1/outcomes", json=body, headers={"Authorization": "Bearer smk_email"})
    assert again.json()["id"] == posted.json()["id"]
    assert len(store.outcomes) == 1


@pytest.mark.parametrize(
    ("auth", "status", "words"),
    [
        (None, 401, "send Authorization: Bearer <channel API key>"),
        ("Bearer smk_nope", 401, "unknown or revoked API key"),
        ("Bearer smk_ivr", 403, "this key may not post outcomes"),
    ],
)
def test_a_channel_outcome_needs_a_key_that_may_post_outcomes(
    world: tuple[TestClient, Store, Customers], auth: str | None, status: int, words: str
) -> None:
    client, store, _ = world
    headers = {"Authorization": auth} if auth else {}
    body = {"id": "x", "recommendation_id": rec_of(store, "email"), "outcome": "declined"}
    answer = client.post("/v1/outcomes", json=body, headers=headers)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"]


def test_a_channel_outcome_for_an_unknown_recommendation_is_404_and_a_bad_body_422(
    world: tuple[TestClient, Store, Customers],
) -> None:
    client, _, _ = world
    auth = {"Authorization": "Bearer smk_email"}
    unknown = client.post(
        "/v1/outcomes",
        json={"id": "x", "recommendation_id": "rec_no", "outcome": "accepted"},
        headers=auth,
    )
    assert unknown.status_code == 404 and "rec_no" in unknown.json()["detail"]
    bad = client.post(
        "/v1/outcomes", json={"id": "x", "recommendation_id": "r", "outcome": "maybe"}, headers=auth
    )
    assert bad.status_code == 422
    assert any(e["field"].endswith("outcome") for e in bad.json()["errors"])


def test_the_next_best_action_is_for_agents_who_may_see_the_customer(
    world: tuple[TestClient, Store, Customers],
) -> None:
    client, store, customers = world
    auth = {"Authorization": "Bearer sma_one"}
    answer = client.get("/v1/customers/cust-a/next-best-action", headers=auth)
    assert answer.status_code == 200
    body = answer.json()
    assert body["customer_id"] == "cust-a" and body["winners"] == {}
    codes = {c["action_code"]: c for c in body["candidates"]}
    assert codes["complaints.own_it"]["verdict"] == "ineligible"  # answered by its open card
    assert codes["complaints.own_it"]["reason"] == (
        "Its issue complaint:billing already has an open recommendation"
        " (complaints.own_it on desktop), which this moment strengthens"
    )
    assert body["explanation"][0].startswith("2 signal(s) at")
    assert body["explanation"][1].startswith("Strengthened the open complaints.own_it")
    for row in store.rows.values():  # once the cards are dealt with, it decides afresh
        row.status = "completed"
    body = client.get("/v1/customers/cust-a/next-best-action", headers=auth).json()
    codes = {c["action_code"]: c for c in body["candidates"]}
    assert body["winners"]["desktop"] == ["complaints.own_it", "retention.fair_renewal_price"]
    assert (
        codes["complaints.own_it"]["verdict"] == "won" and codes["complaints.own_it"]["score"] > 0
    )
    assert "Would price tv bundle at 520.00 EUR" in codes["renewal.confirm_quote"]["reason"]
    assert len(store.rows) == 3  # asking stored nothing
    for token in ("sma_two", None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        refused = client.get("/v1/customers/cust-a/next-best-action", headers=headers)
        assert refused.status_code in (401, 404)
    nobody = client.get(
        "/v1/customers/cust-zz/next-best-action", headers={"Authorization": "Bearer sma_two"}
    )
    assert nobody.status_code == 404 and nobody.json()["detail"] == "no customer cust-zz for you"
    # an agent on a live contact with the customer may ask, whatever its queues
    customers.records["cust-a"] = CustomerRecord(
        customer_id="cust-a",
        profile=CustomerSnapshot(),
        health=RelationshipHealth(score=60, band="strained", computed_at=NOW),
        live_contact=LiveContact(agent_id="agent-2"),
        updated_at=NOW,
    )
    live = client.get(
        "/v1/customers/cust-a/next-best-action", headers={"Authorization": "Bearer sma_two"}
    )
    assert live.status_code == 200


def test_an_agent_outcome_whose_path_leaves_the_guide_is_a_422_naming_the_choice(
    world: tuple[TestClient, Store, Customers],
) -> None:
    client, store, _ = world
    rec_id = rec_of(store, "desktop")
    rec = store.rows[rec_id].recommendation
    assert rec.queue == "complaints"
    answer = client.post(
        f"/v1/recommendations/{rec_id}/outcome",
        json={"outcome": "accepted", "path": [{"step": "apologise", "answer": "Perhaps"}]},
        headers={"Authorization": "Bearer sma_one"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "field": "path[0].answer",
            "reason": "step 'apologise' offers 'Fixed now', "
            "'Needs a follow-up', 'They do not want to go into it'",
        }
    ]
    good = client.post(
        f"/v1/recommendations/{rec_id}/outcome",
        json={"outcome": "completed", "path": [{"step": "apologise", "answer": "Fixed now"}]},
        headers={"Authorization": "Bearer sma_one"},
    )
    assert good.status_code == 201 and good.json()["path"][0]["answer"] == "Fixed now"
