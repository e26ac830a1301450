"""A simulated event: what a channel system would send, and its CloudEvent 1.0 form.

The id is a UUID in a fixed namespace of seed, customer and the customer's event number,
so the same simulation always sends the same ids and a re-sent event is a duplicate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# A fixed namespace, so an event id depends only on seed, customer and the event's number.
EVENT_NAMESPACE = uuid.UUID("5e1f0c6a-3b7d-4f0e-9a51-6d0c2b8f7a11")

SOURCES = {
    "voice": "telephony/voice-eu",
    "ivr": "telephony/ivr-eu",
    "chat": "chat/web",
    "email": "email/inbound",
    "web": "web/selfservice",
    "app": "app/mobile",
    "branch": "branch/network",
    "social": "social/care",
    "sms": "sms/gateway",
    "post": "post/mailroom",
    "billing": "billing/core",
    "crm": "crm/profile",
}


@dataclass(frozen=True)
class SimulatedEvent:
    at: float  # simulated epoch seconds
    customer_id: str
    number: int  # the customer's nth event, from 0
    type: str
    channel: str  # the channel system that sends it
    data: dict[str, Any]

    def cloudevent(self, seed: int, source_prefix: str = "/channels") -> dict[str, Any]:
        """The CloudEvent 1.0 (structured JSON) for this event; the id is seed-stable."""
        when = datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds")
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid5(EVENT_NAMESPACE, f"{seed}/{self.customer_id}/{self.number}")),
            "source": f"{source_prefix.rstrip('/')}/{SOURCES[self.channel]}",
            "type": self.type,
            "subject": self.customer_id,
            "time": when.replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": self.data,
        }
