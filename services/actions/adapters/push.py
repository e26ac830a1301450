"""The desktop hub: fans recommendations out to the agents' live SSE and WebSocket streams.

Each actions replica reads `recommendations.desktop` with its own consumer (no shared
group), so every replica sees every recommendation and can serve any agent. A desktop
gets what is for one of its queues or for a customer it is on a live contact with.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from prometheus_client import Gauge

from schemas.recommendations import Recommendation
from services.actions.domain.desktop import Agent, is_for

SUBSCRIBERS = Gauge("moments_actions_desktop_subscribers", "Live desktop streams")


@dataclass(frozen=True)
class Delivery:
    seq: int
    recommendation: Recommendation
    pushed_headers: dict[str, str]


class DesktopHub:
    def __init__(self, queue_size: int = 1000):
        self.queue_size = queue_size
        self._subscribers: dict[asyncio.Queue[Delivery], Agent] = {}

    def publish(self, delivery: Delivery) -> int:
        """Hand a delivery to every matching subscriber; returns how many got it."""
        count = 0
        for queue, agent in list(self._subscribers.items()):
            if is_for(agent, delivery.recommendation):
                with contextlib.suppress(asyncio.QueueFull):  # a stuck client resumes by seq
                    queue.put_nowait(delivery)
                    count += 1
        return count

    @contextlib.asynccontextmanager
    async def subscribe(self, agent: Agent) -> AsyncIterator[asyncio.Queue[Delivery]]:
        queue: asyncio.Queue[Delivery] = asyncio.Queue(self.queue_size)
        self._subscribers[queue] = agent
        SUBSCRIBERS.inc()
        try:
            yield queue
        finally:
            del self._subscribers[queue]
            SUBSCRIBERS.dec()
