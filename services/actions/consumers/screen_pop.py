"""Screen-pop: when a contact names an agent, that agent's desktop switches to the customer.

signals publishes the customer's record to `customers` as soon as `contact.started` is
folded in, with `live_contact.agent_id` set. Every actions replica reads that topic here,
without a group and from the latest offset (like the desktop feed), and hands each record
that names an agent to that agent's streams on this replica (adapters/push.py); the
stream sends it as a `customer` event. When the contact ends (a record without the
agent), the agent it last named is told too, so its desktop can say the call is over.

The record is also stored (version-guarded, so it never moves a customer back in time)
before the desktop hears of it, so the customer API answers for the popped customer at
once instead of when the `customers` group gets to it. The group consumer stays the one
that keeps every customer; this one only keeps those on a call, and follows erasures.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from aiokafka import AIOKafkaConsumer
from prometheus_client import Counter
from pydantic import ValidationError

from schemas.customers import CustomerRecord
from schemas.topics import Topics
from services.actions.adapters.customers import CustomerStore
from services.actions.adapters.push import DesktopHub
from services.actions.settings import Settings
from services.plumbing.consuming import retrying
from services.plumbing.kafka import make_consumer

log = logging.getLogger(__name__)
POPS = Counter("moments_actions_screen_pops", "Customer records handed to desktops", ["kind"])
# Customers whose call this replica has seen, to tell their agent when it ends.
REMEMBERED_CALLS = 50_000


class ScreenPops:
    """What to do with each record of `customers`; the loop below feeds it."""

    def __init__(self, hub: DesktopHub, store: CustomerStore):
        self.hub, self.store = hub, store
        self._on_call: OrderedDict[str, str] = OrderedDict()  # customer -> agent

    async def on_record(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone: the customer was erased
            if key:
                customer_id = key.decode(errors="replace")
                self._on_call.pop(customer_id, None)
                await retrying(lambda: self.store.forget([customer_id]), "actions screen-pop")
            return
        try:
            record = CustomerRecord.model_validate_json(value)
        except ValidationError:
            return  # the `customers` group dead-letters it; nothing to show
        agent = record.live_contact.agent_id if record.live_contact else None
        previous = self._on_call.pop(record.customer_id, None)
        if agent is None and previous is None:
            return
        if agent is not None:
            try:
                await retrying(lambda: self.store.save([record]), "actions screen-pop")
            except Exception:
                log.exception("could not store the record of %s for its screen-pop", agent)
            self._on_call[record.customer_id] = agent
            while len(self._on_call) > REMEMBERED_CALLS:
                self._on_call.popitem(last=False)
            POPS.labels("live").inc(self.hub.pop_up(agent, record))
        if previous is not None and previous != agent:
            POPS.labels("ended").inc(self.hub.pop_up(previous, record))


async def pop_screens(
    settings: Settings, topics: Topics, pops: ScreenPops, started: asyncio.Event
) -> None:
    consumer: AIOKafkaConsumer = make_consumer(
        settings,
        topics.customers,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    started.set()
    try:
        async for message in consumer:
            await pops.on_record(message.key, message.value)
    finally:
        started.clear()
        await consumer.stop()
