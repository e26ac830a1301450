"""actions' group-less feeds, on one consumer: what every replica reads from the latest
offset to keep its desktops and its operations page live.

- `recommendations.desktop`: ring the streams of the agents a recommendation is for
  (desktops.DesktopFeed);
- `customers`: screen-pops for the agents a record names (screen_pop.ScreenPops);
- `ops.metrics`, `interactions.dlq` and every `recommendations.*` topic: the operations
  page's figures (ops_feed.OpsFeed.on_message).

One consumer, not three: a fetch request covers every partition a consumer reads, so the
broker serves one request per fetch wait for all of them, and a quiet replica costs it a
third of the requests it did. The wait is the desktop's (10 ms): the ops topics are read
as often, which costs nothing more.
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
) -> None:
    """Read every topic of `routes` and hand each message to its topic's handlers."""
    consumer: AIOKafkaConsumer = make_consumer(
        settings, *routes, group_id=None, auto_offset_reset="latest", fetch_max_wait_ms=10
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
