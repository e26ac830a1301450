"""The decision policy: which catalogue actions a signal earns, for whom, and when not.

Pure: the caller passes the clock and what the database knows (recent recommendations).
Rules, in order: the action must answer the signal's type and strength; consent and
vulnerability rules must allow it; the customer's daily contact limit must not be spent;
then the highest priority action per channel wins. Customers in the holdout group still
get a decision, marked `holdout`, so that its effect can be measured; it is not shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.recommendations import Action, Recommendation, SignalRef, Why
from schemas.signals import Signal
from services.actions.domain.catalogue import CatalogueEntry
from services.plumbing.ids import keyed_id


@dataclass(frozen=True)
class ContactPolicy:
    max_per_customer_per_day: int
    holdout_percent: float
    holdout_salt: str
    id_secret: str  # ACTIONS_ID_SECRET: recommendation ids are keyed with it


def in_holdout(customer_id: str, percent: float, salt: str) -> bool:
    """Stable assignment: the same customer is always in or out for the same salt."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 10_000
    return bucket < percent * 100


def eligible(entry: CatalogueEntry, signal: Signal) -> bool:
    customer = signal.customer
    if signal.type not in entry.triggers or signal.strength < entry.min_strength:
        return False
    if entry.requires_consent == "service_contact" and not customer.consent_service_contact:
        return False
    if entry.requires_consent == "marketing" and not customer.consent_marketing:
        return False
    if entry.skip_if_vulnerable and customer.vulnerable:
        return False
    return not (entry.only_if_vulnerable and not customer.vulnerable)


def decide(
    signal: Signal,
    catalogue: list[CatalogueEntry],
    policy: ContactPolicy,
    recent_count: int,
    now: datetime,
) -> list[Recommendation]:
    """The recommendations this signal earns (at most one per channel)."""
    if recent_count >= policy.max_per_customer_per_day:
        return []
    best: dict[str, CatalogueEntry] = {}
    for entry in catalogue:
        if not eligible(entry, signal):
            continue
        current = best.get(entry.channel.value)
        if current is None or entry.priority > current.priority:
            best[entry.channel.value] = entry
    holdout = in_holdout(signal.customer_id, policy.holdout_percent, policy.holdout_salt)
    reasons = list(signal.reasons)
    if signal.customer.vulnerable:
        reasons.append("The customer is flagged as needing extra care")
    budget = policy.max_per_customer_per_day - recent_count
    chosen = sorted(best.values(), key=lambda e: -e.priority)[:budget]
    return [
        Recommendation(
            id=keyed_id(policy.id_secret, "rec", signal.id, entry.code),
            customer_id=signal.customer_id,
            action=Action(code=entry.code, title=entry.title, script=entry.script),
            why=Why(signals=[SignalRef(id=signal.id, type=signal.type)], reasons=reasons),
            priority=entry.priority,
            channel=entry.channel,
            queue=entry.queue,
            agent_id=signal.customer.live_agent_id if entry.channel.value == "desktop" else None,
            holdout=holdout,
            created_at=now,
            expires_at=now + timedelta(minutes=entry.expires_in_minutes),
        )
        for entry in chosen
    ]
