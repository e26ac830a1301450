"""ingest's routes in-process (httpx's ASGI transport, no server, no broker, no database):
`create_app` with a fake publisher and key store, so what the HTTP layer adds (the
bearer key, the body limit, the request deadline, problem documents) is seen alone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest

from schemas.events import InteractionEvent
from services.ingest.app import create_app
from services.ingest.domain.access import ApiKey
from services.ingest.domain.rate_limit import RateLimits
from services.ingest.handlers import Ingest
from services.ingest.settings import Settings
from services.plumbing.problems import PROBLEM_JSON
from tests.unit.builders import attributes, new_customer
from tests.unit.test_ingest_handlers import FakePublisher

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
SECRET = "mk_test_secret"
KEY = ApiKey("key-test", "/channels/test", ("contact.*",))


class FakeKeys:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def find(self, secret: str) -> ApiKey | None:
        self.asked.append(secret)
        return KEY if secret == SECRET else None


class SlowPublisher(FakePublisher):
    async def publish(self, events: Sequence[InteractionEvent]) -> None:
        await asyncio.sleep(5)


def settings(**overrides: Any) -> Settings:
    return Settings(database_url="postgresql://unused/unused", **overrides)


def contact(customer: str) -> dict[str, Any]:
    data = {"channel": "voice", "queue": "care"}
    return attributes("contact.started", data, subject=customer, source="/channels/test/ivr")


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


async def client_for(
    publisher: FakePublisher, keys: FakeKeys | None, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    ingest = Ingest(publisher, RateLimits(1000, 2000), max_batch_events=10)
    app = create_app(settings(**overrides), ingest=ingest, keys=keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        yield client


@pytest.fixture
async def client(publisher: FakePublisher) -> AsyncIterator[httpx.AsyncClient]:
    async for made in client_for(publisher, FakeKeys()):
        yield made


def authorised(content_type: str = STRUCTURED) -> dict[str, str]:
    return {"Authorization": f"Bearer {SECRET}", "Content-Type": content_type}


async def test_a_structured_event_is_accepted_and_handed_to_the_publisher(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    customer = new_customer()
    event = contact(customer)

    response = await client.post("/v1/events", content=json.dumps(event), headers=authorised())

    assert response.status_code == 202
    assert response.json() == {"accepted": [event["id"]], "rejected": []}
    [[published]] = publisher.published
    assert (published.customer_id, published.envelope.id) == (customer, event["id"])


async def test_a_batch_names_each_refused_event_by_index_and_field(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    customer = new_customer()
    good, bad = contact(customer), contact(customer)
    bad["data"]["channel"] = "fax"

    response = await client.post(
        "/v1/events", content=json.dumps([good, bad]), headers=authorised(BATCH)
    )

    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == [good["id"]]
    [rejected] = body["rejected"]
    assert (rejected["index"], rejected["field"], rejected["status"]) == (
        1,
        "[1].data.channel",
        400,
    )
    assert [d.path for d in publisher.dead_letters] == ["http"]


async def test_no_bearer_key_is_a_401_problem_saying_what_to_send(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    response = await client.post(
        "/v1/events",
        content=json.dumps(contact(new_customer())),
        headers={"Content-Type": STRUCTURED},
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "type": "https://small-moments.dev/problems/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "send Authorization: Bearer <source API key>",
    }
    assert publisher.published == []


async def test_an_unknown_key_is_a_401_with_invalid_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/events",
        content=json.dumps(contact(new_customer())),
        headers={"Authorization": "Bearer  not-a-key ", "Content-Type": STRUCTURED},
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == "unknown or revoked API key"


async def test_before_the_key_store_is_connected_requests_get_503_not_ready(
    publisher: FakePublisher,
) -> None:
    async for client in client_for(publisher, None):
        response = await client.post(
            "/v1/events", content=json.dumps(contact(new_customer())), headers=authorised()
        )

        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json()["title"] == "Not ready"
        assert response.json()["detail"] == "key store not connected"


async def test_a_body_over_the_limit_is_a_413_and_nothing_is_published(
    publisher: FakePublisher,
) -> None:
    async for client in client_for(publisher, FakeKeys(), ingest_max_body_bytes=2048):
        event = contact(new_customer())
        event["data"]["reason"] = "x" * 4000

        response = await client.post("/v1/events", content=json.dumps(event), headers=authorised())

        assert response.status_code == 413
        assert response.json()["detail"] == "the body is over the 2048-byte limit"
        assert publisher.published == [] and publisher.dead_letters == []


async def test_a_request_over_its_deadline_is_a_503_that_says_it_may_have_been_stored() -> None:
    async for client in client_for(SlowPublisher(), FakeKeys(), ingest_request_timeout_s=0.2):
        response = await client.post(
            "/v1/events", content=json.dumps(contact(new_customer())), headers=authorised()
        )

        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        problem = response.json()
        assert problem["title"] == "Timed out"
        assert "took longer than 0.2s" in problem["detail"]
        assert "re-send with the same id" in problem["detail"]


async def test_operations_routes_answer_without_anything_connected(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"broker": True, "database": True})
    metrics = await client.get("/metrics")
    assert "moments_ingest_events_received_total" in metrics.text


async def test_the_openapi_description_documents_the_three_modes_and_every_error(
    client: httpx.AsyncClient,
) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/v1/events"]["post"]

    assert set(operation["requestBody"]["content"]) == {STRUCTURED, BATCH, "application/json"}
    assert {p["name"] for p in operation["parameters"]} >= {"ce-id", "ce-source", "atomic"}
    for status in ("400", "401", "403", "413", "415", "422", "429", "503"):
        assert PROBLEM_JSON in operation["responses"][status]["content"]
