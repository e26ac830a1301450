"""The `interactions` loop: fold a batch, send what it found, store the states, commit.

Per batch (`work`), in this order, each step awaited for every message at once:

1. fold the batch into staged customer states (batch.fold_batch, pure);
2. send its signals, customer records and dead letters, and wait for all the acks;
3. write the changed states to the changelog (one record per customer per batch), wait;
4. apply the staged states to the table; then the loop commits the offsets.

A crash before 3 replays the batch with the old states: the same signals again, with the
same ids, which actions drops. A crash between 3 and the commit replays it with the new
states: every event is then a duplicate and yields nothing. No event is marked seen
before its signals are on the broker. On a rebalance the listener waits for the batch
under way to be committed before the partitions move, and catches new partitions up
from the changelog before any of their records is folded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from opentelemetry.trace import Span
from prometheus_client import Counter, Gauge, Histogram

from schemas.events import FieldProblem
from schemas.headers import INGESTED_AT_HEADER as INGESTED_AT
from schemas.headers import stamp_ms
from schemas.topics import Topics
from services.plumbing.changelog import ChangelogTable
from services.plumbing.consuming import CommitAfterWork, Delivery, Record, retrying
from services.plumbing.kafka import make_consumer, send_dead_letter
from services.plumbing.tracing import hop_span, trace_headers
from services.signals.batch import Incoming, Outgoing, fold_batch
from services.signals.handlers import SignalsHandler
from services.signals.settings import Settings

log = logging.getLogger(__name__)
EVENTS = Counter("moments_signals_events", "Events processed", ["outcome"])
SIGNALS = Counter("moments_signals_emitted", "Signals emitted", ["type"])
CUSTOMERS = Gauge("moments_signals_customers", "Customers held in this worker's table")
BATCH_SECONDS = Histogram(
    "moments_signals_batch_seconds",
    "Time to process one batch, from fold to changelog ack",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BATCH_SIZE = Histogram(
    "moments_signals_batch_events",
    "Records per batch",
    buckets=(1, 2, 5, 10, 25, 50, 100, 200, 500),
)


class Rebalance(ConsumerRebalanceListener):
    """Partitions move only between batches, and new ones are caught up first."""

    def __init__(self, table: ChangelogTable, loop: CommitAfterWork | None = None):
        self.table, self.loop = table, loop

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        assert self.loop is not None
        async with self.loop.finish_batch():
            self.table.revoke({tp.partition for tp in revoked})

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        partitions = {tp.partition for tp in assigned}
        try:
            await retrying(lambda: self.table.assign(partitions), "signals restore")
        except Exception:
            # Records of these partitions would wait for a restore that never comes.
            log.critical("restoring partitions %s failed; stopping", sorted(partitions))
            os.kill(os.getpid(), signal.SIGTERM)
            raise
        CUSTOMERS.set(len(self.table))


class InteractionsWork:
    """`work` for CommitAfterWork: see the module docstring."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        topics: Topics,
        table: ChangelogTable,
        handler: SignalsHandler,
    ):
        self.producer, self.topics, self.table, self.handler = producer, topics, table, handler

    async def _send_all(self, topic: str, messages: Sequence[Outgoing]) -> list[int]:
        futures = [
            await self.producer.send(topic, m.value, key=m.key, headers=m.headers or None)
            for m in messages
        ]
        return [metadata.offset for metadata in await asyncio.gather(*futures)]

    async def __call__(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        for partition in {r.partition for r in records}:
            await self.table.wait_ready(partition)
        staged = self.table.stage()
        spans: list[Span] = []

        def traced(record: Incoming) -> list[tuple[str, bytes]]:
            """A record's hop, from ingest's stamp until its state is written."""
            span = hop_span("signals", record.headers, stamp_ms(record.headers, INGESTED_AT))
            spans.append(span)
            return trace_headers(span)

        now = datetime.now(UTC)
        folded = fold_batch(records, staged, self.handler, now, self.topics.erasures, traced=traced)
        await asyncio.gather(
            self._send_all(self.topics.signals, folded.signals),
            self._send_all(self.topics.customers, folded.customers),
            self._send_all(self.topics.interactions_dlq, folded.dead_letters),
        )
        changes = list(staged)
        futures = [
            await self.producer.send(self.table.topic, value, key=key, partition=partition)
            for partition, key, value in changes
        ]
        written: dict[int, int] = {}
        for metadata in await asyncio.gather(*futures):
            written[metadata.partition] = max(written.get(metadata.partition, -1), metadata.offset)
        self.table.apply(staged, written)
        for span in spans:
            span.end()
        EVENTS.labels("processed").inc(folded.processed)
        EVENTS.labels("duplicate").inc(folded.duplicates)
        EVENTS.labels("dead_lettered").inc(len(folded.dead_letters))
        EVENTS.labels("erased").inc(folded.erased)
        for kind in folded.signal_types:
            SIGNALS.labels(kind.value).inc()
        CUSTOMERS.set(len(self.table))
        BATCH_SIZE.observe(len(records))
        BATCH_SECONDS.observe(time.perf_counter() - started)


def interactions_loop(
    settings: Settings,
    topics: Topics,
    table: ChangelogTable,
    work: InteractionsWork,
    producer: AIOKafkaProducer,
    delivery: Delivery | None = None,
    on_started: object = None,
) -> CommitAfterWork:
    """The loop over `interactions` and `erasures` (co-partitioned: same customers,
    same partition numbers, assigned together by the range assignor)."""
    from aiokafka.coordinator.assignors.range import RangePartitionAssignor

    rebalance = Rebalance(table)

    async def dead_letter(record: Record, reason: str) -> None:
        problems = [FieldProblem(field="(event)", reason=reason)]
        await send_dead_letter(
            producer,
            topics.interactions_dlq,
            record.value,
            record.key,
            record.headers,
            problems,
            "signals",
        )
        EVENTS.labels("dead_lettered").inc()

    consumer = make_consumer(
        settings,
        topics.interactions,
        topics.erasures,
        group_id=settings.signals_app_id,
        listener=rebalance,
        partition_assignment_strategy=(RangePartitionAssignor,),
        max_poll_records=settings.signals_batch_max,
        rebalance_timeout_ms=int(settings.signals_rebalance_timeout_s * 1000),
    )
    loop = CommitAfterWork(
        "signals",
        consumer,
        work,
        dead_letter,
        max_records=settings.signals_batch_max,
        on_started=on_started,  # type: ignore[arg-type]
        delivery=delivery,
    )
    rebalance.loop = loop
    return loop
