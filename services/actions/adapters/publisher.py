"""The `Publisher` port on Kafka: send a batch, then wait for every ack together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from services.actions.ports import Message


class KafkaPublisher:
    def __init__(self, producer: AIOKafkaProducer):
        self.producer = producer

    async def publish(self, messages: Sequence[Message]) -> None:
        acks = [
            await self.producer.send(m.topic, m.value, key=m.key, headers=list(m.headers))
            for m in messages
        ]
        await asyncio.gather(*acks)
