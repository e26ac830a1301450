"""A repeat of an open issue strengthens the recommendation that answers it.

One open recommendation per customer per issue: when a moment brings a signal whose
issue a live recommendation already answers, that recommendation is updated (same id):
the new signal and its reasons are added, its count of occurrences rises, and its life
is extended from now. A desktop shows it again as an update of the same card; an email,
SMS or push already sent is not sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.recommendations import Recommendation, SignalRef
from schemas.signals import Signal, SignalType
from services.actions.domain.decisioning.catalogue import CatalogueEntry
from services.actions.domain.decisioning.context import CustomerHistory, Moment, PastRecommendation

EXTRA_CARE = "The customer is flagged as needing extra care"


@dataclass(frozen=True)
class Strengthened:
    """An open recommendation a repeat of its issue strengthened: same id, new content."""

    recommendation: Recommendation
    open_until: datetime
    republish: bool  # a desktop shows it again, as an update of the same card


def _lifetime(entry: CatalogueEntry | None, rec: Recommendation) -> timedelta:
    if entry is not None:
        return timedelta(minutes=entry.expires_in_minutes)
    return rec.expires_at - rec.created_at


def strengthen(
    past: PastRecommendation,
    repeats: Sequence[Signal],
    entry: CatalogueEntry | None,
    at: datetime,
    decided_at: datetime,
) -> Strengthened:
    rec = past.recommendation
    refs = list(rec.why.signals)
    reasons = list(rec.why.reasons)
    for signal in repeats:
        if all(r.id != signal.id for r in refs):
            refs.append(SignalRef(id=signal.id, type=signal.type))
        reasons += [r for r in signal.reasons if r not in reasons]
    if EXTRA_CARE in reasons:  # it stays the last word
        reasons = [r for r in reasons if r != EXTRA_CARE] + [EXTRA_CARE]
    life = _lifetime(entry, rec)
    updated = rec.model_copy(
        update={
            "why": rec.why.model_copy(update={"signals": refs, "reasons": reasons}),
            "occurrences": max(rec.occurrences, *(s.occurrences for s in repeats)),
            "expires_at": max(rec.expires_at, decided_at + life),
            "updated_at": decided_at,
        }
    )
    return Strengthened(
        updated,
        max(past.open_until, at + life),
        republish=rec.channel.value == "desktop" and not rec.holdout,
    )


def earlier_life_event(history: CustomerHistory, moment: Moment) -> str | None:
    now = {s.id for s in moment.signals}
    earlier = [
        s
        for s in history.signals
        if s.type is SignalType.life_event and s.id not in now and s.occurred_at <= moment.at
    ]
    if not earlier:
        return None
    latest = earlier[-1]
    days = (moment.at - latest.occurred_at).days
    when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    return f"Earlier: {latest.reasons[0]} ({when})"
