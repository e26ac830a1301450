"""Live desktop streams: PostgreSQL is what a desktop reads, the hub only says "look now".

A stream follows the agent's recommendations in the desktops' commit order (`desktop_pos`,
see migration 005) from the position the desktop last saw, a page at a time, so it gets
every one exactly once, in order, however many it missed, whichever replica decided them.
Each replica reads `recommendations.desktop` (consumers/desktops.py) and rings the streams
of the agents a recommendation is for; a stream then reads the store from its cursor. A
ring that never comes (a feed restarting, a message lost) costs at most `poll_s` of delay,
never a recommendation.

The hub also carries screen-pops: consumers/screen_pop.py hands it each customer record
that names an agent's live contact, and that agent's streams send it (a `customer` event)
before they next read the store. A pop is the customer's latest state, not a journal
entry: a stream opening also sends the agent's live customers as they stand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Protocol

from prometheus_client import Counter, Gauge

from schemas.customers import CustomerRecord
from schemas.recommendations import Recommendation
from services.actions.domain.desktop import Agent, StoredRecommendation, is_for

DesktopItem = StoredRecommendation | CustomerRecord
SUBSCRIBERS = Gauge("moments_actions_desktop_subscribers", "Live desktop streams")
DELIVERED = Counter(
    "moments_actions_desktop_delivered", "Recommendations sent on desktop streams", ["kind"]
)


class DesktopStore(Protocol):
    async def desktop_head(self) -> int: ...

    async def desktop_page(
        self, agent: Agent, after: int, open_until: int, now: datetime, limit: int
    ) -> list[StoredRecommendation]: ...


class DesktopHub:
    """Rings the live streams of the agents a recommendation is for.

    It also remembers the per-hop timestamps of the last `traces` recommendations it
    saw, so a stream can pass them on for latency measurement.
    """

    def __init__(self, traces: int = 10_000):
        self._subscribers: dict[asyncio.Event, Agent] = {}
        self._pops: dict[asyncio.Event, dict[str, CustomerRecord]] = {}
        self._traces: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._trace_limit = traces

    def ring(self, recommendation: Recommendation, headers: dict[str, str] | None = None) -> int:
        """Wake every stream this recommendation is for; returns how many."""
        if headers is not None:
            self._traces[recommendation.id] = headers
            while len(self._traces) > self._trace_limit:
                self._traces.popitem(last=False)
        count = 0
        for bell, agent in list(self._subscribers.items()):
            if is_for(agent, recommendation):
                bell.set()
                count += 1
        return count

    def pop_up(self, agent_id: str, record: CustomerRecord) -> int:
        """Hand `record` to every stream of agent `agent_id` (only the customer's latest
        record waits, however many came); returns how many streams."""
        count = 0
        for bell, agent in list(self._subscribers.items()):
            if agent.id == agent_id:
                waiting = self._pops.setdefault(bell, {})
                waiting.pop(record.customer_id, None)  # the newest goes to the back
                waiting[record.customer_id] = record
                bell.set()
                count += 1
        return count

    def take_pops(self, bell: asyncio.Event) -> list[CustomerRecord]:
        """The records waiting for the stream of `bell`, oldest first; they are taken."""
        return list(self._pops.pop(bell, {}).values())

    def trace(self, recommendation_id: str) -> dict[str, str] | None:
        return self._traces.get(recommendation_id)

    @contextlib.asynccontextmanager
    async def subscribe(self, agent: Agent) -> AsyncIterator[asyncio.Event]:
        bell = asyncio.Event()
        self._subscribers[bell] = agent
        SUBSCRIBERS.inc()
        try:
            yield bell
        finally:
            del self._subscribers[bell]
            self._pops.pop(bell, None)
            SUBSCRIBERS.dec()


async def follow(
    store: DesktopStore,
    hub: DesktopHub,
    agent: Agent,
    after: int,
    clock: Callable[[], datetime],
    poll_s: float = 2.0,
    page: int = 200,
    live: Callable[[], Awaitable[list[CustomerRecord]]] | None = None,
) -> AsyncGenerator[DesktopItem]:
    """Every recommendation for `agent` after position `after`, then each new one, forever;
    and the customer records popped up for the agent, as they come.

    `after` 0 means a fresh desktop: it first gets what is open and unexpired, then
    everything committed after it connected. Positions only grow, so no recommendation is
    sent twice on one stream. With `live`, the stream starts with the customers the agent
    is on a live contact with now (on every connection: a pop missed while away is not
    lost).
    """
    async with hub.subscribe(agent) as bell:
        if live is not None:
            for record in await live():
                yield record
        open_until = await store.desktop_head() if after <= 0 else 0
        cursor = max(after, 0)
        kind = "backlog"
        while True:
            bell.clear()  # a ring during the read below makes the next wait return at once
            for record in hub.take_pops(bell):
                yield record
            rows = await store.desktop_page(agent, cursor, open_until, clock(), page)
            for stored in rows:
                assert stored.position is not None and stored.position > cursor
                cursor = stored.position
                DELIVERED.labels(kind).inc()
                yield stored
            if len(rows) == page:
                continue
            kind = "live"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bell.wait(), poll_s)
