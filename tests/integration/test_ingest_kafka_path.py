"""The Kafka path: `interactions.raw` gets the same validation as HTTP; nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Callable

from schemas.topics import Topics
from tests.backends import Backend
from tests.harness import ServiceProcess, cloudevent, produce, read_topic


def ce_headers(event: dict[str, str]) -> list[tuple[str, bytes]]:
    names = ("specversion", "id", "source", "type", "subject")
    return [(f"ce_{n}", event[n].encode()) for n in names] + [("content-type", b"application/json")]


async def test_raw_events_are_validated_forwarded_or_dead_lettered_with_their_bytes(
    backend: Backend, topics: Topics, services: Callable[..., ServiceProcess], run_id: str
) -> None:
    ingest = services("ingest")
    await ingest.wait_ready()
    customer = f"cust-{run_id}"
    binary = cloudevent(
        customer, "payment.missed", {"amount": 12.5, "currency": "EUR"}, event_id="raw-1"
    )
    structured = cloudevent(
        customer,
        "purchase.completed",
        {"product": "phone", "amount": 300, "currency": "EUR"},
        event_id="raw-2",
    )
    invalid = cloudevent(
        customer, "payment.missed", {"amount": -1, "currency": "euro"}, event_id="raw-3"
    )
    await produce(
        backend.bootstrap_servers,
        topics.interactions_raw,
        [
            (customer.encode(), json.dumps(binary["data"]).encode(), ce_headers(binary)),
            (
                customer.encode(),
                json.dumps(structured).encode(),
                [("content-type", b"application/cloudevents+json")],
            ),
            (customer.encode(), json.dumps(invalid["data"]).encode(), ce_headers(invalid)),
            (
                b"someone-else",
                json.dumps(binary["data"]).encode(),
                ce_headers({**binary, "id": "raw-4"}),
            ),
            (customer.encode(), b"\xff\xfe not json", [("x-origin", b"legacy-crm")]),
        ],
    )
    forwarded = await read_topic(
        backend.bootstrap_servers, topics.interactions, lambda m: len(m) >= 2
    )
    assert sorted(dict(m.headers)["ce_id"].decode() for m in forwarded) == ["raw-1", "raw-2"]
    assert all(m.key == customer.encode() for m in forwarded)

    dead = await read_topic(
        backend.bootstrap_servers, topics.interactions_dlq, lambda m: len(m) >= 3
    )
    by_value = {m.value: m for m in dead}
    invalid_msg = by_value[json.dumps(invalid["data"]).encode()]
    reasons = json.loads(dict(invalid_msg.headers)["dlq_reason"])
    assert {r["field"] for r in reasons} == {"data.amount", "data.currency"}
    assert dict(invalid_msg.headers)["ce_id"] == b"raw-3"  # original headers kept
    assert dict(invalid_msg.headers)["dlq_path"] == b"kafka"
    mismatched = next(m for m in dead if m.key == b"someone-else")
    assert json.loads(dict(mismatched.headers)["dlq_reason"])[0]["field"] == "key"
    garbage = by_value[b"\xff\xfe not json"]
    assert dict(garbage.headers)["x-origin"] == b"legacy-crm"
    assert "UTF-8" in dict(garbage.headers)["dlq_reason"].decode()
