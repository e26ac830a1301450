"""A partitioned key-value table kept in memory and backed by a compacted changelog topic.

A stateful consumer holds the state of the input partitions it is assigned, one dict per
partition, and writes every change to the same partition of the changelog topic (key,
new value; a null value deletes). When it is assigned a partition it catches that
partition up from the changelog before processing it, so a restarted or new member
continues where the last owner stopped.

How far to read is decided by a marker, not by the broker's end offset: the member
writes a marker record (a tombstone of a key no customer has) to the changelog
partition and reads until it has seen it. A broker that under-reports its high
watermark (Tansu 0.6 reports the base offset of the last batch) cannot cut a restore
short that way. A member that keeps a partition across a rebalance only reads what was
written since it last wrote, usually nothing but its marker.

Changes are staged per batch (`Staged`) and applied only once the changelog write is
acknowledged, so a batch that fails leaves the table as it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)

MARKER_KEY = b"\x00moments-restore-marker"
# Sends one record to a partition of the changelog and returns its offset once acked.
Send = Callable[[int, bytes, bytes | None], Awaitable[int]]


@dataclass
class _Partition:
    values: dict[bytes, bytes] = field(default_factory=dict)
    applied: int = -1  # changelog offset the values reflect, inclusive
    owned: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class ChangelogTable:
    """The state of the partitions this member holds; see the module docstring."""

    def __init__(self, topic: str, send: Send, reader: Callable[[], AIOKafkaConsumer]):
        self.topic = topic
        self._send = send
        self._reader = reader
        self._partitions: dict[int, _Partition] = {}
        self.restored_records = 0

    def __len__(self) -> int:
        return sum(len(p.values) for p in self._partitions.values() if p.owned)

    def owned(self) -> list[int]:
        return sorted(n for n, p in self._partitions.items() if p.owned)

    async def wait_ready(self, partition: int) -> None:
        """Returns once `partition` is caught up; processing must wait for this."""
        state = self._partitions.get(partition)
        if state is None:
            state = self._partitions.setdefault(partition, _Partition())
        await state.ready.wait()

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._partitions[partition].values.get(key)

    def revoke(self, partitions: Iterable[int]) -> None:
        """Stop serving these partitions; keep their values in case they come back."""
        for number in partitions:
            state = self._partitions.get(number)
            if state is not None:
                state.owned = False
                state.ready.clear()

    async def assign(self, partitions: Iterable[int]) -> None:
        """Catch these partitions up from the changelog and serve them; forget the rest."""
        wanted = set(partitions)
        for number in [n for n in self._partitions if n not in wanted]:
            del self._partitions[number]  # another member owns it now
        if not wanted:
            return
        started = time.monotonic()
        numbers = sorted(wanted)
        sent = await asyncio.gather(*(self._send(n, MARKER_KEY, None) for n in numbers))
        markers = dict(zip(numbers, sent, strict=True))
        read = await self._catch_up(markers)
        for number in wanted:
            state = self._partitions.setdefault(number, _Partition())
            state.applied = markers[number]
            state.owned = True
            state.ready.set()
        log.info(
            "changelog %s: partitions %s caught up (%d records read) in %.2f s",
            self.topic,
            sorted(wanted),
            read,
            time.monotonic() - started,
        )

    async def _catch_up(self, markers: dict[int, int]) -> int:
        reader = self._reader()
        await reader.start()
        read = 0
        try:
            todo: dict[TopicPartition, int] = {}
            for number, marker in markers.items():
                state = self._partitions.setdefault(number, _Partition())
                state.ready.clear()
                if state.applied + 1 <= marker:
                    todo[TopicPartition(self.topic, number)] = marker
            reader.assign(list(todo))
            for tp in todo:
                reader.seek(tp, self._partitions[tp.partition].applied + 1)
            while todo:
                batches = await reader.getmany(*todo, timeout_ms=500, max_records=10_000)
                for tp, messages in batches.items():
                    values = self._partitions[tp.partition].values
                    for message in messages:
                        read += 1
                        if message.key == MARKER_KEY or message.key is None:
                            continue
                        if message.value is None:
                            values.pop(message.key, None)
                        else:
                            values[message.key] = message.value
                    if messages and messages[-1].offset >= todo[tp]:
                        del todo[tp]
                        reader.pause(tp)
        finally:
            await reader.stop()
        self.restored_records += read
        return read

    def stage(self) -> Staged:
        return Staged(self)

    def apply(self, staged: Staged, offsets: dict[int, int]) -> None:
        """Make the staged changes current; `offsets` are their changelog offsets."""
        for (number, key), value in staged.changes.items():
            values = self._partitions[number].values
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        for number, offset in offsets.items():
            state = self._partitions[number]
            state.applied = max(state.applied, offset)


class Staged:
    """One batch's changes: read through to the table, applied only when written."""

    def __init__(self, table: ChangelogTable):
        self.table = table
        self.changes: dict[tuple[int, bytes], bytes | None] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        if (partition, key) in self.changes:
            return self.changes[(partition, key)]
        return self.table.get(partition, key)

    def put(self, partition: int, key: bytes, value: bytes | None) -> None:
        self.changes[(partition, key)] = value

    def __iter__(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        for (partition, key), value in self.changes.items():
            yield partition, key, value
