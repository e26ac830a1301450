"""Small builders for the unit tier: CloudEvent dicts, parsed events and customer ids.

Every test asks `new_customer()` for its own customer id, so no two tests share one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.events import InteractionEvent, parse_event

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def new_customer(tag: str = "cust") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def new_id(tag: str = "evt") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def attributes(
    event_type: str,
    data: Any,
    *,
    subject: str,
    id: str | None = None,
    source: str = "/channels/telephony/ivr-eu",
    time: datetime | str | None = T0,
    **extra: Any,
) -> dict[str, Any]:
    """A structured-mode CloudEvent as a JSON-ready dict."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": id or new_id(),
        "source": source,
        "type": event_type,
        "subject": subject,
        "data": data,
    }
    if time is not None:
        event["time"] = time.isoformat() if isinstance(time, datetime) else time
    event.update(extra)
    return event


def event(
    event_type: str,
    data: Any,
    *,
    subject: str,
    at: datetime = T0,
    id: str | None = None,
    source: str = "/channels/telephony/ivr-eu",
) -> InteractionEvent:
    """A validated event, as ingest would hand it on."""
    return parse_event(attributes(event_type, data, subject=subject, id=id, source=source, time=at))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
