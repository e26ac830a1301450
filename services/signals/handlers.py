"""From a Kafka message on `interactions` to the signals and customer record it yields.

`decode_interaction` reads the CloudEvents Kafka binding back into a typed event;
`SignalsHandler.handle` folds it into the customer's state and builds `Signal` records
with stable ids, each carrying the customer's relationship health, and the customer's
`CustomerRecord` for the `customers` topic. `batch.fold_batch` runs it over a batch for
the consumer loop (consumers/interactions.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from schemas.customers import CustomerRecord, LiveContact, LostProduct, Moment, OpenIssue
from schemas.events import InteractionEvent, parse_checked_event
from schemas.health import RelationshipHealth
from schemas.signals import CustomerSnapshot, EventRef, Signal
from services.plumbing.ids import stable_id
from services.signals.domain.findings import Finding
from services.signals.domain.observe import observe
from services.signals.domain.state import CustomerState
from services.signals.domain.text import Sentiment

# A live contact never told to have ended is not shown as live after this long.
LIVE_CONTACT_LIMIT_S = 4 * 3600


def decode_interaction(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> InteractionEvent:
    """An `interactions` message (CloudEvents Kafka binding, binary mode) as a typed event.

    Raises ValueError (EventInvalid is one) when it is not a valid event. ingest wrote it
    and scanned its content at the front door, so this checks the models only
    (`parse_checked_event`), and reads the binding's headers itself rather than through
    the SDK's generic decoder, which spent more time than the rules do; a unit test keeps
    the two in step (tests/unit/test_kafka_binding.py).
    """
    attributes: dict[str, Any] = {}
    for name, raw in headers:
        if name.startswith("ce_"):
            attributes[name[3:]] = raw.decode()
        elif name == "content-type":
            attributes["datacontenttype"] = raw.decode()
    if "specversion" not in attributes:
        raise ValueError("not a CloudEvent in binary mode: no ce_specversion header")
    if "time" in attributes:
        attributes["time"] = datetime.fromisoformat(attributes["time"])
    attributes.pop("partitionkey", None)
    attributes["data"] = json.loads(value) if value else None
    return parse_checked_event(attributes)


def _live(state: CustomerState, at: float) -> list[Any] | None:
    live = state.live
    if not live:
        return None
    if len(live) > 3 and at - float(live[3]) > LIVE_CONTACT_LIMIT_S:
        return None
    return live


def snapshot(state: CustomerState, at: float | None = None) -> CustomerSnapshot:
    profile = state.profile
    live = (_live(state, at) if at is not None else state.live) or [None, None, None]
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


def customer_record(
    customer_id: str,
    state: CustomerState,
    profile: CustomerSnapshot,
    health: RelationshipHealth,
    at: datetime,
) -> CustomerRecord:
    """The customer's record as of event time `at`, from the state after the event."""
    live = _live(state, at.timestamp())
    contact = None
    if live is not None:
        started = datetime.fromtimestamp(live[3], UTC) if len(live) > 3 else None
        contact = LiveContact(
            agent_id=live[0],
            queue=live[1],
            channel=live[2],
            started_at=started,
            event_id=live[4] if len(live) > 4 else None,
        )
    first = state.first_seen
    return CustomerRecord(
        customer_id=customer_id,
        profile=profile,
        health=health,
        live_contact=contact,
        moments=[
            Moment(
                kind=row[1],
                at=datetime.fromtimestamp(row[0], UTC),
                summary=row[2],
                event_id=row[3],
                sentiment=row[4] if len(row) > 4 else None,
            )
            for row in state.moments
        ],
        tenure_days=int((at.timestamp() - first) // 86400) if first is not None else None,
        open_issues=[
            OpenIssue(key=key, occurrences=int(count), last_at=datetime.fromtimestamp(last, UTC))
            for key, (last, count) in state.issues.items()
        ],
        lost_products=[
            LostProduct(product=str(product), at=datetime.fromtimestamp(when, UTC))
            for when, product in state.lost
        ],
        updated_at=at,
        version=state.version,
    )


def to_signal(
    event: InteractionEvent,
    finding: Finding,
    customer: CustomerSnapshot,
    now: datetime,
    health: RelationshipHealth | None = None,
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
        issue=finding.issue or finding.type.value,
        occurrences=finding.occurrences or 1,
        health=health,
    )


class Handled:
    """What one event did to a customer: the new state (None for a duplicate: nothing
    changes), its signals, and the customer's record for `customers`. The record is built
    when first asked for: a batch sends only each customer's latest one."""

    __slots__ = ("_build", "_record", "signals", "state")

    def __init__(
        self,
        state: bytes | None,
        signals: list[Signal],
        build: Callable[[], CustomerRecord] | None = None,
    ):
        self.state, self.signals = state, signals
        self._build: Callable[[], CustomerRecord] | None = build
        self._record: CustomerRecord | None = None

    @property
    def customer(self) -> CustomerRecord | None:
        if self._record is None and self._build is not None:
            self._record, self._build = self._build(), None
        return self._record

    def __iter__(self) -> Iterator[Any]:
        return iter((self.state, self.signals, self.customer))


class SignalsHandler:
    def __init__(self, sentiment: Sentiment):
        self.sentiment = sentiment

    def handle(
        self, raw_state: bytes | None, event: InteractionEvent, now: datetime | None = None
    ) -> Handled:
        state = CustomerState.load(raw_state)
        observation = observe(state, event, self.sentiment)
        if observation.duplicate or observation.health is None:
            return Handled(None, [])
        now = now or datetime.now(UTC)
        at = event.time
        profile = snapshot(state, at.timestamp())
        health = observation.health
        # `state` is this event's own object (loaded from bytes above), never changed
        # again, so the record can be built later from it.
        return Handled(
            state.dump(),
            [to_signal(event, f, profile, now, health) for f in observation.findings],
            lambda: customer_record(event.customer_id, state, profile, health, at),
        )
