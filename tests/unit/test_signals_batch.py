"""`services.signals.batch.fold_batch`: a batch of records in, what it must send out.

No broker: the records are built as ingest publishes them, and the table is a
`ChangelogTable` whose partitions are served from memory.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.customers import CustomerRecord
from schemas.signals import Signal, SignalType
from services.ingest.adapters.publisher import to_kafka_message
from services.plumbing.changelog import ChangelogTable
from services.signals.batch import fold_batch
from services.signals.handlers import SignalsHandler
from tests.unit.builders import event, new_customer

NOW = datetime(2025, 3, 3, 9, 5, tzinfo=UTC)
ERASURES = "erasures"


@dataclass
class Record:
    topic: str
    partition: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def record(kind: str, data: dict[str, object], customer: str, id: str | None = None) -> Record:
    message = to_kafka_message(event(kind, data, subject=customer, id=id), ingested_at_ms=1)
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return Record("interactions", 0, key, message.value, list(message.headers.items()))


def complaint(customer: str, id: str | None = None) -> Record:
    return record("complaint.filed", {"channel": "email", "category": "billing"}, customer, id=id)


def table_with_partition() -> ChangelogTable:
    from services.plumbing.changelog import _Partition

    async def never(*_: object) -> int:
        raise AssertionError("no broker in the unit tier")

    table = ChangelogTable("changelog", never, lambda: None)  # type: ignore[arg-type,return-value]
    table._partitions[0] = _Partition(owned=True)
    return table


def handler() -> SignalsHandler:
    return SignalsHandler(lambda text: 0.0)


def signals_of(folded_values: list[bytes | None]) -> list[Signal]:
    return [Signal.model_validate_json(v or b"") for v in folded_values]


def test_one_customer_twice_in_a_batch_is_folded_in_order() -> None:
    table = table_with_partition()
    customer = new_customer()
    staged = table.stage()

    folded = fold_batch(
        [complaint(customer), complaint(customer)], staged, handler(), NOW, ERASURES
    )

    signals = signals_of([m.value for m in folded.signals])
    assert [s.type for s in signals] == [SignalType.complaint, SignalType.complaint]
    assert [s.occurrences for s in signals] == [1, 2]  # the second saw the first's state
    assert folded.processed == 2
    # One customer record and one changelog change for the batch, the latest.
    [latest] = folded.customers
    assert CustomerRecord.model_validate_json(latest.value or b"").version == 2
    assert [key for _, key, _ in staged] == [customer.encode()]


def test_nothing_is_applied_to_the_table_until_the_batch_is_written() -> None:
    table = table_with_partition()
    customer = new_customer()
    staged = table.stage()

    fold_batch([complaint(customer)], staged, handler(), NOW, ERASURES)

    assert table.get(0, customer.encode()) is None
    assert staged.get(0, customer.encode()) is not None
    table.apply(staged, {0: 41})
    assert table.get(0, customer.encode()) == staged.get(0, customer.encode())


def test_a_replayed_event_is_a_duplicate_and_sends_nothing() -> None:
    table = table_with_partition()
    customer = new_customer()
    first = table.stage()
    fold_batch([complaint(customer, id="c-1")], first, handler(), NOW, ERASURES)
    table.apply(first, {0: 0})

    again = fold_batch([complaint(customer, id="c-1")], table.stage(), handler(), NOW, ERASURES)

    assert again.signals == [] and again.customers == []
    assert again.duplicates == 1


def test_an_unreadable_record_is_dead_lettered_with_the_reason_and_the_rest_go_on() -> None:
    table = table_with_partition()
    customer = new_customer()
    broken = Record("interactions", 0, b"who", b"{not json", [("ce_type", b"complaint.filed")])

    folded = fold_batch([broken, complaint(customer)], table.stage(), handler(), NOW, ERASURES)

    [dead] = folded.dead_letters
    headers = dict(dead.headers)
    assert headers["dlq_path"] == b"signals"
    assert "undecodable" in json.loads(headers["dlq_reason"])[0]["reason"]
    assert dead.value == b"{not json"
    assert len(folded.signals) == 1


def test_an_event_whose_signal_would_be_too_big_is_dead_lettered_and_marked_seen() -> None:
    table = table_with_partition()
    customer = new_customer()
    staged = table.stage()
    big = record(
        "complaint.filed", {"channel": "email", "category": "billing", "text": "x" * 900}, customer
    )

    folded = fold_batch([big], staged, handler(), NOW, ERASURES, max_signal_bytes=500)

    assert folded.signals == []
    [dead] = folded.dead_letters
    reason = json.loads(dict(dead.headers)["dlq_reason"])[0]["reason"]
    assert "its signal would be" in reason and "the limit is 500" in reason
    assert staged.get(0, customer.encode()) is not None  # a replay must not try again
    assert folded.processed == 0


def test_an_erasure_deletes_the_state_and_tombstones_the_customer_record() -> None:
    table = table_with_partition()
    customer = new_customer()
    first = table.stage()
    fold_batch([complaint(customer)], first, handler(), NOW, ERASURES)
    table.apply(first, {0: 0})

    staged = table.stage()
    erase = Record(ERASURES, 0, customer.encode(), b"{}")
    folded = fold_batch([erase], staged, handler(), NOW, ERASURES)

    assert folded.erased == 1
    assert [(m.key, m.value) for m in folded.customers] == [(customer.encode(), None)]
    assert list(staged) == [(0, customer.encode(), None)]
    table.apply(staged, {0: 1})
    assert table.get(0, customer.encode()) is None


def test_signals_carry_ingest_time_and_signalled_time() -> None:
    table = table_with_partition()
    folded = fold_batch([complaint(new_customer())], table.stage(), handler(), NOW, ERASURES)
    [signal] = folded.signals
    names = [name for name, _ in signal.headers]
    assert names == ["moments_ingested_at", "moments_signalled_at"]


def test_wait_ready_returns_once_the_partition_is_caught_up() -> None:
    table = table_with_partition()

    async def check() -> bool:
        waiting = asyncio.create_task(table.wait_ready(0))
        await asyncio.sleep(0)
        assert not waiting.done()
        table._partitions[0].ready.set()
        await asyncio.wait_for(waiting, 1)
        return True

    assert asyncio.run(check())
