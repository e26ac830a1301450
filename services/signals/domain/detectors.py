"""The detection rules: pure functions from (event, customer state) to findings.

`observe` is the one entry point. It drops an event already seen (same source + id),
folds the event into the state, runs every detector and returns what they found. Time
windows use the event's own time, so a replayed or simulated stream gives the same result.
Each detector yields at most one finding of its type per event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schemas.events import (
    CancellationRequested,
    ComplaintFiled,
    ContactEnded,
    ContactOutcome,
    ContactStarted,
    FeedbackScale,
    FeedbackSubmitted,
    InteractionEvent,
    LifeEventReported,
    MessageReceived,
    PaymentMissed,
    ProfileUpdated,
    PurchaseCompleted,
    RenewalQuoted,
    SelfServiceFailed,
    Severity,
)
from schemas.signals import SignalType
from services.signals.domain.state import Contact, CustomerState, event_digest
from services.signals.domain.text import Sentiment, life_events_in, mentions_cancellation

REPEAT_CONTACT_THRESHOLD = 3
REPEAT_CONTACT_COOLDOWN_S = 24 * 3600
PRICE_SHOCK_PERCENT = 10.0
LONG_WAIT_S = 600.0
NEGATIVE_SENTIMENT = -0.5
POSITIVE_SENTIMENT = 0.6

LIFE_EVENT_WORDS = {
    "bereavement": "a bereavement",
    "divorce": "a divorce or separation",
    "relocation": "a move",
    "new_child": "a new child",
    "job_loss": "losing their job",
    "illness": "illness",
    "retirement": "retirement",
    "marriage": "getting married",
}


@dataclass(frozen=True)
class Finding:
    type: SignalType
    strength: float
    reasons: list[str]
    evidence: list[list[str]]  # [source, id, type, iso time], newest last
    details: dict[str, str | float | int | bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    duplicate: bool
    findings: list[Finding]


def ref(event: InteractionEvent) -> list[str]:
    return [event.envelope.source, event.envelope.id, event.type, event.time.isoformat()]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


Detector = Callable[[InteractionEvent, CustomerState, Sentiment], Finding | None]


def cancellation_risk(
    event: InteractionEvent, state: CustomerState, _: Sentiment
) -> Finding | None:
    data = event.data
    if isinstance(data, CancellationRequested):
        reasons = [f"Asked to cancel {data.product} on {data.channel.value}"]
        if data.reason:
            reasons.append(f"Reason given: {data.reason}")
        return Finding(
            SignalType.cancellation_risk,
            0.9,
            reasons,
            [ref(event)],
            {"product": data.product, "reason": data.reason},
        )
    if isinstance(data, MessageReceived) and mentions_cancellation(data.text):
        return Finding(
            SignalType.cancellation_risk,
            0.6,
            [f"Spoke of leaving on {data.channel.value}: \u201c{data.text[:120]}\u201d"],
            [ref(event)],
        )
    return None


def complaint(event: InteractionEvent, state: CustomerState, _: Sentiment) -> Finding | None:
    data = event.data
    if not isinstance(data, ComplaintFiled):
        return None
    severity = data.severity or Severity.medium
    strength = {Severity.low: 0.4, Severity.medium: 0.6, Severity.high: 0.9}[severity]
    return Finding(
        SignalType.complaint,
        strength,
        [f"Filed a {severity.value}-severity complaint about {data.category}"],
        [ref(event)],
        {"category": data.category, "severity": severity.value},
    )


def repeat_contact(event: InteractionEvent, state: CustomerState, _: Sentiment) -> Finding | None:
    if not isinstance(event.data, ContactStarted):
        return None
    count = len(state.contacts)
    if count < REPEAT_CONTACT_THRESHOLD:
        return None
    at = event.time.timestamp()
    if at - state.last_fired.get(SignalType.repeat_contact, -1e18) < REPEAT_CONTACT_COOLDOWN_S:
        return None
    reasons = [f"{_ordinal(count)} contact in 7 days"]
    reason = event.data.reason
    same = [c for c in state.contacts if reason and c.reason == reason]
    if len(same) >= 2:
        reasons.append(f"{len(same)} of them about {reason}")
    channels = sorted({c.channel for c in state.contacts})
    if len(channels) > 1:
        reasons.append("across " + ", ".join(channels))
    return Finding(
        SignalType.repeat_contact,
        min(1.0, count / 5),
        reasons,
        [c.ref for c in state.contacts],
        {"contacts_7d": count, "reason": reason},
    )


def failed_self_service(
    event: InteractionEvent, state: CustomerState, _: Sentiment
) -> Finding | None:
    data = event.data
    if isinstance(data, SelfServiceFailed):
        where = f" at {data.step}" if data.step else ""
        return Finding(
            SignalType.failed_self_service,
            0.5,
            [f"Could not {data.journey.replace('_', ' ')} on {data.channel.value}{where}"],
            [ref(event)],
            {"journey": data.journey, "error_code": data.error_code},
        )
    if isinstance(data, ContactStarted) and state.failures:
        failure = state.failures[-1]
        minutes = max(1, round((event.time.timestamp() - failure.at) / 60))
        journey = str(failure.reason).replace("_", " ")
        return Finding(
            SignalType.failed_self_service,
            0.8,
            [f"Contacted us {minutes} min after failing to {journey} on {failure.channel}"],
            [failure.ref, ref(event)],
            {"journey": failure.reason},
        )
    return None


def life_event(event: InteractionEvent, state: CustomerState, _: Sentiment) -> Finding | None:
    data = event.data
    if isinstance(data, LifeEventReported):
        return Finding(
            SignalType.life_event,
            0.9,
            [f"Told us about {LIFE_EVENT_WORDS[data.kind.value]}"],
            [ref(event)],
            {"kind": data.kind.value},
        )
    text = getattr(data, "text", None)
    if isinstance(text, str):
        kinds = life_events_in(text)
        if kinds:
            return Finding(
                SignalType.life_event,
                0.6,
                [f"Mentioned {LIFE_EVENT_WORDS[k]}" for k in kinds] + [f"\u201c{text[:120]}\u201d"],
                [ref(event)],
                {"kind": kinds[0]},
            )
    return None


def price_shock(event: InteractionEvent, state: CustomerState, _: Sentiment) -> Finding | None:
    data = event.data
    if not isinstance(data, RenewalQuoted) or data.previous_price <= 0:
        return None
    rise = (data.quoted_price - data.previous_price) / data.previous_price * 100
    if rise < PRICE_SHOCK_PERCENT:
        return None
    return Finding(
        SignalType.price_shock,
        min(1.0, rise / 40),
        [
            f"Renewal quote for {data.product} up {rise:.0f}% "
            f"({data.previous_price:.2f} \u2192 {data.quoted_price:.2f} {data.currency})"
        ],
        [ref(event)],
        {"product": data.product, "price_rise_percent": round(rise, 1)},
    )


def payment_difficulty(
    event: InteractionEvent, state: CustomerState, _: Sentiment
) -> Finding | None:
    data = event.data
    if not isinstance(data, PaymentMissed):
        return None
    missed = len(state.missed_payments)
    reasons = [f"Missed a payment of {data.amount:.2f} {data.currency}"]
    if data.days_overdue:
        reasons.append(f"{data.days_overdue} days overdue")
    if missed > 1:
        reasons.append(f"{missed} missed payments in 90 days")
    strength = min(1.0, 0.5 + 0.2 * (missed - 1) + (data.days_overdue or 0) / 120)
    return Finding(
        SignalType.payment_difficulty,
        strength,
        reasons,
        [ref(event)],
        {"amount": data.amount, "missed_90d": missed},
    )


def negative_sentiment(
    event: InteractionEvent, state: CustomerState, sentiment: Sentiment
) -> Finding | None:
    data = event.data
    if isinstance(data, FeedbackSubmitted):
        low = data.score <= (6 if data.scale == FeedbackScale.nps else 2)
        if low:
            return Finding(
                SignalType.negative_sentiment,
                0.7,
                [f"Gave a {data.scale.value.upper()} score of {data.score}"],
                [ref(event)],
                {"score": data.score, "scale": data.scale.value},
            )
    text = getattr(data, "text", None)
    if isinstance(text, str) and not isinstance(data, ComplaintFiled):
        score = sentiment(text)
        if score <= NEGATIVE_SENTIMENT:
            return Finding(
                SignalType.negative_sentiment,
                min(1.0, -score),
                [f"Wrote in anger or distress: \u201c{text[:120]}\u201d"],
                [ref(event)],
                {"sentiment": round(score, 3)},
            )
    return None


def abandoned_contact(
    event: InteractionEvent, state: CustomerState, _: Sentiment
) -> Finding | None:
    data = event.data
    if not isinstance(data, ContactEnded):
        return None
    waited = data.wait_seconds or 0
    long_wait = waited >= LONG_WAIT_S
    if data.outcome != ContactOutcome.abandoned and not long_wait:
        return None
    reasons = []
    if data.outcome == ContactOutcome.abandoned:
        reasons.append(f"Gave up on a {data.channel.value} contact")
        if waited:
            reasons.append(f"after waiting {waited / 60:.0f} min")
    else:
        reasons.append(f"Waited {waited / 60:.0f} min on a {data.channel.value} contact")
    strength = 0.5 + (0.3 if long_wait else 0) + (0.1 if data.outcome == "abandoned" else 0)
    return Finding(
        SignalType.abandoned_contact,
        min(1.0, strength),
        reasons,
        [ref(event)],
        {"wait_seconds": waited, "outcome": data.outcome.value},
    )


def positive_moment(
    event: InteractionEvent, state: CustomerState, sentiment: Sentiment
) -> Finding | None:
    data = event.data
    if isinstance(data, FeedbackSubmitted):
        high = data.score >= (9 if data.scale == FeedbackScale.nps else 5)
        if high:
            return Finding(
                SignalType.positive_moment,
                0.7,
                [f"Gave a {data.scale.value.upper()} score of {data.score}"],
                [ref(event)],
                {"score": data.score},
            )
        return None
    if isinstance(data, PurchaseCompleted):
        return Finding(
            SignalType.positive_moment,
            0.5,
            [f"Bought {data.product} ({data.amount:.2f} {data.currency})"],
            [ref(event)],
            {"product": data.product},
        )
    if isinstance(data, LifeEventReported) and data.kind.value in ("marriage", "new_child"):
        return None  # handled as a life event; celebrating is that action's choice
    if isinstance(data, MessageReceived):
        score = sentiment(data.text)
        if score >= POSITIVE_SENTIMENT:
            return Finding(
                SignalType.positive_moment,
                min(1.0, score),
                [f"Said something kind: \u201c{data.text[:120]}\u201d"],
                [ref(event)],
                {"sentiment": round(score, 3)},
            )
    return None


DETECTORS: tuple[Detector, ...] = (
    cancellation_risk,
    complaint,
    repeat_contact,
    failed_self_service,
    life_event,
    price_shock,
    payment_difficulty,
    negative_sentiment,
    abandoned_contact,
    positive_moment,
)


def _fold(event: InteractionEvent, state: CustomerState) -> None:
    """Update the state with what the event tells us, before the detectors look."""
    data = event.data
    at = event.time.timestamp()
    if isinstance(data, ContactStarted):
        state.contacts.append(Contact(at, data.channel.value, data.reason, ref(event)))
        if data.agent_id:
            state.live = [data.agent_id, data.queue, data.channel.value]
    elif isinstance(data, ContactEnded):
        state.live = None
    elif isinstance(data, SelfServiceFailed):
        state.failures.append(Contact(at, data.channel.value, data.journey, ref(event)))
    elif isinstance(data, PaymentMissed):
        state.missed_payments.append(at)
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
    state.prune(event.time.timestamp())
    _fold(event, state)
    findings = [f for detect in DETECTORS if (f := detect(event, state, sentiment)) is not None]
    if isinstance(event.data, ContactStarted) and state.failures:
        state.failures.clear()  # that failure has now been followed up by a contact
    for finding in findings:
        state.last_fired[finding.type.value] = event.time.timestamp()
    state.remember(digest)
    return Observation(duplicate=False, findings=findings)
