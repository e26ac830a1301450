"""What signals connects and runs, and how it starts and stops.

`Runtime.start()` returns at once: a supervised task waits for the broker (with backoff,
as long as it takes, so services start in any order), makes sure the changelog topic
exists with as many partitions as `interactions`, then runs the `interactions` loop.
`/readyz` says what is missing meanwhile; a loop that ends unexpectedly stops the
process non-zero.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.topics import Topics
from services.plumbing.changelog import ChangelogTable
from services.plumbing.consuming import CommitAfterWork, Delivery, ExactlyOnce
from services.plumbing.kafka import (
    broker_reachable,
    ensure_topics,
    make_producer,
    partitions_of,
    wait_for_broker,
)
from services.plumbing.lifecycle import Lifecycle
from services.plumbing.metrics import OpsReporter
from services.plumbing.settings import KafkaSettings
from services.signals.batch import MAX_REQUEST_BYTES
from services.signals.consumers.interactions import InteractionsWork, interactions_loop
from services.signals.handlers import SignalsHandler
from services.signals.settings import Settings

log = logging.getLogger(__name__)


def vader_handler() -> SignalsHandler:
    analyzer = SentimentIntensityAnalyzer()
    return SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))


def changelog_topic(topic_prefix: str, app_id: str) -> str:
    """The customer table's changelog: one per signals app (consumer group)."""
    return f"{topic_prefix}{app_id}-customers-changelog"


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topics = Topics(settings.kafka_topic_prefix)
        self.changelog_topic = changelog_topic(settings.kafka_topic_prefix, settings.signals_app_id)
        exactly_once = settings.signals_processing_guarantee == "exactly_once"
        # The plain producer sends restore markers; with exactly-once the batch's sends go
        # through a transactional one, whose transactions must not interleave with them.
        self.producer = make_producer(settings, max_request_size=MAX_REQUEST_BYTES)
        self.transactional: AIOKafkaProducer | None = (
            make_producer(
                settings,
                max_request_size=MAX_REQUEST_BYTES,
                transactional_id=f"{settings.signals_app_id}-{settings.signals_instance}",
            )
            if exactly_once
            else None
        )
        self.started: list[AIOKafkaProducer] = []
        self.table = ChangelogTable(self.changelog_topic, self._send_marker, self._reader)
        self.loop: CommitAfterWork | None = None
        self.lifecycle = Lifecycle()
        self.consuming = asyncio.Event()
        self.ops = OpsReporter(
            lambda: self.producer, self.topics.ops_metrics, "signals", settings.ops_interval_s
        )

    def _reader(self) -> AIOKafkaConsumer:
        isolation = "read_committed" if self.transactional is not None else "read_uncommitted"
        return AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            isolation_level=isolation,
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )

    async def _send_marker(self, partition: int, key: bytes, value: bytes | None) -> int:
        sent = await self.producer.send_and_wait(
            self.changelog_topic, value, key=key, partition=partition
        )
        return int(sent.offset)

    async def start(self) -> None:
        self.lifecycle.spawn(self._connect_and_run(), "signals startup", may_finish=True)

    async def _ensure_changelog(self) -> None:
        """The changelog must have a partition for each `interactions` partition."""
        settings = self.settings
        inputs = await partitions_of(settings.kafka_bootstrap_servers, self.topics.interactions)
        count = len(inputs) or settings.kafka_topic_partitions
        await ensure_topics(
            KafkaSettings(
                kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
                kafka_topic_partitions=count,
                kafka_replication_factor=settings.kafka_replication_factor,
            ),
            [self.changelog_topic],
            compact=True,
        )
        have = await partitions_of(settings.kafka_bootstrap_servers, self.changelog_topic)
        if len(have) != count:
            raise RuntimeError(
                f"{self.changelog_topic} has {len(have)} partitions and "
                f"{self.topics.interactions} {count}: they must match"
            )

    async def _connect_and_run(self) -> None:
        settings = self.settings
        log.info("waiting for the broker at %s", settings.kafka_bootstrap_servers)
        await wait_for_broker(settings.kafka_bootstrap_servers, deadline_s=None)
        await self._ensure_changelog()
        for producer in filter(None, (self.producer, self.transactional)):
            await producer.start()
            self.started.append(producer)
        sending = self.transactional or self.producer
        delivery: Delivery | None = (
            ExactlyOnce(self.transactional, settings.signals_app_id)
            if self.transactional is not None
            else None
        )
        work = InteractionsWork(sending, self.topics, self.table, vader_handler())
        self.loop = interactions_loop(
            settings, self.topics, self.table, work, sending, delivery, self.consuming.set
        )
        self.lifecycle.spawn(self.loop.run(), "interactions consumer")
        self.ops.start()
        log.info("signals started")

    async def stop(self) -> None:
        await self.lifecycle.stop(self.ops, self.started)
        self.consuming.clear()

    async def ready(self) -> dict[str, bool]:
        broker = bool(self.started) and await broker_reachable(self.producer)
        return {
            "broker": broker,
            "consuming_interactions": self.consuming.is_set(),
        }
