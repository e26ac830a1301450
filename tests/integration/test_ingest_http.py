"""ingest over HTTP against a real broker and PostgreSQL: modes, validation, auth, limits."""

from __future__ import annotations

import json
from collections.abc import Callable

import asyncpg
import httpx

from schemas.topics import Topics
from services.ingest.adapters.keys import create_key, revoke_key
from tests.backends import Backend
from tests.harness import ServiceProcess, cloudevent, read_topic
from tests.integration.conftest import base_url

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def headers_of(message: object) -> dict[str, str]:
    return {k: v.decode() for k, v in message.headers}  # type: ignore[attr-defined]


async def started_ingest(services: Callable[..., ServiceProcess], **env: str) -> str:
    ingest = services("ingest", **env)
    await ingest.wait_ready()
    return base_url(ingest)


async def test_structured_binary_and_batch_reach_interactions_keyed_by_customer(
    backend: Backend,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    api_key: str,
    run_id: str,
) -> None:
    url = await started_ingest(services)
    customer = f"cust-{run_id}"
    auth = {"Authorization": f"Bearer {api_key}"}
    structured = cloudevent(
        customer,
        "cancellation.requested",
        {"channel": "ivr", "product": "broadband"},
        event_id="s-1",
        source="/channels/test/ivr",
        time_="2026-11-23T10:00:00+01:00",
    )
    batch = [
        cloudevent(
            customer, "message.received", {"channel": "chat", "text": "hello"}, event_id=f"b-{i}"
        )
        for i in range(3)
    ]
    async with httpx.AsyncClient(base_url=url) as client:
        one = await client.post(
            "/v1/events",
            content=json.dumps(structured),
            headers={**auth, "Content-Type": STRUCTURED},
        )
        binary = await client.post(
            "/v1/events",
            content=json.dumps({"channel": "web", "journey": "change_address", "step": "postcode"}),
            headers={
                **auth,
                "Content-Type": "application/json",
                "ce-specversion": "1.0",
                "ce-id": "bin-1",
                "ce-source": "/channels/test/web",
                "ce-type": "selfservice.failed",
                "ce-subject": customer,
                "ce-time": "2026-11-23T10:05:00Z",
            },
        )
        many = await client.post(
            "/v1/events", content=json.dumps(batch), headers={**auth, "Content-Type": BATCH}
        )
    assert (one.status_code, one.json()) == (202, {"accepted": ["s-1"], "rejected": []})
    assert (binary.status_code, binary.json()["accepted"]) == (202, ["bin-1"])
    assert (many.status_code, many.json()["accepted"]) == (202, ["b-0", "b-1", "b-2"])

    messages = await read_topic(
        backend.bootstrap_servers, topics.interactions, lambda m: len(m) >= 5
    )
    by_id = {headers_of(m)["ce_id"]: m for m in messages}
    assert set(by_id) == {"s-1", "bin-1", "b-0", "b-1", "b-2"}
    assert all(m.key == customer.encode() for m in messages)
    # Every event of one customer lands on one partition, so its order is kept.
    assert len({m.partition for m in messages}) == 1
    first = headers_of(by_id["s-1"])
    assert first["ce_type"] == "cancellation.requested"
    assert first["ce_source"] == "/channels/test/ivr"
    assert first["ce_subject"] == customer
    assert first["ce_specversion"] == "1.0"
    assert first["content-type"] == "application/json"
    assert first["ce_time"].startswith("2026-11-23T10:00:00")
    assert json.loads(by_id["s-1"].value) == {"channel": "ivr", "product": "broadband"}
    assert json.loads(by_id["bin-1"].value)["journey"] == "change_address"


async def test_invalid_events_are_refused_with_field_paths_and_dead_lettered(
    backend: Backend,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    api_key: str,
    run_id: str,
) -> None:
    url = await started_ingest(services)
    customer = f"cust-{run_id}"
    auth = {"Authorization": f"Bearer {api_key}"}
    good = cloudevent(
        customer, "complaint.filed", {"channel": "email", "category": "billing"}, event_id="ok-1"
    )
    bad_channel = cloudevent(
        customer, "complaint.filed", {"channel": "pigeon", "category": "x"}, event_id="bad-1"
    )
    unknown_type = cloudevent(customer, "coffee.ordered", {}, event_id="bad-2")
    async with httpx.AsyncClient(base_url=url) as client:
        single = await client.post(
            "/v1/events",
            content=json.dumps(bad_channel),
            headers={**auth, "Content-Type": STRUCTURED},
        )
        mixed = await client.post(
            "/v1/events",
            content=json.dumps([good, unknown_type]),
            headers={**auth, "Content-Type": BATCH},
        )
        atomic = await client.post(
            "/v1/events?atomic=true",
            content=json.dumps(
                [
                    cloudevent(
                        customer,
                        "message.received",
                        {"channel": "chat", "text": "x"},
                        event_id="at-1",
                    ),
                    unknown_type,
                ]
            ),
            headers={**auth, "Content-Type": BATCH},
        )
        not_json = await client.post(
            "/v1/events", content=b"{nope", headers={**auth, "Content-Type": STRUCTURED}
        )
        wrong_type = await client.post(
            "/v1/events", content=b"hello", headers={**auth, "Content-Type": "text/plain"}
        )

    assert single.status_code == 400
    assert single.headers["content-type"] == "application/problem+json"
    problem = single.json()
    assert problem["status"] == 400
    assert problem["errors"][0]["field"] == "data.channel"
    assert "voice" in problem["errors"][0]["reason"]

    assert mixed.status_code == 202
    assert mixed.json()["accepted"] == ["ok-1"]
    [rejected] = mixed.json()["rejected"]
    assert (rejected["index"], rejected["field"]) == (1, "[1].type")
    assert "unknown event type 'coffee.ordered'" in rejected["reason"]

    assert atomic.status_code == 400
    assert "atomic" in atomic.json()["detail"]
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["detail"]
    assert wrong_type.status_code == 415

    dead = await read_topic(
        backend.bootstrap_servers, topics.interactions_dlq, lambda m: len(m) >= 4
    )
    # Partitions keep no order between them, so each refusal is found by its content.
    by_field = sorted(
        (json.loads(headers_of(m)["dlq_reason"])[0]["field"], m.value, m.key) for m in dead
    )
    assert [field for field, _, _ in by_field] == ["body", "data.channel", "type", "type"]
    assert by_field[0][1] == b"{nope"  # the original bytes, as sent
    assert json.loads(by_field[1][1]) == bad_channel
    assert by_field[1][2] == customer.encode()  # keyed by customer when it could be read
    assert all(headers_of(m)["dlq_path"] == "http" and headers_of(m)["dlq_time"] for m in dead)
    # The atomic batch's valid event was not published.
    accepted = await read_topic(
        backend.bootstrap_servers, topics.interactions, lambda m: len(m) >= 1
    )
    assert [headers_of(m)["ce_id"] for m in accepted] == ["ok-1"]


async def test_keys_limit_who_may_send_what_and_revocation_takes_effect(
    topics: Topics, services: Callable[..., ServiceProcess], pool: asyncpg.Pool, run_id: str
) -> None:
    url = await started_ingest(services)
    ivr = await create_key(pool, "/channels/ivr", ["contact.*"], "ivr")
    event = cloudevent(
        f"c-{run_id}",
        "contact.started",
        {"channel": "ivr"},
        event_id="k-1",
        source="/channels/ivr/eu",
    )

    async def post(body: dict[str, object], key: str | None) -> httpx.Response:
        headers = {"Content-Type": STRUCTURED}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        async with httpx.AsyncClient(base_url=url) as client:
            return await client.post("/v1/events", content=json.dumps(body), headers=headers)

    assert (await post(event, ivr.key)).status_code == 202
    missing = await post(event, None)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert (await post(event, "smk_not-a-key")).status_code == 401
    other_source = await post({**event, "source": "/channels/ivrx"}, ivr.key)
    assert other_source.status_code == 403
    assert other_source.json()["errors"][0]["field"] == "source"
    other_type = await post(
        {**event, "type": "message.received", "data": {"channel": "ivr", "text": "hi"}}, ivr.key
    )
    assert other_type.status_code == 403
    assert "contact.*" in other_type.json()["errors"][0]["reason"]
    assert await revoke_key(pool, ivr.id)
    assert (await post(event, ivr.key)).status_code == 401


async def test_rate_limits_and_body_size_limits_answer_with_problems(
    topics: Topics, services: Callable[..., ServiceProcess], api_key: str, run_id: str
) -> None:
    url = await started_ingest(
        services,
        INGEST_RATE_PER_SOURCE="0.5",
        INGEST_RATE_BURST="2",
        INGEST_MAX_BODY_BYTES="2048",
    )
    auth = {"Authorization": f"Bearer {api_key}", "Content-Type": STRUCTURED}
    async with httpx.AsyncClient(base_url=url) as client:
        codes = []
        for i in range(3):
            event = cloudevent(
                f"c-{run_id}", "contact.started", {"channel": "web"}, event_id=f"r-{i}"
            )
            response = await client.post("/v1/events", content=json.dumps(event), headers=auth)
            codes.append(response.status_code)
        limited = response
        huge = cloudevent(
            f"c-{run_id}",
            "message.received",
            {"channel": "chat", "text": "x" * 4000},
            event_id="huge",
        )
        too_big = await client.post("/v1/events", content=json.dumps(huge), headers=auth)
    assert codes == [202, 202, 429]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["title"] == "Too many requests"
    assert too_big.status_code == 413
    assert "2048-byte limit" in too_big.json()["detail"]


async def test_metrics_account_for_every_event_received_and_reach_ops_topic(
    backend: Backend,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    api_key: str,
    run_id: str,
) -> None:
    url = await started_ingest(services)
    auth = {"Authorization": f"Bearer {api_key}"}
    valid = cloudevent(f"c-{run_id}", "contact.started", {"channel": "web"}, event_id="m-1")
    invalid = cloudevent(f"c-{run_id}", "contact.started", {"channel": 3}, event_id="m-2")
    forbidden = {**valid, "id": "m-3", "source": "/elsewhere"}
    async with httpx.AsyncClient(base_url=url) as client:
        await client.post(
            "/v1/events",
            content=json.dumps([valid, invalid, forbidden]),
            headers={**auth, "Content-Type": BATCH},
        )
        text = (await client.get("/metrics")).text

    def total(name: str) -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(f"moments_ingest_events_{name}_total")
        )

    assert (total("accepted"), total("rejected"), total("dead_lettered")) == (1, 1, 1)
    assert total("received") == total("accepted") + total("rejected") + total("dead_lettered")

    snapshots = await read_topic(
        backend.bootstrap_servers,
        topics.ops_metrics,
        lambda m: any(
            json.loads(x.value)["metrics"].get('moments_ingest_events_accepted_total{path="http"}')
            for x in m
        ),
    )
    latest = json.loads(snapshots[-1].value)
    assert snapshots[-1].key == b"ingest" and latest["service"] == "ingest"
    assert latest["metrics"]['moments_ingest_events_accepted_total{path="http"}'] == 1
