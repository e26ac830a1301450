"""One event through signals' rules: `observe` is the entry point.

It drops an event already seen (same source + id), folds the event into the state, runs
every detector, counts each finding against its issue's cool-down window, lets the
moment move the relationship's health, and returns what was found with the health
after it. Time windows use the event's own time, so a replayed or simulated stream
gives the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from schemas.events import (
    CancellationCompleted,
    ContactEnded,
    ContactStarted,
    InteractionEvent,
    PaymentMissed,
    ProfileUpdated,
    SelfServiceFailed,
)
from schemas.health import RelationshipHealth
from services.signals.domain import detectors, effort
from services.signals.domain.findings import WINDOWS_BY_NAME, Finding, issue_key, ref, settle
from services.signals.domain.health import DAY_S, relationship_health
from services.signals.domain.moments import live_through
from services.signals.domain.state import LOST_LIMIT, Contact, CustomerState, event_digest
from services.signals.domain.text import Sentiment

Detector = Callable[[InteractionEvent, CustomerState, Sentiment], Finding | None]

DETECTORS: tuple[Detector, ...] = (
    detectors.cancellation_risk,
    detectors.complaint,
    effort.repeat_contact,
    effort.failed_self_service,
    detectors.life_event,
    detectors.price_shock,
    detectors.payment_difficulty,
    detectors.negative_sentiment,
    effort.abandoned_contact,
    detectors.positive_moment,
)


@dataclass(frozen=True)
class Observation:
    duplicate: bool
    findings: list[Finding]
    health: RelationshipHealth | None = None  # after the event; None for a duplicate


def _once(sentiment: Sentiment) -> Sentiment:
    """The sentiment function, asked at most once per text (two detectors read it)."""
    memo: dict[str, float] = {}

    def ask(text: str) -> float:
        if text not in memo:
            memo[text] = sentiment(text)
        return memo[text]

    return ask


def _fold(event: InteractionEvent, state: CustomerState) -> None:
    """Update the state with what the event tells us, before the detectors look."""
    data = event.data
    at = event.time.timestamp()
    if isinstance(data, ContactStarted):
        state.contacts.append(Contact(at, data.channel.value, data.reason, ref(event)))
        if data.agent_id:
            state.live = [data.agent_id, data.queue, data.channel.value, int(at), event.envelope.id]
    elif isinstance(data, ContactEnded):
        channel = data.channel.value
        if state.live and state.live[2] == channel:
            state.live = None
        started = next(
            (c for c in reversed(state.contacts) if c.channel == channel and c.outcome is None),
            None,
        )
        if started is None:  # a channel that reports only the end still made a contact
            started = Contact(at, channel, data.reason, ref(event))
            state.contacts.append(started)
        started.outcome = data.outcome.value
        started.reason = started.reason or data.reason
    elif isinstance(data, SelfServiceFailed):
        state.failures.append(Contact(at, data.channel.value, data.journey, ref(event)))
    elif isinstance(data, PaymentMissed):
        state.missed_payments.append(at)
    elif isinstance(data, CancellationCompleted):
        state.lost.append([int(at), data.product])
        del state.lost[:-LOST_LIMIT]
        # the customer has gone from that product: nothing left to win back there
        state.issues.pop(issue_key("cancellation_risk", data.product), None)
    elif isinstance(data, ProfileUpdated):
        changes = data.model_dump(exclude_none=True, mode="json", exclude={"channel"})
        consents = changes.pop("consents", {})
        state.profile.update(changes)
        for name, given in consents.items():
            state.profile[f"consent_{name}"] = given


def observe(state: CustomerState, event: InteractionEvent, sentiment: Sentiment) -> Observation:
    """Fold one event into `state` (in place) and return what it reveals."""
    digest = event_digest(event.key)
    if state.has_seen(digest):
        return Observation(duplicate=True, findings=[])
    at = event.time.timestamp()
    state.prune(at)
    if state.first_seen is None or at < state.first_seen:
        state.first_seen = at
    _fold(event, state)
    asked = _once(sentiment)
    found = [f for detect in DETECTORS if (f := detect(event, state, asked)) is not None]
    if isinstance(event.data, ContactStarted) and state.failures:
        state.failures.clear()  # that failure has now been followed up by a contact
    state.forget_issues(WINDOWS_BY_NAME, at)
    findings = [settle(f, state, at) for f in found]
    live_through(state, event, findings)
    health = relationship_health(
        state.health, state.profile.get("value_tier"), state.first_seen, state.history, event.time
    )
    state.record_day(int(at // DAY_S), round(health.score))
    state.version += 1
    state.remember(digest)
    return Observation(duplicate=False, findings=findings, health=health)
