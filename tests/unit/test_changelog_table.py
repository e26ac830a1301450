"""`services.plumbing.changelog.ChangelogTable`: restore up to a marker, keep across a
rebalance, apply only what was written. The changelog is an in-memory log per partition
behind the same calls the table makes of aiokafka."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from services.plumbing.changelog import MARKER_KEY, ChangelogTable

TOPIC = "t-changelog"


@dataclass
class Message:
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class Log:
    partitions: dict[int, list[Message]] = field(default_factory=dict)
    reads: int = 0  # messages handed to readers

    def append(self, partition: int, key: bytes | None, value: bytes | None) -> int:
        messages = self.partitions.setdefault(partition, [])
        messages.append(Message(len(messages), key, value))
        return len(messages) - 1


class Reader:
    """The slice of AIOKafkaConsumer the table uses; hands out at most 2 per fetch."""

    def __init__(self, log: Log):
        self.log = log
        self.positions: dict[TopicPartition, int] = {}

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = {tp: 0 for tp in partitions}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset

    def pause(self, tp: TopicPartition) -> None:
        self.positions.pop(tp)

    async def getmany(self, *tps: TopicPartition, **_: Any) -> dict[TopicPartition, list[Message]]:
        out = {}
        for tp in tps:
            at = self.positions.get(tp)
            if at is None:
                continue
            chunk = self.log.partitions.get(tp.partition, [])[at : at + 2]
            if chunk:
                self.positions[tp] = at + len(chunk)
                self.log.reads += len(chunk)
                out[tp] = chunk
        return out


def table_on(log: Log) -> ChangelogTable:
    async def send(partition: int, key: bytes, value: bytes | None) -> int:
        return log.append(partition, key, value)

    return ChangelogTable(TOPIC, send, lambda: Reader(log))  # type: ignore[arg-type,return-value]


def test_a_new_member_restores_every_partition_it_is_given_up_to_its_marker() -> None:
    log = Log()
    for n in range(5):
        log.append(0, f"c{n}".encode(), f"v{n}".encode())
    log.append(0, b"c1", None)  # erased
    log.append(1, b"d", b"only")
    table = table_on(log)

    asyncio.run(table.assign({0, 1}))

    assert table.owned() == [0, 1]
    assert len(table) == 5
    assert table.get(0, b"c4") == b"v4" and table.get(0, b"c1") is None
    assert table.get(1, b"d") == b"only"
    assert log.partitions[0][-1].key == MARKER_KEY  # it read up to its own marker


def test_a_partition_kept_across_a_rebalance_reads_only_what_came_since() -> None:
    log = Log()
    for n in range(50):
        log.append(0, f"c{n}".encode(), b"v")
    table = table_on(log)
    asyncio.run(table.assign({0}))
    staged = table.stage()
    staged.put(0, b"new", b"mine")
    table.apply(staged, {0: log.append(0, b"new", b"mine")})
    first_read = log.reads

    table.revoke({0})
    assert table.owned() == []
    asyncio.run(table.assign({0}))

    assert log.reads - first_read == 1  # only its new marker
    assert table.get(0, b"new") == b"mine" and len(table) == 51


def test_what_another_member_wrote_meanwhile_is_caught_up() -> None:
    log = Log()
    log.append(0, b"a", b"1")
    table = table_on(log)
    asyncio.run(table.assign({0}))
    table.revoke({0})
    log.append(0, b"a", b"2")  # the partition's owner in between
    log.append(0, b"b", b"3")

    asyncio.run(table.assign({0}))

    assert table.get(0, b"a") == b"2" and table.get(0, b"b") == b"3"


def test_partitions_given_to_another_member_are_forgotten() -> None:
    log = Log()
    log.append(0, b"a", b"1")
    log.append(1, b"b", b"2")
    table = table_on(log)
    asyncio.run(table.assign({0, 1}))

    table.revoke({0, 1})
    asyncio.run(table.assign({1}))

    assert table.owned() == [1]
    assert len(table) == 1
    assert 0 not in table._partitions


def test_a_failed_batch_leaves_the_table_as_it_was() -> None:
    log = Log()
    log.append(0, b"a", b"before")
    table = table_on(log)
    asyncio.run(table.assign({0}))

    staged = table.stage()
    staged.put(0, b"a", b"after")
    staged.put(0, b"b", b"new")
    # ...the changelog write fails: the staged changes are dropped, never applied.

    assert table.get(0, b"a") == b"before" and table.get(0, b"b") is None
    assert staged.get(0, b"a") == b"after"
