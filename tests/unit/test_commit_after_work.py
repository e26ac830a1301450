"""`services.plumbing.consuming`: the loop every stage runs. Transient faults retry the
batch, a poison record is dead-lettered alone, offsets are marked only after the work,
and with exactly-once the sends and the offsets share one transaction. Fakes stand in
for aiokafka's consumer and producer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiokafka.structs import TopicPartition

from services.plumbing.consuming import (
    AtLeastOnce,
    CommitAfterWork,
    ExactlyOnce,
    is_transient,
    next_offsets,
)


@dataclass
class Rec:
    topic: str
    partition: int
    offset: int
    value: bytes = b""
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Consumer:
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


@dataclass
class Producer:
    calls: list[str] = field(default_factory=list)
    fail_commit: bool = False

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self.calls.append("begin")
        try:
            yield
        except BaseException:
            self.calls.append("abort")
            raise
        self.calls.append("commit")

    async def send_offsets_to_transaction(self, offsets: dict[Any, int], group: str) -> None:
        self.calls.append(f"offsets {sorted((tp.partition, o) for tp, o in offsets.items())}")


def batch(*numbers: int) -> list[Rec]:
    return [Rec("t", n % 2, n, value=str(n).encode()) for n in numbers]


def loop_with(work: Any, consumer: Consumer | None = None, **options: Any) -> CommitAfterWork:
    dead: list[tuple[int, str]] = []

    async def dead_letter(record: Any, reason: str) -> None:
        dead.append((record.offset, reason))

    loop = CommitAfterWork("test", consumer or Consumer(), work, dead_letter, **options)  # type: ignore[arg-type]
    loop.dead = dead  # type: ignore[attr-defined]
    return loop


def test_next_offsets_are_one_past_the_last_record_of_each_partition() -> None:
    assert next_offsets(batch(0, 1, 2, 3, 4)) == {  # type: ignore[arg-type]
        TopicPartition("t", 0): 5,
        TopicPartition("t", 1): 4,
    }


def test_offsets_are_committed_only_after_the_work_returned() -> None:
    consumer = Consumer()
    seen: list[int] = []

    async def work(records: Sequence[Any]) -> None:
        assert consumer.commits == []  # not yet
        seen.extend(r.offset for r in records)

    asyncio.run(loop_with(work, consumer).process(batch(0, 1, 2)))  # type: ignore[arg-type]

    assert seen == [0, 1, 2]
    assert consumer.commits == [{TopicPartition("t", 0): 3, TopicPartition("t", 1): 2}]


def test_a_transient_fault_retries_the_whole_batch_until_it_passes() -> None:
    attempts: list[int] = []

    async def work(records: Sequence[Any]) -> None:
        attempts.append(len(records))
        if len(attempts) < 3:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")

    loop = loop_with(work)
    asyncio.run(loop.process(batch(0, 1)))  # type: ignore[arg-type]

    assert attempts == [2, 2, 2]
    assert loop.dead == []  # type: ignore[attr-defined]


def test_a_poison_record_is_dead_lettered_alone_and_the_others_are_done() -> None:
    done: list[int] = []
    consumer = Consumer()

    async def work(records: Sequence[Any]) -> None:
        if any(r.value == b"2" for r in records):
            raise ValueError("invalid byte sequence for encoding UTF8: 0x00")
        done.extend(r.offset for r in records)

    loop = loop_with(work, consumer)
    asyncio.run(loop.process(batch(0, 1, 2, 3)))  # type: ignore[arg-type]

    assert done == [0, 1, 3]
    assert [(o, r.split(":")[0]) for o, r in loop.dead] == [(2, "ValueError")]  # type: ignore[attr-defined]
    # Every record is marked done, the poison one after its dead letter.
    assert consumer.commits[-1] == {TopicPartition("t", 1): 4}
    assert {TopicPartition("t", 0): 3} in consumer.commits


def test_exactly_once_puts_the_work_and_the_offsets_in_one_transaction() -> None:
    producer = Producer()

    async def work(records: Sequence[Any]) -> None:
        producer.calls.append(f"send {len(records)}")

    delivery = ExactlyOnce(producer, "group")  # type: ignore[arg-type]
    asyncio.run(loop_with(work, delivery=delivery).process(batch(0, 1, 2)))  # type: ignore[arg-type]

    assert producer.calls == ["begin", "send 3", "offsets [(0, 3), (1, 2)]", "commit"]


def test_exactly_once_aborts_a_failed_attempt_and_tries_again() -> None:
    producer = Producer()
    failures = [TimeoutError("broker slow")]

    async def work(records: Sequence[Any]) -> None:
        producer.calls.append("send")
        if failures:
            raise failures.pop()

    delivery = ExactlyOnce(producer, "group")  # type: ignore[arg-type]
    asyncio.run(loop_with(work, delivery=delivery).process(batch(0)))  # type: ignore[arg-type]

    assert producer.calls == [
        "begin",
        "send",
        "abort",
        "begin",
        "send",
        "offsets [(0, 1)]",
        "commit",
    ]


def test_a_rebalance_waits_for_the_batch_under_way() -> None:
    order: list[str] = []
    release = asyncio.Event()

    async def work(records: Sequence[Any]) -> None:
        order.append("work started")
        await release.wait()
        order.append("work done")

    async def scenario() -> None:
        loop = loop_with(work)

        async def process() -> None:
            async with loop.lock:
                await loop.process(batch(0))  # type: ignore[arg-type]

        processing = asyncio.create_task(process())
        await asyncio.sleep(0)

        async def revoke() -> None:
            async with loop.finish_batch():
                order.append("revoked")

        revoking = asyncio.create_task(revoke())
        await asyncio.sleep(0.01)
        assert order == ["work started"]
        release.set()
        await asyncio.gather(processing, revoking)

    asyncio.run(scenario())
    assert order == ["work started", "work done", "revoked"]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (asyncpg.exceptions.CannotConnectNowError("starting up"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating"), True),
        (asyncpg.exceptions.DeadlockDetectedError("deadlock"), True),
        (ConnectionResetError(), True),
        (asyncpg.exceptions.CharacterNotInRepertoireError("0x00"), False),
        (ValueError("bad"), False),
    ],
)
def test_what_counts_as_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_at_least_once_tolerates_a_commit_refused_after_a_rebalance() -> None:
    from aiokafka.errors import CommitFailedError

    class Refusing(Consumer):
        async def commit(self, offsets: dict[TopicPartition, int]) -> None:
            raise CommitFailedError("rebalanced")

    done: list[int] = []

    async def work(records: Sequence[Any]) -> None:
        done.extend(r.offset for r in records)

    asyncio.run(AtLeastOnce(Refusing()).complete(batch(0), work))  # type: ignore[arg-type]
    assert done == [0]
