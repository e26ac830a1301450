"""The `interactions` topic's message format: ingest's `to_kafka_message` and signals'
`decode_interaction` must agree (CloudEvents Kafka binding, binary mode). No broker.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from schemas.events import (
    EventInvalid,
    InteractionEvent,
    MessageReceived,
    ProfileUpdated,
    parse_event,
)
from schemas.headers import INGESTED_AT_HEADER
from services.ingest.adapters.publisher import to_kafka_message
from services.signals.handlers import decode_interaction
from tests.unit.builders import attributes, new_customer


def as_bytes(key: str | bytes | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


def test_headers_key_and_value_follow_the_binding() -> None:
    customer = new_customer()
    data = {"channel": "chat", "text": "Where is my refund? Ça fait 3 semaines."}
    original = parse_event(
        attributes(
            "message.received",
            data,
            subject=customer,
            id="k-1",
            source="/channels/chat/web",
            time="2025-03-03T10:00:00+01:00",
        )
    )

    message = to_kafka_message(original, ingested_at_ms=1_741_000_000_123)

    assert message.headers["ce_specversion"] == b"1.0"
    assert message.headers["ce_id"] == b"k-1"
    assert message.headers["ce_source"] == b"/channels/chat/web"
    assert message.headers["ce_type"] == b"message.received"
    assert message.headers["ce_subject"] == customer.encode()
    assert message.headers["content-type"] == b"application/json"
    assert datetime.fromisoformat(message.headers["ce_time"].decode()) == datetime(
        2025, 3, 3, 9, 0, tzinfo=UTC
    )
    assert message.headers[INGESTED_AT_HEADER] == b"1741000000123"
    assert as_bytes(message.key) == customer.encode()
    assert json.loads(message.value) == data


def test_decode_gives_back_an_equal_event() -> None:
    customer = new_customer()
    original = parse_event(
        attributes(
            "profile.updated",
            {"name": "Siobhán Ó Ríordáin", "vulnerable": True, "consents": {"marketing": False}},
            subject=customer,
            source="/systems/crm",
            time="2025-03-03T09:00:00.250000Z",
            datacontenttype="application/json",
            dataschema="https://small-moments.dev/schemas/profile.updated.json",
            traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
    )
    message = to_kafka_message(original, ingested_at_ms=0)

    decoded = decode_interaction(
        as_bytes(message.key), message.value, list(message.headers.items())
    )

    assert decoded == original
    assert isinstance(decoded.data, ProfileUpdated)
    assert decoded.data.name == "Siobhán Ó Ríordáin"
    assert decoded.envelope.extensions() == original.envelope.extensions()


def test_an_event_sent_without_time_is_stamped_with_the_receipt_time() -> None:
    before = datetime.now(UTC)  # received, and so stamped, from here on
    original = parse_event(
        attributes("contact.started", {"channel": "voice"}, subject=new_customer(), time=None)
    )

    message = to_kafka_message(original, ingested_at_ms=0)

    stamped = datetime.fromisoformat(message.headers["ce_time"].decode())
    assert before <= stamped <= datetime.now(UTC)
    decoded = decode_interaction(
        as_bytes(message.key), message.value, list(message.headers.items())
    )
    assert decoded.time == stamped
    assert decoded.key == original.key
    assert decoded.data == original.data


def test_decoded_data_is_typed() -> None:
    original = parse_event(
        attributes("message.received", {"channel": "sms", "text": "ok"}, subject=new_customer())
    )
    message = to_kafka_message(original, ingested_at_ms=0)
    decoded = decode_interaction(
        as_bytes(message.key), message.value, list(message.headers.items())
    )
    assert isinstance(decoded.data, MessageReceived)
    assert decoded.data.text == "ok"


def test_decoding_a_message_that_is_not_a_valid_event_raises_value_error() -> None:
    customer = new_customer()
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"k-9"),
        ("ce_source", b"/channels/chat"),
        ("ce_type", b"contact.teleported"),
        ("ce_subject", customer.encode()),
        ("content-type", b"application/json"),
    ]
    with pytest.raises(EventInvalid) as caught:
        decode_interaction(customer.encode(), b'{"channel": "chat"}', headers)
    assert [p.field for p in caught.value.problems] == ["type"]


def sdk_decoded(key: bytes | None, value: bytes, headers: dict[str, bytes]) -> InteractionEvent:
    """The same message read through the CloudEvents SDK's generic decoder (the oracle)."""
    from cloudevents.core.bindings import kafka as ce_kafka
    from cloudevents.core.formats.json import JSONFormat

    event = ce_kafka.from_binary(
        ce_kafka.KafkaMessage(headers=headers, key=key, value=value), JSONFormat()
    )
    found = dict(event.get_attributes())
    found.pop("partitionkey", None)
    found["data"] = event.get_data()
    return parse_event(found)


def test_signals_reads_every_simulated_event_as_the_sdk_does() -> None:
    import itertools

    from moments.simulate.datasets import purchase_histories, tenure_records
    from moments.simulate.domain.population import build_population
    from moments.simulate.domain.simulation import Simulation

    population = build_population(3, 60, purchase_histories(), tenure_records())
    simulation = Simulation(3, population, datetime(2026, 1, 5, tzinfo=UTC).timestamp())
    kinds = set()
    for simulated in itertools.islice(simulation.events(), 1500):
        cloudevent = simulated.cloudevent(3)
        cloudevent["traceid"] = "abc123"  # an extension attribute rides along too
        message = to_kafka_message(parse_event(cloudevent), ingested_at_ms=5)
        key, headers = as_bytes(message.key), dict(message.headers)
        ours = decode_interaction(key, message.value, list(headers.items()))
        assert ours == sdk_decoded(key, message.value, headers)
        kinds.add(ours.type)
    assert len(kinds) >= 12  # nearly every event type was compared
