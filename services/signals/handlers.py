"""From a Kafka message on `interactions` to the signals it yields, without Faust.

`decode_interaction` reads the CloudEvents Kafka binding back into a typed event;
`SignalsHandler.handle` folds it into the customer's state and builds `Signal` records
with stable ids. The worker module wires this to Faust's stream and table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat

from schemas.customers import CustomerRecord
from schemas.events import InteractionEvent, parse_event
from schemas.signals import CustomerSnapshot, EventRef, Signal
from services.plumbing.ids import stable_id
from services.signals.domain.detectors import Finding, observe
from services.signals.domain.state import CustomerState
from services.signals.domain.text import Sentiment

_FORMAT = JSONFormat()


def decode_interaction(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> InteractionEvent:
    """Raises ValueError (EventInvalid is one) when the message is not a valid event."""
    message = ce_kafka.KafkaMessage(headers=dict(headers), key=key, value=value or b"")
    event = ce_kafka.from_binary(message, _FORMAT)
    attributes = dict(event.get_attributes())
    attributes.pop("partitionkey", None)
    attributes["data"] = event.get_data()
    return parse_event(attributes)


def snapshot(state: CustomerState) -> CustomerSnapshot:
    profile = state.profile
    live = state.live or [None, None, None]
    return CustomerSnapshot(
        name=profile.get("name"),
        segment=profile.get("segment"),
        value_tier=profile.get("value_tier"),
        preferred_channel=profile.get("preferred_channel"),
        timezone=profile.get("timezone"),
        vulnerable=bool(profile.get("vulnerable", False)),
        consent_service_contact=bool(profile.get("consent_service_contact", True)),
        consent_marketing=bool(profile.get("consent_marketing", False)),
        consent_profiling=bool(profile.get("consent_profiling", False)),
        live_agent_id=live[0],
        live_queue=live[1],
        live_channel=live[2],
    )


def to_signal(
    event: InteractionEvent, finding: Finding, customer: CustomerSnapshot, now: datetime
) -> Signal:
    return Signal(
        id=stable_id("sig", finding.type.value, event.customer_id, event.key),
        type=finding.type,
        customer_id=event.customer_id,
        strength=round(finding.strength, 3),
        reasons=finding.reasons,
        evidence=[
            EventRef(source=s, id=i, type=t, time=datetime.fromisoformat(at))
            for s, i, t, at in finding.evidence
        ],
        details=finding.details,
        customer=customer,
        occurred_at=event.time,
        detected_at=now,
    )


class Handled(NamedTuple):
    """What one event did to a customer."""

    state: bytes | None  # the new state; None for a duplicate: nothing changes
    signals: list[Signal]
    customer: CustomerRecord | None = None  # the record for `customers`, when it changed


class SignalsHandler:
    def __init__(self, sentiment: Sentiment):
        self.sentiment = sentiment

    def handle(
        self, raw_state: bytes | None, event: InteractionEvent, now: datetime | None = None
    ) -> Handled:
        state = CustomerState.load(raw_state)
        observation = observe(state, event, self.sentiment)
        if observation.duplicate:
            return Handled(None, [])
        now = now or datetime.now(UTC)
        customer = snapshot(state)
        return Handled(
            state.dump(), [to_signal(event, f, customer, now) for f in observation.findings]
        )
