"""Screen-pop: when a contact names an agent, that agent's desktop switches to the customer.

signals publishes the customer's record to `customers` as soon as `contact.started` is
folded in, with `live_contact.agent_id` set. Every actions replica reads that topic
without a group and from the latest offset (consumers/feeds.py), and hands each record
that names an agent to that agent's streams on this replica (adapters/push.py); the
stream sends it as a `customer` event. When the contact ends (a record without the
agent), the agent it last named is told too, so its desktop can say the call is over.

The record is also stored (version-guarded, so it never moves a customer back in time)
before the desktop hears of it, so the customer API answers for the popped customer at
once instead of when the `customers` group gets to it. The group consumer stays the one
that keeps every customer; this one only keeps those on a call, and follows erasures.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter
from pydantic import ValidationError

from schemas.customers import CustomerRecord
from services.actions.adapters.customers import CustomerStore
from services.actions.adapters.push import DesktopHub
from services.plumbing.consuming import retrying

log = logging.getLogger(__name__)
POPS = Counter("moments_actions_screen_pops", "Customer records handed to desktops", ["kind"])
# Customers whose call this replica has seen, to tell their agent when it ends.
REMEMBERED_CALLS = 50_000
# How a record without a live contact reads (CustomerRecord.model_dump_json), so most of
# the topic is passed over without parsing it.
NOT_ON_A_CALL = b'"live_contact":null'


class ScreenPops:
    """What to do with each record of `customers`; the loop below feeds it."""

    def __init__(self, hub: DesktopHub, store: CustomerStore):
        self.hub, self.store = hub, store
        self._on_call: OrderedDict[str, str] = OrderedDict()  # customer -> agent

    async def on_message(self, message: ConsumerRecord[bytes, bytes]) -> None:
        await self.on_record(message.key, message.value)

    async def on_record(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone: the customer was erased
            if key:
                customer_id = key.decode(errors="replace")
                self._on_call.pop(customer_id, None)
                await retrying(lambda: self.store.forget([customer_id]), "actions screen-pop")
            return
        customer = key.decode(errors="replace") if key else None
        if customer is not None and customer not in self._on_call and NOT_ON_A_CALL in value:
            return  # nobody to pop it for, and no call that ended: not worth reading
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
