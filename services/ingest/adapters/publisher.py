"""Puts validated events on `interactions` (CloudEvents Kafka binding) and refusals on the DLQ.

`publish` returns only once the broker acknowledged every event (`acks=all`), or raises
`BrokerUnavailable` when that takes longer than the deadline, so ingest never answers 202
for an event that is not stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from opentelemetry.trace import SpanKind

from schemas.events import FieldProblem, InteractionEvent
from schemas.headers import INGESTED_AT_HEADER
from services.plumbing.kafka import send_dead_letter
from services.plumbing.tracing import hop_span, trace_headers

_FORMAT = JSONFormat()


class BrokerUnavailable(ConnectionError):
    """The broker did not acknowledge in time; nothing may be reported as accepted.

    A fault of the world, not of the content: a `ConnectionError`, so consumer loops
    (`plumbing.consuming`) retry the same work rather than dead-letter it."""


def to_kafka_message(event: InteractionEvent, ingested_at_ms: int) -> ce_kafka.KafkaMessage:
    """The CloudEvents Kafka binary-mode message for a validated event, keyed by customer."""
    envelope = event.envelope
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "subject": envelope.subject,
        "time": event.time,
        "datacontenttype": "application/json",
    }
    if envelope.dataschema:
        attributes["dataschema"] = envelope.dataschema
    attributes.update(envelope.extensions())
    message = ce_kafka.to_binary(
        CloudEvent(attributes, envelope.data), _FORMAT, key_mapper=lambda e: e.get_subject()
    )
    message.headers[INGESTED_AT_HEADER] = str(ingested_at_ms).encode()
    return message


class EventPublisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str, dlq_topic: str, timeout_s: float):
        self.producer, self.topic, self.dlq_topic = producer, topic, dlq_topic
        self.timeout_s = timeout_s
        self.started = False

    @contextlib.asynccontextmanager
    async def _acknowledged(self) -> AsyncIterator[None]:
        """The block's sends must be acknowledged within the deadline, or BrokerUnavailable."""
        if not self.started:
            raise BrokerUnavailable("not connected to the broker yet")
        try:
            async with asyncio.timeout(self.timeout_s):
                yield
        except (TimeoutError, KafkaError, OSError) as error:
            raise BrokerUnavailable(str(error) or type(error).__name__) from error

    async def publish(self, events: Sequence[InteractionEvent]) -> None:
        """Send the events and wait for every ack. Each event's trace starts here (or
        continues the one its `traceparent` extension or the request carries)."""
        now_ms = int(time.time() * 1000)
        async with self._acknowledged():
            futures, spans = [], []
            for event in events:
                message = to_kafka_message(event, now_ms)
                key = message.key.encode() if isinstance(message.key, str) else message.key
                extension = event.envelope.extensions().get("traceparent")
                span = hop_span(
                    "ingest",
                    {"traceparent": str(extension)} if extension else {},
                    None,
                    SpanKind.PRODUCER,
                    {"moments.event_type": event.type},
                )
                spans.append(span)
                headers = [*message.headers.items(), *trace_headers(span)]
                futures.append(
                    await self.producer.send(self.topic, message.value, key=key, headers=headers)
                )
            try:
                await asyncio.gather(*futures)
            finally:
                for span in spans:
                    span.end()

    async def dead_letter(
        self,
        value: bytes,
        key: bytes | None,
        headers: list[tuple[str, bytes]],
        problems: list[FieldProblem],
        path: str,
    ) -> None:
        """Store a refused event with its reason; raises BrokerUnavailable if it cannot."""
        async with self._acknowledged():
            await send_dead_letter(
                self.producer, self.dlq_topic, value, key, headers, problems, path
            )
