"""Kafka clients set up one way for every service, plus topic creation.

Producers use `acks=all`; idempotence follows `KAFKA_ENABLE_IDEMPOTENCE` because the local
broker (Tansu) lacks `InitProducerId`. Consumers commit by hand after the work is done,
which with stable ids downstream gives at-least-once delivery without duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import BaseModel, ValidationError

from schemas.events import FieldProblem
from schemas.headers import DLQ_PATH_HEADER, DLQ_REASON_HEADER, DLQ_TIME_HEADER
from schemas.topics import Topics
from services.plumbing.settings import KafkaSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
# Latest-value topics keep one record per key (Apache Kafka compacts them; Tansu keeps all).
_TOPIC_CONFIGS: dict[str, dict[str, str]] = {"customers": {"cleanup.policy": "compact"}}


def dead_letter_headers(
    original: Sequence[tuple[str, bytes]], problems: list[FieldProblem], path: str
) -> list[tuple[str, bytes]]:
    """The original headers plus why, when and on which path the message was refused."""
    reason = json.dumps([p.model_dump() for p in problems])
    return [
        *original,
        (DLQ_REASON_HEADER, reason.encode()),
        (DLQ_TIME_HEADER, datetime.now(UTC).isoformat().encode()),
        (DLQ_PATH_HEADER, path.encode()),
    ]


async def send_dead_letter(
    producer: AIOKafkaProducer,
    topic: str,
    value: bytes | None,
    key: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    problems: list[FieldProblem],
    path: str,
) -> None:
    """Put a refused message on the dead-letter topic, as received plus why, when and on
    which path (`dead_letter_headers`); returns once the broker acknowledged it."""
    await producer.send_and_wait(
        topic, value or b"", key=key, headers=dead_letter_headers(headers, problems, path)
    )


def refusal(
    model: type[BaseModel], value: bytes | None, reason: str, whole: str
) -> list[FieldProblem]:
    """Why a record was refused: each field `model` finds wrong in it, or else `reason`
    for the whole record (named `whole`, e.g. "(signal)")."""
    try:
        model.model_validate_json(value or b"")
    except ValidationError as error:
        return [
            FieldProblem(field=".".join(map(str, e["loc"])) or whole, reason=e["msg"])
            for e in error.errors(include_url=False)
        ]
    return [FieldProblem(field=whole, reason=reason)]


def dead_letter_as(
    producer: AIOKafkaProducer, topic: str, model: type[BaseModel], whole: str, path: str
) -> Callable[[Any, str], Awaitable[None]]:
    """A consumer loop's `dead_letter(record, reason)` for records meant to be `model`s."""

    async def dead_letter(record: Any, reason: str) -> None:
        problems = refusal(model, record.value, reason, whole)
        await send_dead_letter(
            producer, topic, record.value, record.key, list(record.headers), problems, path
        )

    return dead_letter


def make_producer(settings: KafkaSettings, **overrides: object) -> AIOKafkaProducer:
    options: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "acks": "all",
        "enable_idempotence": settings.kafka_enable_idempotence,
        "linger_ms": 0,
        "request_timeout_ms": 10_000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


class LoggedAssignment(ConsumerRebalanceListener):
    """Says in the log which partitions a group member got, so an operator (and the
    hand-over drill) can see a crashed member's partitions move on."""

    def __init__(self, group_id: str, then: ConsumerRebalanceListener | None = None):
        self.group_id, self.then = group_id, then

    @staticmethod
    def _names(partitions: Iterable[TopicPartition]) -> str:
        by_topic: dict[str, list[int]] = {}
        for tp in partitions:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        return ", ".join(f"{t}{sorted(p)}" for t, p in sorted(by_topic.items())) or "none"

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        log.info("group %s: partitions revoked: %s", self.group_id, self._names(revoked))
        if self.then is not None:
            await self.then.on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        if self.then is not None:
            await self.then.on_partitions_assigned(assigned)
        log.info("group %s: partitions assigned: %s", self.group_id, self._names(assigned))


def make_consumer(
    settings: KafkaSettings,
    *topics: str,
    group_id: str | None,
    listener: ConsumerRebalanceListener | None = None,
    **overrides: object,
) -> AIOKafkaConsumer:
    """A consumer that commits by hand. With a group it subscribes to `topics` and logs
    its assignments (then calls `listener`); without one it reads them all."""
    options: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "fetch_max_wait_ms": settings.kafka_fetch_wait_ms,
        "session_timeout_ms": int(settings.kafka_session_timeout_s * 1000),
        "heartbeat_interval_ms": int(settings.kafka_heartbeat_interval_s * 1000),
        "rebalance_timeout_ms": 5_000,
    }
    options.update(overrides)
    if group_id is None:
        return AIOKafkaConsumer(*topics, **options)
    consumer = AIOKafkaConsumer(**options)
    consumer.subscribe(list(topics), listener=LoggedAssignment(group_id, listener))
    return consumer


async def wait_for_broker(bootstrap_servers: str, deadline_s: float | None = 30.0) -> None:
    """Poll until the broker answers metadata requests, with backoff; raise after the deadline.

    Services pass `deadline_s=None`: they wait as long as it takes and say so in their log.
    """
    end = None if deadline_s is None else time.monotonic() + deadline_s
    last: Exception | None = None
    delay, attempts = 0.1, 0
    while end is None or time.monotonic() < end:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaError, OSError, TimeoutError) as error:
            last, attempts = error, attempts + 1
            if attempts == 1 or attempts % 20 == 0:
                log.warning("waiting for the broker at %s: %s", bootstrap_servers, error)
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 1.5)
        finally:
            await admin.close()
    raise TimeoutError(f"broker {bootstrap_servers} not reachable: {last}")


async def ensure_topics(
    settings: KafkaSettings, names: list[str] | None = None, compact: bool = False
) -> list[str]:
    """Create the platform's topics with explicit partition counts; returns the new ones.

    `compact` makes every named topic a compacted one (a service's own changelog)."""
    names = names or Topics(settings.kafka_topic_prefix).all()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    name,
                    settings.kafka_topic_partitions,
                    settings.kafka_replication_factor,
                    topic_configs={"cleanup.policy": "compact"}
                    if compact
                    else _TOPIC_CONFIGS.get(name.removeprefix(settings.kafka_topic_prefix), {}),
                )
                for name in names
            ]
        )
        created = []
        for topic, code, message in (e[:3] for e in response.topic_errors):
            if code == 0:
                created.append(topic)
            elif code != TOPIC_ALREADY_EXISTS:
                raise RuntimeError(f"creating topic {topic} failed: {code} {message}")
        return created
    finally:
        await admin.close()


async def partitions_of(bootstrap_servers: str, topic: str) -> list[int]:
    """The topic's partition numbers (empty when it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(
        p["partition"]
        for t in described
        if t["topic"] == topic and t["error_code"] == 0
        for p in t["partitions"]
    )


async def broker_reachable(producer: AIOKafkaProducer, timeout_s: float = 2.0) -> bool:
    """True when the producer's client can fetch cluster metadata within the timeout."""
    try:
        return bool(await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout_s))
    except (TimeoutError, KafkaError, KafkaConnectionError, OSError):
        return False
