"""The `interactions.raw` gate as a commit-after-work loop (consumers/raw.py), with a fake
publisher and consumer: a batch forwards its valid messages in one publish, dead-letters
the rest, counts each message once however often the batch is retried, and a message
that fails for a reason of its own is dead-lettered alone."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aiokafka.structs import TopicPartition

from schemas.events import InteractionEvent
from schemas.topics import Topics
from services.ingest.adapters.publisher import BrokerUnavailable
from services.ingest.consumers.raw import raw_loop
from services.ingest.settings import Settings
from services.plumbing.consuming import CommitAfterWork, is_transient
from tests.unit.builders import new_customer
from tests.unit.test_commit_after_work import Consumer, Rec
from tests.unit.test_ingest_handlers import (
    COMPLAINT,
    FakePublisher,
    counted,
    delta,
    ingest_with,
    raw_headers,
)


class FlakyPublisher(FakePublisher):
    """The broker away for the first `outages` publishes."""

    def __init__(self, outages: int) -> None:
        super().__init__()
        self.outages = outages

    async def publish(self, events: Sequence[InteractionEvent]) -> None:
        if self.outages:
            self.outages -= 1
            raise BrokerUnavailable("no leader for interactions-0")
        await super().publish(events)


class PickyPublisher(FakePublisher):
    """Fails on one customer's events with an error that is no fault of the world."""

    def __init__(self, poison: str) -> None:
        super().__init__()
        self.poison = poison

    async def publish(self, events: Sequence[InteractionEvent]) -> None:
        if any(e.customer_id == self.poison for e in events):
            raise ValueError("this event breaks something")
        await super().publish(events)


def message(offset: int, customer: str, value: bytes = COMPLAINT) -> Rec:
    return Rec("raw", 0, offset, value, customer.encode(), raw_headers(customer))


def gate(publisher: FakePublisher, consumer: Consumer) -> CommitAfterWork:
    """The real loop's work and dead-lettering, on a fake consumer."""
    settings = Settings(database_url="postgresql://unused/unused", ingest_raw_group="raw-test")
    real = raw_loop(settings, Topics("t."), ingest_with(publisher))
    return CommitAfterWork(real.stage, consumer, real.work, real.dead_letter)  # type: ignore[arg-type]


def test_broker_unavailable_is_a_fault_of_the_world_that_the_loop_retries() -> None:
    assert is_transient(BrokerUnavailable("not connected to the broker yet"))


async def test_a_batch_forwards_the_valid_in_one_publish_and_dead_letters_the_rest() -> None:
    publisher, consumer = FakePublisher(), Consumer()
    first, second = new_customer(), new_customer()
    batch = [message(0, first), message(1, second, b"not json"), message(2, second)]
    before = counted("kafka")

    await gate(publisher, consumer).process(batch)  # type: ignore[arg-type]

    [published] = publisher.published
    assert [e.customer_id for e in published] == [first, second]
    [dead] = publisher.dead_letters
    assert (dead.value, dead.key, dead.path) == (b"not json", second.encode(), "kafka")
    assert dead.problems[0].field == "body"
    assert consumer.commits == [{TopicPartition("raw", 0): 3}]
    assert delta(before, counted("kafka")) == {
        "received": 3,
        "accepted": 2,
        "rejected": 0,
        "dead_lettered": 1,
    }


async def test_a_batch_retried_while_the_broker_is_away_is_counted_once() -> None:
    publisher, consumer = FlakyPublisher(outages=2), Consumer()
    customer = new_customer()
    before = counted("kafka")

    await gate(publisher, consumer).process([message(0, customer), message(1, customer)])  # type: ignore[list-item]

    assert [[e.customer_id for e in sent] for sent in publisher.published] == [[customer] * 2]
    assert consumer.commits == [{TopicPartition("raw", 0): 2}]
    assert delta(before, counted("kafka"))["received"] == 2
    assert delta(before, counted("kafka"))["accepted"] == 2


async def test_a_message_that_fails_for_its_own_reason_is_dead_lettered_alone() -> None:
    poison, good = new_customer(), new_customer()
    publisher, consumer = PickyPublisher(poison), Consumer()
    before = counted("kafka")

    await gate(publisher, consumer).process([message(0, good), message(1, poison)])  # type: ignore[list-item]

    assert [[e.customer_id for e in sent] for sent in publisher.published] == [[good]]
    [dead] = publisher.dead_letters
    assert dead.key == poison.encode()
    assert json.loads(dead.value) == json.loads(COMPLAINT)
    assert dead.problems[0].field == "(event)"
    assert "ValueError: this event breaks something" in dead.problems[0].reason
    assert consumer.commits[-1] == {TopicPartition("raw", 0): 2}
    assert delta(before, counted("kafka")) == {
        "received": 2,
        "accepted": 1,
        "rejected": 0,
        "dead_lettered": 1,
    }
