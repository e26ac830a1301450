"""Builders for the cockpit's unit tests: customer records, stored recommendations,
signals and outcomes of one customer, at fixed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.customers import CustomerRecord, LiveContact, Moment
from schemas.health import HealthReason, RelationshipHealth
from schemas.recommendations import (
    Action,
    ActionChannel,
    DeclineReason,
    Outcome,
    OutcomeKind,
    Recommendation,
    ScriptChoice,
    Why,
)
from schemas.signals import CustomerSnapshot, EventRef, Signal, SignalType
from services.actions.domain.desktop import Agent, StoredRecommendation
from tests.unit.builders import new_customer, new_id

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RETENTION = Agent("agent-ret", "Rory", ("retention",))
CARE = Agent("agent-care", "Cara", ("care",))


def record(
    customer: str | None = None,
    agent_id: str | None = None,
    queue: str | None = "retention",
    started: datetime = NOW - timedelta(minutes=2),
    moments: list[Moment] | None = None,
    version: int = 3,
) -> CustomerRecord:
    contact = LiveContact(agent_id=agent_id, queue=queue, channel="voice", started_at=started)
    return CustomerRecord(
        customer_id=customer or new_customer(),
        profile=CustomerSnapshot(name="Ada", segment="consumer", value_tier="high"),
        health=RelationshipHealth(
            score=58.0,
            band="strained",
            reasons=[
                HealthReason(text="A complaint about billing", impact=-12.9, kind="complaint")
            ],
            computed_at=NOW,
        ),
        live_contact=contact if agent_id or queue else None,
        moments=moments or [],
        tenure_days=365,
        updated_at=NOW,
        version=version,
    )


def stored(
    customer: str,
    queue: str = "retention",
    priority: int = 50,
    status: str = "open",
    created: datetime = NOW - timedelta(hours=1),
    expires: datetime = NOW + timedelta(hours=3),
    agent_id: str | None = None,
    holdout: bool = False,
    title: str = "Ask what changed",
    position: int | None = 7,
) -> StoredRecommendation:
    rec = Recommendation(
        id=new_id("rec"),
        customer_id=customer,
        action=Action(code="retention.ask", title=title, script="Ask gently."),
        why=Why(signals=[], reasons=["Asked to cancel"]),
        priority=priority,
        channel=ActionChannel.desktop,
        queue=queue,
        agent_id=agent_id,
        holdout=holdout,
        created_at=created,
        expires_at=expires,
    )
    return StoredRecommendation(1, status, rec, position)


def signal(customer: str, at: datetime) -> Signal:
    return Signal(
        id=new_id("sig"),
        type=SignalType.cancellation_risk,
        customer_id=customer,
        strength=0.9,
        reasons=["Asked to cancel broadband on ivr"],
        evidence=[EventRef(source="/ivr", id="e-1", type="cancellation.requested", time=at)],
        customer=CustomerSnapshot(),
        occurred_at=at,
        detected_at=at,
    )


def outcome(rec: StoredRecommendation, at: datetime) -> Outcome:
    return Outcome(
        id=new_id("out"),
        recommendation_id=rec.recommendation.id,
        customer_id=rec.recommendation.customer_id,
        action_code=rec.recommendation.action.code,
        outcome=OutcomeKind.declined,
        reason=DeclineReason.customer_not_interested,
        path=[ScriptChoice(step="ask", answer="Price")],
        agent_id="agent-ret",
        recorded_at=at,
    )
