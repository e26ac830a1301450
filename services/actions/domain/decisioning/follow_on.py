"""Follow-on actions: a guide's leaf may name the action to recommend next.

When an agent's path through a guide ends on a leaf with `follow_on` (the rep who asks
what changed, then puts the customer through to the life-events team), the follow-on
becomes a recommendation of its own for that action's queue. The customer agreed to it
in the conversation, so caps and suppression do not stop it; consent and the care of
vulnerable customers still do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.recommendations import Action, Recommendation, ScriptChoice, Why
from schemas.signals import CustomerSnapshot
from services.actions.domain.decisioning.catalogue import CatalogueEntry
from services.actions.domain.decisioning.contact_policy import (
    ContactPolicy,
    consent_refusal,
    vulnerability_refusal,
)
from services.actions.domain.decisioning.decide import NewRecommendation
from services.actions.domain.decisioning.learning import segment_of
from services.plumbing.ids import keyed_id


def follow_on(
    source: Recommendation,
    entry: CatalogueEntry,
    path: list[ScriptChoice],
    profile: CustomerSnapshot,
    policy: ContactPolicy,
    now: datetime,
    moment_at: datetime | None = None,
) -> NewRecommendation | None:
    """The follow-on recommendation of `source` for `entry`, or None if the customer's
    consents or care needs rule it out. Its id is stable: one per source and action.
    It counts at `moment_at`, the event time of the moment `source` answered."""
    if consent_refusal(entry, profile) or vulnerability_refusal(entry, profile):
        return None
    taken = "; ".join(c.answer for c in path if c.answer)
    reasons = [f"Follow-on from \u201c{source.action.title}\u201d"]
    if taken:
        reasons.append(f"In the conversation: {taken}")
    reasons += [r for r in source.why.reasons if r not in reasons]
    life = timedelta(minutes=entry.expires_in_minutes)
    rec = Recommendation(
        id=keyed_id(policy.id_secret, "rec", source.id, entry.code),
        customer_id=source.customer_id,
        action=Action(
            code=entry.code, title=entry.title, script=entry.opening, guide=entry.conversation
        ),
        why=Why(
            signals=source.why.signals,
            reasons=reasons,
            decision=f"Follow-on the customer agreed to in {source.action.code}",
        ),
        priority=entry.priority,
        channel=entry.channel,
        queue=entry.queue,
        agent_id=None,
        holdout=source.holdout,
        created_at=now,
        expires_at=now + life,
        issues=source.issues,
        occurrences=source.occurrences,
    )
    anchor = source.why.signals[0].id if source.why.signals else source.id
    at = moment_at or now
    return NewRecommendation(rec, anchor, at, at + life, segment_of(profile))
