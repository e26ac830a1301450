"""The commit-after-work consumer loop every service uses, and what counts as transient.

`CommitAfterWork.run()` reads a topic in batches, hands each batch to the service's
`work`, and commits the offsets only after `work` returned. A transient fault (broker or
database away, PostgreSQL starting up or shutting down, a timeout) retries the same batch
with backoff, without end. Any other error means some record's content cannot be
processed: the batch is then retried one record at a time, and each record that still
fails is dead-lettered with its reason and counted, so one poison record never stops the
records behind it. The loop itself never ends quietly: `supervise` turns an unexpected
end of a task into a non-zero exit of the process, so a supervisor restarts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeAlias

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import Counter

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
DEAD_LETTERED = Counter(
    "moments_dead_lettered", "Records a stage could not process, kept with the reason", ["stage"]
)
RETRIES = Counter("moments_transient_retries", "Batches retried after a transient fault", ["stage"])

_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    ConnectionError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # the pool or connection closed under us
    asyncpg.exceptions.OperatorInterventionError,  # 57P01-57P03: shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # 53xxx: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # 40001, 40P01: serialization, deadlock
)


def is_transient(error: BaseException) -> bool:
    """True for faults of the world (retry the same work), False for faults of the content."""
    return isinstance(error, _TRANSIENT)


class Backoff:
    """Exponential backoff with a cap; `reset()` after a success."""

    def __init__(self, first_s: float = 0.1, cap_s: float = 5.0):
        self.first_s, self.cap_s, self.next_s = first_s, cap_s, first_s

    async def wait(self) -> None:
        await asyncio.sleep(self.next_s)
        self.next_s = min(self.cap_s, self.next_s * 2)

    def reset(self) -> None:
        self.next_s = self.first_s


async def retrying(action: Callable[[], Awaitable[Any]], stage: str) -> None:
    """Run `action`, retrying transient faults with backoff without end; a content
    error is raised."""
    backoff = Backoff()
    while True:
        try:
            await action()
            return
        except Exception as error:
            if not is_transient(error):
                raise
            RETRIES.labels(stage).inc()
            log.warning("%s: transient fault, retrying: %s", stage, error)
            await backoff.wait()


def next_offsets(records: Sequence[Record]) -> dict[TopicPartition, int]:
    """The offset to commit per partition once `records` are done: the last one + 1."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


Work: TypeAlias = Callable[[Sequence[Record]], Awaitable[None]]


class Delivery(Protocol):
    """How a stage marks records done: after the work, or in one transaction with it."""

    async def complete(self, records: Sequence[Record], work: Work) -> None: ...


@dataclass
class AtLeastOnce:
    """Do the work, then commit the offsets: a crash in between repeats the work, which
    every stage makes harmless with stable ids."""

    consumer: AIOKafkaConsumer

    async def complete(self, records: Sequence[Record], work: Work) -> None:
        await work(records)
        try:
            await self.consumer.commit(next_offsets(records))
        except CommitFailedError as error:
            # The group rebalanced: the partitions' new owner processes these records again,
            # which the work tolerates (it is idempotent).
            log.warning("commit refused after a rebalance: %s", error)


@dataclass
class ExactlyOnce:
    """The work's sends and the offsets in one Kafka transaction (Apache Kafka only;
    readers use isolation_level=read_committed). An aborted attempt leaves no trace."""

    producer: AIOKafkaProducer
    group_id: str

    async def complete(self, records: Sequence[Record], work: Work) -> None:
        async with self.producer.transaction():
            await work(records)
            await self.producer.send_offsets_to_transaction(next_offsets(records), self.group_id)


@dataclass
class CommitAfterWork:
    """One stage's loop: `work(records)` must be idempotent (it may see a record again).

    `lock` is held while a batch is worked on and marked done; a rebalance listener
    takes it (`finish_batch`) so partitions are never handed on half-done.
    """

    stage: str
    consumer: AIOKafkaConsumer
    work: Work
    dead_letter: Callable[[Record, str], Awaitable[None]]
    max_records: int = 200
    on_started: Callable[[], None] | None = None
    delivery: Delivery | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._delivery: Delivery = self.delivery or AtLeastOnce(self.consumer)

    async def run(self) -> None:
        await self.consumer.start()
        if self.on_started:
            self.on_started()
        try:
            while True:
                batches = await self.consumer.getmany(timeout_ms=500, max_records=self.max_records)
                if not batches:
                    continue
                records = [r for messages in batches.values() for r in messages]
                async with self.lock:
                    await self.process(records)
        finally:
            await self.consumer.stop()

    @contextlib.asynccontextmanager
    async def finish_batch(self) -> AsyncIterator[None]:
        """Wait for the batch under way to be done and committed, and hold off the next."""
        async with self.lock:
            yield

    async def process(self, records: Sequence[Record]) -> None:
        """Do the work for the batch and mark it done; isolate and dead-letter what
        cannot be processed."""
        error = await self._attempt(partial(self._delivery.complete, records, self.work))
        if error is None:
            return
        log.warning(
            "%s: batch of %d failed (%s); retrying one by one", self.stage, len(records), error
        )
        for record in records:
            failure = await self._attempt(partial(self._delivery.complete, [record], self.work))
            if failure is not None:
                await self._refuse(record, f"{type(failure).__name__}: {failure}"[:1000])

    async def _refuse(self, record: Record, reason: str) -> None:
        """Dead-letter the record with its reason, and mark it done."""

        async def dead_letter(_: Sequence[Record]) -> None:
            await self.dead_letter(record, reason)

        await retrying(partial(self._delivery.complete, [record], dead_letter), self.stage)
        DEAD_LETTERED.labels(self.stage).inc()
        log.error(
            "%s: dead-lettered %s[%d]@%d: %s",
            self.stage,
            record.topic,
            record.partition,
            record.offset,
            reason,
        )

    async def _attempt(self, action: Callable[[], Awaitable[None]]) -> BaseException | None:
        """Run the action, retrying transient faults without end; return a content error."""
        backoff = Backoff()
        while True:
            try:
                await action()
                return None
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not is_transient(error):
                    return error
                RETRIES.labels(self.stage).inc()
                log.warning("%s: transient fault, retrying: %s", self.stage, error)
                await backoff.wait()


_failed: list[str] = []


def supervise(task: asyncio.Task[Any], name: str, may_finish: bool = False) -> None:
    """A task that fails (or, unless `may_finish`, ends at all) ends the process non-zero.

    The process is asked to stop (SIGTERM, so it shuts down cleanly) and `exit_status()`
    then reports the failure to `__main__`.
    """

    def ended(done: asyncio.Task[Any]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        if error is None and may_finish:
            return
        log.critical("%s ended unexpectedly: %r; stopping the process", name, error)
        _failed.append(name)
        os.kill(os.getpid(), signal.SIGTERM)

    task.add_done_callback(ended)


def exit_status() -> int:
    """Non-zero when a supervised task ended unexpectedly."""
    return 1 if _failed else 0
