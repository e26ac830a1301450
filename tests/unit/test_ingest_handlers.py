"""`services.ingest.handlers.Ingest` with a fake publisher: what is published, dead-lettered,
refused and counted for each kind of request, and for messages from `interactions.raw`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas.events import ComplaintFiled, ContactStarted, FieldProblem, InteractionEvent
from services.ingest.adapters.publisher import BrokerUnavailable, to_kafka_message
from services.ingest.domain.access import ApiKey
from services.ingest.domain.rate_limit import RateLimits
from services.ingest.handlers import Ingest, Submitted
from services.plumbing.problems import Problem
from tests.unit.builders import attributes, event, new_customer, new_id

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
SOURCE = "/channels/ivr/eu"
KEY = ApiKey("key-ivr-eu", "/channels/ivr", ("contact.*", "message.received", "complaint.filed"))


@dataclass
class DeadLetter:
    value: bytes
    key: bytes | None
    headers: list[tuple[str, bytes]]
    problems: list[FieldProblem]
    path: str


class FakePublisher:
    """Records what ingest hands to the broker."""

    def __init__(self) -> None:
        self.published: list[list[InteractionEvent]] = []
        self.dead_letters: list[DeadLetter] = []

    async def publish(self, events: Sequence[InteractionEvent]) -> None:
        self.published.append(list(events))

    async def dead_letter(
        self,
        value: bytes,
        key: bytes | None,
        headers: list[tuple[str, bytes]],
        problems: list[FieldProblem],
        path: str,
    ) -> None:
        self.dead_letters.append(DeadLetter(value, key, list(headers), list(problems), path))


class BrokerDown(FakePublisher):
    """A broker that acknowledges nothing, neither events nor dead letters."""

    async def publish(self, events: Sequence[InteractionEvent]) -> None:
        raise BrokerUnavailable("no leader for interactions-0")

    async def dead_letter(self, *args: Any, **kwargs: Any) -> None:
        raise BrokerUnavailable("no leader for interactions.dlq-0")


def ingest_with(publisher: FakePublisher, rate: float = 1000, burst: float = 2000) -> Ingest:
    return Ingest(publisher, RateLimits(rate, burst), max_batch_events=10)


def contact(customer: str, **extra: Any) -> dict[str, Any]:
    return attributes(
        "contact.started",
        {"channel": "ivr", "queue": "care"},
        subject=customer,
        source=SOURCE,
        **extra,
    )


def bad_channel(customer: str) -> dict[str, Any]:
    return attributes(
        "message.received", {"channel": "fax", "text": "hello"}, subject=customer, source=SOURCE
    )


def forbidden_type(customer: str) -> dict[str, Any]:
    return attributes(
        "payment.missed", {"amount": 5, "currency": "EUR"}, subject=customer, source=SOURCE
    )


async def structured(ingest: Ingest, raw: dict[str, Any], key: ApiKey = KEY) -> Submitted:
    return await ingest.submit(
        key, STRUCTURED, {"content-type": STRUCTURED}, json.dumps(raw).encode(), atomic=False
    )


async def batch(
    ingest: Ingest, events: list[dict[str, Any]], atomic: bool = False, key: ApiKey = KEY
) -> Submitted:
    return await ingest.submit(
        key, BATCH, {"content-type": BATCH}, json.dumps(events).encode(), atomic=atomic
    )


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def counted(path: str) -> dict[str, float]:
    """Events received, accepted, rejected (any reason) and dead-lettered on one path."""
    rejected = sum(
        s.value
        for family in REGISTRY.collect()
        for s in family.samples
        if s.name == "moments_ingest_events_rejected_total" and s.labels["path"] == path
    )
    return {
        "received": sample("moments_ingest_events_received_total", path=path),
        "accepted": sample("moments_ingest_events_accepted_total", path=path),
        "rejected": rejected,
        "dead_lettered": sample("moments_ingest_events_dead_lettered_total", path=path),
    }


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


# --- HTTP ------------------------------------------------------------------------------


async def test_structured_event_is_published_and_its_id_returned() -> None:
    publisher = FakePublisher()
    customer = new_customer()

    result = await structured(ingest_with(publisher), contact(customer, id="s-1"))

    assert result == Submitted(accepted=["s-1"], rejected=[], duplicates_in_request=0)
    [[published]] = publisher.published
    assert published.key == f"{SOURCE}#s-1"
    assert published.customer_id == customer
    assert isinstance(published.data, ContactStarted)
    assert published.data.queue == "care"
    assert publisher.dead_letters == []


async def test_binary_event_is_published() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    headers = {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "b-1",
        "ce-source": SOURCE,
        "ce-type": "complaint.filed",
        "ce-subject": customer,
        "ce-time": "2025-03-03T09%3A00%3A00Z",
    }
    body = json.dumps({"channel": "voice", "category": "billing", "severity": "high"}).encode()

    result = await ingest_with(publisher).submit(
        KEY, "application/json", headers, body, atomic=False
    )

    assert result.accepted == ["b-1"]
    [[published]] = publisher.published
    assert published.customer_id == customer
    assert isinstance(published.data, ComplaintFiled)
    assert published.data.category == "billing"
    assert published.time.isoformat() == "2025-03-03T09:00:00+00:00"


async def test_batch_accepts_the_valid_events_and_dead_letters_the_invalid_one() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    events = [contact(customer), bad_channel(customer), contact(customer)]

    result = await batch(ingest_with(publisher), events)

    assert result.accepted == [events[0]["id"], events[2]["id"]]
    [rejected] = result.rejected
    assert rejected["index"] == 1
    assert rejected["field"] == "[1].data.channel"
    assert rejected["status"] == 400
    assert "'voice'" in rejected["reason"]
    [published] = publisher.published
    assert [e.envelope.id for e in published] == [events[0]["id"], events[2]["id"]]
    [dead] = publisher.dead_letters
    assert json.loads(dead.value) == events[1]
    assert dead.key == customer.encode()
    assert dead.path == "http"
    assert [p.field for p in dead.problems] == ["data.channel"]
    assert ("content-type", BATCH.encode()) in dead.headers


async def test_dead_letter_of_an_event_without_subject_has_no_key() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    nameless = contact(customer)
    del nameless["subject"]

    result = await batch(ingest_with(publisher), [contact(customer), nameless])

    assert result.rejected == [
        {"index": 1, "field": "[1].subject", "reason": "Field required", "status": 400}
    ]
    [dead] = publisher.dead_letters
    assert dead.key is None
    assert dead.problems == [FieldProblem(field="subject", reason="Field required")]


async def test_atomic_batch_with_an_invalid_event_publishes_nothing() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    events = [contact(customer), bad_channel(customer), contact(customer)]

    with pytest.raises(Problem) as caught:
        await batch(ingest_with(publisher), events, atomic=True)

    problem = caught.value
    assert problem.status == 400
    assert "atomic=true" in problem.detail
    assert [(e["index"], e["field"]) for e in problem.errors] == [(1, "[1].data.channel")]
    assert problem.body()["errors"] == problem.errors
    assert publisher.published == []
    # the invalid event is still kept on the DLQ, the valid ones stay with the sender
    assert [json.loads(d.value) for d in publisher.dead_letters] == [events[1]]


async def test_atomic_batch_of_valid_events_is_published_whole() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    events = [contact(customer), contact(customer)]

    result = await batch(ingest_with(publisher), events, atomic=True)

    assert result.accepted == [e["id"] for e in events]
    assert [[e.envelope.id for e in sent] for sent in publisher.published] == [result.accepted]


async def test_forbidden_source_is_403_and_not_dead_lettered() -> None:
    publisher = FakePublisher()
    raw = attributes(
        "contact.started", {"channel": "chat"}, subject=new_customer(), source="/channels/ivrx"
    )

    with pytest.raises(Problem) as caught:
        await structured(ingest_with(publisher), raw)

    problem = caught.value
    assert problem.status == 403
    assert problem.body()["title"] == "Forbidden"
    assert problem.errors == [
        {"field": "source", "reason": "this key may publish only under '/channels/ivr'"}
    ]
    assert publisher.published == []
    assert publisher.dead_letters == []


async def test_forbidden_type_in_a_batch_is_refused_and_the_rest_accepted() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    events = [contact(customer), forbidden_type(customer)]

    result = await batch(ingest_with(publisher), events)

    assert result.accepted == [events[0]["id"]]
    [rejected] = result.rejected
    assert (rejected["index"], rejected["field"], rejected["status"]) == (1, "[1].type", 403)
    assert "contact.*" in rejected["reason"]
    assert publisher.dead_letters == []


async def test_batch_with_only_invalid_and_forbidden_events_is_400_with_both() -> None:
    publisher = FakePublisher()
    customer = new_customer()

    with pytest.raises(Problem) as caught:
        await batch(ingest_with(publisher), [forbidden_type(customer), bad_channel(customer)])

    problem = caught.value
    assert problem.status == 400
    assert {(e["index"], e["field"], e.get("status")) for e in problem.errors} == {
        (1, "[1].data.channel", None),
        (0, "[0].type", 403),
    }
    assert [json.loads(d.value)["type"] for d in publisher.dead_letters] == ["message.received"]
    assert publisher.published == []


async def test_broker_unavailable_is_503_with_retry_after() -> None:
    customer = new_customer()

    with pytest.raises(Problem) as caught:
        await structured(ingest_with(BrokerDown()), contact(customer))

    problem = caught.value
    assert problem.status == 503
    assert int(problem.headers["Retry-After"]) >= 1
    assert "may have been stored" in problem.detail and "same id" in problem.detail
    assert "no leader for interactions-0" in problem.detail
    assert problem.accepted == []


async def test_invalid_event_is_still_refused_when_the_dlq_is_down() -> None:
    before = counted("http")

    with pytest.raises(Problem) as caught:
        await structured(ingest_with(BrokerDown()), bad_channel(new_customer()))

    assert caught.value.status == 400
    assert delta(before, counted("http")) == {
        "received": 1,
        "accepted": 0,
        "rejected": 1,
        "dead_lettered": 0,
    }


async def test_same_source_and_id_twice_in_a_batch_is_published_once() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    first = contact(customer, id="dup-1")
    again = contact(customer, id="dup-1")
    again["data"] = {"channel": "voice"}
    other_source = attributes(
        "contact.started",
        {"channel": "ivr"},
        subject=customer,
        id="dup-1",
        source="/channels/ivr/us",
    )

    result = await batch(ingest_with(publisher), [first, again, other_source])

    assert result.duplicates_in_request == 1
    [published] = publisher.published
    assert [e.key for e in published] == ["/channels/ivr/eu#dup-1", "/channels/ivr/us#dup-1"]
    assert published[0].data == ContactStarted(channel="ivr", queue="care")  # the first one


async def test_rate_limit_is_429_with_retry_after_and_publishes_nothing() -> None:
    publisher = FakePublisher()
    ingest = ingest_with(publisher, rate=1, burst=2)
    customer = new_customer()
    await batch(ingest, [contact(customer), contact(customer)])

    with pytest.raises(Problem) as caught:
        await structured(ingest, contact(customer))

    problem = caught.value
    assert problem.status == 429
    assert 1 <= int(problem.headers["Retry-After"]) <= 2  # one token at one per second
    assert "rate limit" in problem.detail
    assert len(publisher.published) == 1


async def test_rate_limits_are_per_key() -> None:
    publisher = FakePublisher()
    ingest = ingest_with(publisher, rate=1, burst=1)
    other = ApiKey("key-ivr-us", "/channels/ivr", ("contact.*",))
    customer = new_customer()
    await structured(ingest, contact(customer))

    result = await structured(ingest, contact(customer), key=other)

    assert len(result.accepted) == 1


async def test_unsupported_content_type_is_415_and_not_dead_lettered() -> None:
    publisher = FakePublisher()

    with pytest.raises(Problem) as caught:
        await ingest_with(publisher).submit(
            KEY, "text/plain", {"content-type": "text/plain"}, b"hello", atomic=False
        )

    assert caught.value.status == 415
    assert [e["field"] for e in caught.value.errors] == ["content-type"]
    assert publisher.dead_letters == []


async def test_unreadable_json_is_400_and_dead_lettered_as_received() -> None:
    publisher = FakePublisher()
    body = b'{"specversion": "1.0", "id": '

    with pytest.raises(Problem) as caught:
        await ingest_with(publisher).submit(
            KEY, STRUCTURED, {"content-type": STRUCTURED}, body, atomic=False
        )

    assert caught.value.status == 400
    [dead] = publisher.dead_letters
    assert (dead.value, dead.key, dead.path) == (body, None, "http")
    [problem] = dead.problems
    assert problem.field == "body"
    assert "not valid JSON" in problem.reason


async def test_counters_balance_over_a_mixed_sequence_of_requests() -> None:
    customer = new_customer()
    publisher = FakePublisher()
    ingest = ingest_with(publisher)
    before = counted("http")

    await structured(ingest, contact(customer))  # 1 accepted
    await batch(  # 2 accepted, 1 dead-lettered, 1 rejected (forbidden)
        ingest,
        [contact(customer), contact(customer), bad_channel(customer), forbidden_type(customer)],
    )
    with pytest.raises(Problem):  # 1 rejected (atomic), 1 dead-lettered
        await batch(ingest, [contact(customer), bad_channel(customer)], atomic=True)
    with pytest.raises(Problem):  # 1 rejected (unsupported)
        await ingest.submit(KEY, "text/csv", {}, b"a,b", atomic=False)
    with pytest.raises(Problem):  # 1 dead-lettered (unreadable)
        await ingest.submit(KEY, STRUCTURED, {}, b"{", atomic=False)
    with pytest.raises(Problem):  # 2 rejected (broker down)
        await batch(ingest_with(BrokerDown()), [contact(customer), contact(customer)])
    limited = ingest_with(publisher, rate=0.001, burst=1)
    await structured(limited, contact(customer))  # 1 accepted
    with pytest.raises(Problem):  # 1 rejected (rate limited)
        await structured(limited, contact(customer))

    changes = delta(before, counted("http"))
    assert changes == {"received": 13, "accepted": 4, "rejected": 6, "dead_lettered": 3}
    assert changes["received"] == (
        changes["accepted"] + changes["rejected"] + changes["dead_lettered"]
    )


# --- interactions.raw ------------------------------------------------------------------


def raw_headers(customer: str, event_type: str = "complaint.filed") -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", new_id("raw").encode()),
        ("ce_source", b"/channels/branch/dublin"),
        ("ce_type", event_type.encode()),
        ("ce_subject", customer.encode()),
        ("ce_time", b"2025-03-03T09:00:00Z"),
        ("content-type", b"application/json"),
    ]


COMPLAINT = json.dumps({"channel": "branch", "category": "fees", "severity": "low"}).encode()


async def test_raw_binary_message_with_valid_ce_headers_is_forwarded() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    headers = raw_headers(customer)
    before = counted("kafka")

    forwarded = await ingest_with(publisher).gate_raw(COMPLAINT, customer.encode(), headers)

    assert forwarded is True
    [[published]] = publisher.published
    assert published.customer_id == customer
    assert published.envelope.id == dict(headers)["ce_id"].decode()
    assert isinstance(published.data, ComplaintFiled)
    assert published.data.category == "fees"
    assert publisher.dead_letters == []
    assert delta(before, counted("kafka")) == {
        "received": 1,
        "accepted": 1,
        "rejected": 0,
        "dead_lettered": 0,
    }


async def test_raw_structured_message_is_forwarded() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    raw = attributes("contact.started", {"channel": "app"}, subject=customer)

    forwarded = await ingest_with(publisher).gate_raw(
        json.dumps(raw).encode(), customer.encode(), [("content-type", STRUCTURED.encode())]
    )

    assert forwarded is True
    assert [[e.envelope.id for e in sent] for sent in publisher.published] == [[raw["id"]]]


async def test_what_ingest_publishes_passes_the_raw_gate() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    original = event("contact.started", {"channel": "voice", "agent_id": "a-1"}, subject=customer)
    message = to_kafka_message(original, ingested_at_ms=1_741_000_000_000)
    key = message.key.encode() if isinstance(message.key, str) else message.key

    forwarded = await ingest_with(publisher).gate_raw(
        message.value, key, list(message.headers.items())
    )

    assert forwarded is True
    [[passed]] = publisher.published
    assert (passed.key, passed.customer_id, passed.time) == (
        original.key,
        original.customer_id,
        original.time,
    )
    assert passed.data == original.data


async def test_raw_message_whose_key_is_not_the_subject_is_dead_lettered() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    headers = raw_headers(customer)
    before = counted("kafka")

    forwarded = await ingest_with(publisher).gate_raw(COMPLAINT, b"someone-else", headers)

    assert forwarded is False
    assert publisher.published == []
    [dead] = publisher.dead_letters
    assert (dead.value, dead.key, dead.headers, dead.path) == (
        COMPLAINT,
        b"someone-else",
        headers,
        "kafka",
    )
    assert dead.problems == [
        FieldProblem(field="key", reason="the message key must be the subject")
    ]
    assert delta(before, counted("kafka")) == {
        "received": 1,
        "accepted": 0,
        "rejected": 0,
        "dead_lettered": 1,
    }


async def test_raw_garbage_is_dead_lettered_with_the_reason() -> None:
    publisher = FakePublisher()
    garbage = b"definitely not json {"

    forwarded = await ingest_with(publisher).gate_raw(garbage, b"k", [])

    assert forwarded is False
    [dead] = publisher.dead_letters
    assert dead.value == garbage
    [problem] = dead.problems
    assert problem.field == "body"
    assert "not valid JSON" in problem.reason and "line 1 column 1" in problem.reason


async def test_raw_tombstone_is_dead_lettered() -> None:
    publisher = FakePublisher()

    assert await ingest_with(publisher).gate_raw(None, b"k", []) is False

    [dead] = publisher.dead_letters
    assert dead.value == b""
    assert dead.problems[0].field == "body"


async def test_raw_invalid_event_is_dead_lettered_with_its_field_problems() -> None:
    publisher = FakePublisher()
    customer = new_customer()

    forwarded = await ingest_with(publisher).gate_raw(
        COMPLAINT, customer.encode(), raw_headers(customer, "complaint.escalated")
    )

    assert forwarded is False
    [dead] = publisher.dead_letters
    [problem] = dead.problems
    assert problem.field == "type"
    assert "unknown event type 'complaint.escalated'" in problem.reason


async def test_raw_header_that_is_not_utf8_is_dead_lettered() -> None:
    publisher = FakePublisher()
    customer = new_customer()
    headers = [*raw_headers(customer), ("ce_queue", b"caf\xe9")]

    assert await ingest_with(publisher).gate_raw(COMPLAINT, customer.encode(), headers) is False

    [dead] = publisher.dead_letters
    assert [p.field for p in dead.problems] == ["headers"]


async def test_raw_gate_lets_broker_unavailable_through_so_the_offset_is_not_committed() -> None:
    customer = new_customer()
    before = counted("kafka")

    with pytest.raises(BrokerUnavailable):
        await ingest_with(BrokerDown()).gate_raw(
            COMPLAINT, customer.encode(), raw_headers(customer)
        )

    assert delta(before, counted("kafka"))["received"] == 0  # counted once, when retried
