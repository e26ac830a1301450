"""actions' group-less feeds: what every replica reads from the latest offset to keep its
desktops and its operations page live. Two consumers, by how long a reader may wait:

- the desktop's, at `KAFKA_FETCH_WAIT_MS`: `recommendations.desktop` rings the streams of
  the agents a recommendation is for (desktops.DesktopFeed), and `customers` pops screens
  for the agents a record names (screen_pop.ScreenPops);
- the operations page's, at `KAFKA_BACKGROUND_FETCH_WAIT_MS`: `ops.metrics`,
  `interactions.dlq` and the other `recommendations.*` topics (ops_feed.OpsFeed).

Not one consumer for all: an empty fetch costs Tansu about 0.45 ms of CPU and 0.034 ms
more for every partition it names (bench.fetch_wait), so reading the ops topics' 30
partitions at the desktop's wait kept a quiet broker busy for no reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from services.actions.settings import Settings
from services.plumbing.kafka import make_consumer

Handler = Callable[[ConsumerRecord[bytes, bytes]], Awaitable[None]]


async def follow_feeds(
    settings: Settings,
    routes: Mapping[str, Sequence[Handler]],
    started: Sequence[asyncio.Event],
    fetch_wait_ms: int,
) -> None:
    """Read every topic of `routes` and hand each message to its topic's handlers."""
    consumer: AIOKafkaConsumer = make_consumer(
        settings,
        *routes,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=fetch_wait_ms,
    )
    await consumer.start()
    for event in started:
        event.set()
    try:
        async for message in consumer:
            for handle in routes[message.topic]:
                await handle(message)
    finally:
        for event in started:
            event.clear()
        await consumer.stop()
