"""The detection rules: pure functions from (event, customer state) to findings.

Each detector yields at most one finding of its type per event, with the key of the
issue behind it (see domain/findings.py). This module holds what customers tell us or
what happens to their money; domain/effort.py holds contacts and journeys, and
domain/observe.py runs them all.
"""

from __future__ import annotations

from schemas.events import (
    CancellationRequested,
    ComplaintFiled,
    FeedbackScale,
    FeedbackSubmitted,
    InteractionEvent,
    LifeEventReported,
    MessageReceived,
    PaymentMissed,
    PurchaseCompleted,
    RenewalQuoted,
    Severity,
)
from schemas.signals import SignalType
from services.signals.domain.findings import ISSUE_WINDOWS_S, Finding, issue_key, open_issue, ref
from services.signals.domain.state import CustomerState
from services.signals.domain.text import (
    Sentiment,
    life_events_in,
    mentions_cancellation,
    negated_praise,
)

PRICE_SHOCK_PERCENT = 10.0
NEGATIVE_SENTIMENT = -0.5
POSITIVE_SENTIMENT = 0.6
# "I'm not happy" is unhappiness VADER underrates (about -0.46): taken as at least this bad.
NEGATED_PRAISE_SENTIMENT = -0.6

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


def tone(text: str, sentiment: Sentiment) -> float:
    """The sentiment of `text`, with negated praise counted as unhappy."""
    score = sentiment(text)
    return min(score, NEGATED_PRAISE_SENTIMENT) if negated_praise(text) else score


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
            issue=issue_key("cancellation_risk", data.product),
        )
    if isinstance(data, MessageReceived) and mentions_cancellation(data.text):
        # words about leaving belong to the product already being cancelled, if any
        window = ISSUE_WINDOWS_S[SignalType.cancellation_risk]
        issue = open_issue(state, "cancellation_risk:", event.time.timestamp(), window)
        return Finding(
            SignalType.cancellation_risk,
            0.6,
            [f"Spoke of leaving on {data.channel.value}: \u201c{data.text[:120]}\u201d"],
            [ref(event)],
            issue=issue or issue_key("cancellation_risk", None),
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
        issue=issue_key("complaint", data.category),
    )


def life_event(event: InteractionEvent, state: CustomerState, _: Sentiment) -> Finding | None:
    data = event.data
    if isinstance(data, LifeEventReported):
        return Finding(
            SignalType.life_event,
            0.9,
            [f"Told us about {LIFE_EVENT_WORDS[data.kind.value]}"],
            [ref(event)],
            {"kind": data.kind.value},
            issue=issue_key("life_event", data.kind.value),
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
                issue=issue_key("life_event", kinds[0]),
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
        {
            "product": data.product,
            "price_rise_percent": round(rise, 1),
            "previous_price": data.previous_price,
            "quoted_price": data.quoted_price,
            "currency": data.currency,
        },
        issue=issue_key("price_shock", data.product),
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
        issue=issue_key("payment_difficulty", data.product),
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
                issue=issue_key("negative_sentiment", None),
            )
    text = getattr(data, "text", None)
    if isinstance(text, str) and not isinstance(data, ComplaintFiled):
        score = tone(text, sentiment)
        if score <= NEGATIVE_SENTIMENT:
            return Finding(
                SignalType.negative_sentiment,
                min(1.0, -score),
                [f"Wrote in anger or distress: \u201c{text[:120]}\u201d"],
                [ref(event)],
                {"sentiment": round(score, 3)},
                issue=issue_key("negative_sentiment", None),
            )
    return None


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
                issue=issue_key("positive_moment", "feedback"),
            )
        return None
    if isinstance(data, PurchaseCompleted):
        return Finding(
            SignalType.positive_moment,
            0.5,
            [f"Bought {data.product} ({data.amount:.2f} {data.currency})"],
            [ref(event)],
            {"product": data.product},
            issue=issue_key("positive_moment", "purchase"),
        )
    if isinstance(data, MessageReceived):
        score = tone(data.text, sentiment)
        if score >= POSITIVE_SENTIMENT:
            return Finding(
                SignalType.positive_moment,
                min(1.0, score),
                [f"Said something kind: \u201c{data.text[:120]}\u201d"],
                [ref(event)],
                {"sentiment": round(score, 3)},
                issue=issue_key("positive_moment", "words"),
            )
    return None
