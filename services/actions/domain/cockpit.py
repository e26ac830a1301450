"""The agent's cockpit as pure rules: who may see a customer, what is still live, what
comes first, and how the customer's timeline reads. No I/O, no clock: pass `now`.

An agent may see a customer it may see a recommendation of (its queues, or its own live
contact: `may_see`), or one on a live contact with it or in one of its queues. Anything
else answers like an unknown customer, so nobody can probe who exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from schemas.cockpit import CustomerView, ShownRecommendation, TimelineEntry, TimelineKind
from schemas.customers import CustomerRecord
from schemas.recommendations import Outcome
from schemas.signals import Signal
from services.actions.domain.desktop import Agent, StoredRecommendation, may_see

# A live contact never told to have ended is not live after this long (as in signals).
LIVE_CONTACT_LIMIT = timedelta(hours=4)
TIMELINE_LIMIT = 40


def still_live(record: CustomerRecord, now: datetime) -> bool:
    contact = record.live_contact
    if contact is None:
        return False
    return contact.started_at is None or now - contact.started_at < LIVE_CONTACT_LIMIT


def may_see_customer(
    agent: Agent,
    record: CustomerRecord | None,
    recommendations: Sequence[StoredRecommendation],
    now: datetime,
) -> bool:
    if record is not None and still_live(record, now):
        contact = record.live_contact
        assert contact is not None
        if contact.agent_id == agent.id or (
            contact.queue is not None and contact.queue in agent.queues
        ):
            return True
    return any(may_see(agent, s.recommendation) for s in recommendations)


def shown(stored: StoredRecommendation) -> ShownRecommendation:
    return ShownRecommendation(
        **stored.recommendation.model_dump(),
        seq=stored.seq if stored.position is None else stored.position,
        status=stored.status,
    )


def best_first(recommendations: Sequence[StoredRecommendation]) -> list[StoredRecommendation]:
    """Highest priority first; of equal priority, the newest (the freshest reason)."""
    return sorted(
        recommendations,
        key=lambda s: (-s.recommendation.priority, -s.recommendation.created_at.timestamp()),
    )


def timeline(
    record: CustomerRecord | None,
    signals: Sequence[Signal],
    outcomes: Sequence[Outcome],
    titles: dict[str, str],
    limit: int = TIMELINE_LIMIT,
) -> list[TimelineEntry]:
    """Moments, signals and outcomes, newest first. `titles` names the actions of the
    recommendations the outcomes answer (id -> title)."""
    entries = [
        TimelineEntry(
            kind=TimelineKind.moment,
            at=m.at,
            type=m.kind,
            summary=m.summary,
            event_id=m.event_id,
            sentiment=m.sentiment,
        )
        for m in (record.moments if record is not None else [])
    ]
    entries += [
        TimelineEntry(
            kind=TimelineKind.signal,
            at=s.occurred_at,
            type=s.type.value,
            summary="; ".join(s.reasons) or s.type.value.replace("_", " "),
            evidence=s.evidence,
        )
        for s in signals
    ]
    entries += [
        TimelineEntry(
            kind=TimelineKind.outcome,
            at=o.recorded_at,
            type=o.outcome.value,
            summary=outcome_summary(o, titles.get(o.recommendation_id)),
            recommendation_id=o.recommendation_id,
            outcome=o.outcome,
            reason=o.reason,
            note=o.note,
            path=o.path,
            agent_id=o.agent_id,
        )
        for o in outcomes
    ]
    order = {TimelineKind.outcome: 0, TimelineKind.signal: 1, TimelineKind.moment: 2}
    # Newest first; at the same instant the signal reads above the moment it was found in.
    entries.sort(key=lambda e: (-e.at.timestamp(), order[e.kind]))
    return entries[:limit]


def outcome_summary(outcome: Outcome, title: str | None) -> str:
    what = f"“{title}”" if title else outcome.action_code
    said = f"{outcome.outcome.value.capitalize()} {what}"
    if outcome.reason is not None:
        said += f": {outcome.reason.value.replace('_', ' ')}"
    if outcome.snooze_until is not None:
        said += f", until {outcome.snooze_until:%d %b %H:%M} UTC"
    return said


def customer_view(
    agent: Agent,
    customer_id: str,
    record: CustomerRecord | None,
    recommendations: Sequence[StoredRecommendation],
    signals: Sequence[Signal],
    outcomes: Sequence[Outcome],
    now: datetime,
) -> CustomerView | None:
    """The cockpit's customer for `agent`, or None where the agent may not see them."""
    if not may_see_customer(agent, record, recommendations, now):
        return None
    visible = [s for s in recommendations if may_see(agent, s.recommendation)]
    titles = {s.recommendation.id: s.recommendation.action.title for s in visible}
    answered = [o for o in outcomes if o.recommendation_id in titles]
    live = record is not None and still_live(record, now)
    contact = record.live_contact if record is not None and live else None
    open_ = [s for s in visible if s.status == "open" and s.recommendation.expires_at > now]
    return CustomerView(
        customer_id=customer_id,
        profile=record.profile if record else None,
        health=record.health if record else None,
        tenure_days=record.tenure_days if record else None,
        live_contact=contact,
        on_call=contact is not None and contact.agent_id == agent.id,
        open_issues=record.open_issues if record else [],
        lost_products=record.lost_products if record else [],
        timeline=timeline(record, signals, answered, titles),
        open_recommendations=[shown(s) for s in best_first(open_)],
        recent_recommendations=[
            shown(s)
            for s in sorted(visible, key=lambda s: -s.recommendation.created_at.timestamp())
        ],
        updated_at=record.updated_at if record else None,
    )
