"""What each moment means for the relationship, and how it reads on the agent's timeline.

`impacts_of` turns an event and what the detectors found in it into signed health
points per factor (the weights of the relationship-health model; half-lives are in
domain/health.py). `summary_of` says the event in one short line for the timeline.
Both are pure; `live_through` applies them to the customer's state.
"""

from __future__ import annotations

from schemas.events import (
    CancellationCompleted,
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
    PurchaseCompleted,
    RenewalQuoted,
    SelfServiceFailed,
    Severity,
)
from schemas.signals import SignalType
from services.signals.domain.detectors import LIFE_EVENT_WORDS
from services.signals.domain.findings import Finding, issue_key
from services.signals.domain.health import feel, soften
from services.signals.domain.state import CustomerState

COMPLAINT_POINTS = {Severity.low: -6.0, Severity.medium: -10.0, Severity.high: -15.0}
UNRESOLVED_POINTS = {ContactOutcome.unresolved: -5.0, ContactOutcome.transferred: -3.0}
RESOLVED_POINTS = 2.0
COMPLAINT_PUT_RIGHT_POINTS = 4.0
COMPLAINT_PUT_RIGHT_SHARE = 0.5  # of the complaint's remaining weight that a fix takes away
REPEAT_CONTACT_POINTS = -3.0
FAILED_SELF_SERVICE_POINTS = -3.0
ABANDONED_POINTS = -4.0
LONG_WAIT_POINTS = -3.0
LONG_WAIT_S = 600.0
CANCELLATION_POINTS = -16.0  # times the finding's strength: asked 0.9, spoke of it 0.6
PRICE_RISE_FLOOR_PERCENT = 5.0
PRICE_RISE_POINTS_PER_PERCENT = -0.4
PRICE_RISE_POINTS_CAP = -12.0
MISSED_PAYMENT_POINTS = -6.0
NEGATIVE_POINTS = -6.0  # times strength
POSITIVE_POINTS = 5.0  # times strength
PURCHASE_POINTS = 4.0
LIFE_EVENT_POINTS = -2.0  # upheaval: people review what they pay for
LOST_PRODUCT_POINTS = -18.0  # a product gone: the relationship is smaller and was strained
QUOTE_CHARS = 32

Impact = tuple[str, float, str]  # factor code, points, label of this moment


def _quote(text: str) -> str:
    short = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "\u2026"
    return f"\u201c{short}\u201d"


def impacts_of(
    event: InteractionEvent, found: dict[SignalType, Finding], complaint_open: bool
) -> list[Impact]:
    data = event.data
    impacts: list[Impact] = []
    if isinstance(data, ComplaintFiled):
        severity = data.severity or Severity.medium
        impacts.append(("cp", COMPLAINT_POINTS[severity], f"{data.category} ({severity.value})"))
    elif isinstance(data, ContactEnded):
        about = data.reason or data.channel.value
        if data.outcome in UNRESOLVED_POINTS:
            impacts.append(("un", UNRESOLVED_POINTS[data.outcome], about))
        elif data.outcome == ContactOutcome.resolved:
            impacts.append(("rs", RESOLVED_POINTS, about))
            if complaint_open:
                impacts.append(("cr", COMPLAINT_PUT_RIGHT_POINTS, about))
        else:
            impacts.append(("ab", ABANDONED_POINTS, data.channel.value))
        waited = data.wait_seconds or 0
        if waited >= LONG_WAIT_S and data.outcome != ContactOutcome.abandoned:
            impacts.append(("wt", LONG_WAIT_POINTS, f"{waited / 60:.0f} min"))
    elif isinstance(data, SelfServiceFailed):
        journey = data.journey.replace("_", " ")
        impacts.append(("fs", FAILED_SELF_SERVICE_POINTS, f"{journey} on {data.channel.value}"))
    elif isinstance(data, RenewalQuoted) and data.previous_price > 0:
        rise = (data.quoted_price - data.previous_price) / data.previous_price * 100
        if rise >= PRICE_RISE_FLOOR_PERCENT:
            points = max(PRICE_RISE_POINTS_CAP, PRICE_RISE_POINTS_PER_PERCENT * rise)
            impacts.append(("ps", points, f"{rise:.0f}% on {data.product}"))
    elif isinstance(data, PaymentMissed):
        impacts.append(("pm", MISSED_PAYMENT_POINTS, f"{data.amount:.2f} {data.currency}"))
    elif isinstance(data, PurchaseCompleted):
        impacts.append(("pu", PURCHASE_POINTS, data.product))
    elif isinstance(data, CancellationCompleted):
        impacts.append(("lp", LOST_PRODUCT_POINTS, data.product))
    if (repeat := found.get(SignalType.repeat_contact)) is not None:
        impacts.append(("rc", REPEAT_CONTACT_POINTS, str(repeat.details.get("reason") or "it")))
    if (leaving := found.get(SignalType.cancellation_risk)) is not None:
        product = leaving.details.get("product")
        label = str(product) if product else _quote(getattr(data, "text", "") or "")
        impacts.append(("cx", CANCELLATION_POINTS * leaving.strength, label))
    if (unhappy := found.get(SignalType.negative_sentiment)) is not None:
        impacts.append(("ng", NEGATIVE_POINTS * unhappy.strength, _said(data)))
    if (happy := found.get(SignalType.positive_moment)) is not None and not isinstance(
        data, PurchaseCompleted
    ):
        impacts.append(("po", POSITIVE_POINTS * happy.strength, _said(data)))
    if (life := found.get(SignalType.life_event)) is not None:
        impacts.append(("le", LIFE_EVENT_POINTS, LIFE_EVENT_WORDS[str(life.details["kind"])]))
    return impacts


def _said(data: object) -> str:
    if isinstance(data, FeedbackSubmitted):
        return f"{data.scale.value.upper()} {data.score}"
    return _quote(str(getattr(data, "text", "") or ""))


def summary_of(event: InteractionEvent) -> str | None:
    """One line for the agent's timeline; None for what is not a moment (a profile edit)."""
    data = event.data
    if isinstance(data, ContactStarted):
        about = f" about {data.reason}" if data.reason else ""
        return f"Contact on {data.channel.value}{about}"
    if isinstance(data, ContactEnded):
        waited = data.wait_seconds or 0
        wait = f" after a {waited / 60:.0f} min wait" if waited >= 60 else ""
        return f"{data.channel.value.title()} contact {data.outcome.value}{wait}"
    if isinstance(data, MessageReceived):
        return f"Wrote on {data.channel.value}: {_quote(data.text)}"
    if isinstance(data, SelfServiceFailed):
        return f"Could not {data.journey.replace('_', ' ')} on {data.channel.value}"
    if isinstance(data, ComplaintFiled):
        severity = (data.severity or Severity.medium).value
        return f"Complained about {data.category} ({severity})"
    if isinstance(data, CancellationRequested):
        return f"Asked to cancel {data.product}"
    if isinstance(data, CancellationCompleted):
        return f"Cancelled {data.product}"
    if isinstance(data, RenewalQuoted):
        return (
            f"Renewal quote for {data.product}: {data.previous_price:.2f} \u2192 "
            f"{data.quoted_price:.2f} {data.currency}"
        )
    if isinstance(data, PaymentMissed):
        return f"Missed a payment of {data.amount:.2f} {data.currency}"
    if isinstance(data, LifeEventReported):
        return f"Told us about {LIFE_EVENT_WORDS[data.kind.value]}"
    if isinstance(data, FeedbackSubmitted):
        return f"Gave {data.scale.value.upper()} {data.score}"
    if isinstance(data, PurchaseCompleted):
        return f"Bought {data.product} ({data.amount:.2f} {data.currency})"
    return None


def _tone(event: InteractionEvent, found: dict[SignalType, Finding]) -> float | None:
    data = event.data
    if isinstance(data, FeedbackSubmitted):
        if data.scale == FeedbackScale.nps:
            return round((data.score - 5) / 5, 2)
        return round((data.score - 3) / 2, 2)
    for kind in (SignalType.negative_sentiment, SignalType.positive_moment):
        said = found.get(kind)
        if said is not None and isinstance(said.details.get("sentiment"), float):
            return float(said.details["sentiment"])  # type: ignore[arg-type]
    return None


def live_through(state: CustomerState, event: InteractionEvent, findings: list[Finding]) -> None:
    """Fold the event's health impacts and its timeline line into the state."""
    at = event.time.timestamp()
    found = {f.type: f for f in findings}
    complaint = None
    if isinstance(event.data, ContactEnded) and event.data.outcome == ContactOutcome.resolved:
        key = issue_key("complaint", event.data.reason) if event.data.reason else None
        complaint = key if key in state.issues else None
    for code, points, label in impacts_of(event, found, complaint is not None):
        feel(state.health, code, points, at, label)
    if complaint is not None:
        soften(state.health, "cp", COMPLAINT_PUT_RIGHT_SHARE)
        del state.issues[complaint]  # put right: a new complaint about it starts afresh
    summary = summary_of(event)
    if summary is not None:
        row: list[object] = [int(at), event.type, summary, event.envelope.id]
        tone = _tone(event, found)
        if tone is not None:
            row.append(tone)
        state.add_moment(row)
