"""`services.signals.domain.observe.observe`: what each event reveals about a customer.

A fake sentiment function keeps these tests independent of VADER's scores; one test at
the end uses the real analyzer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.events import InteractionEvent
from schemas.signals import SignalType
from services.signals.domain.findings import Finding
from services.signals.domain.observe import observe
from services.signals.domain.state import CustomerState
from tests.unit.builders import T0, event, new_customer


def fake_sentiment(text: str) -> float:
    if "furious" in text:
        return -0.8
    if "wonderful" in text:
        return 0.8
    return 0.0


class Customer:
    """One customer's state, fed event by event."""

    def __init__(self) -> None:
        self.id = new_customer()
        self.state = CustomerState()

    def event(
        self, event_type: str, data: dict[str, Any], at: datetime = T0, **kw: Any
    ) -> InteractionEvent:
        return event(event_type, data, subject=self.id, at=at, **kw)

    def send(self, item: InteractionEvent) -> dict[SignalType, Finding]:
        observation = observe(self.state, item, fake_sentiment)
        assert not observation.duplicate
        found = {f.type: f for f in observation.findings}
        assert len(found) == len(observation.findings), "one finding per type per event"
        return found

    def emit(
        self, event_type: str, data: dict[str, Any], at: datetime = T0, **kw: Any
    ) -> dict[SignalType, Finding]:
        return self.send(self.event(event_type, data, at, **kw))


def ref(item: InteractionEvent) -> list[str]:
    return [item.envelope.source, item.envelope.id, item.type, item.time.isoformat()]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# --- which events trigger which signals --------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (
            "cancellation.requested",
            {"channel": "app", "product": "broadband"},
            {"cancellation_risk"},
        ),
        ("complaint.filed", {"channel": "email", "category": "billing"}, {"complaint"}),
        ("selfservice.failed", {"channel": "web", "journey": "pay_bill"}, {"failed_self_service"}),
        ("life_event.reported", {"kind": "job_loss"}, {"life_event"}),
        (
            "renewal.quoted",
            {"product": "car", "previous_price": 400, "quoted_price": 520, "currency": "EUR"},
            {"price_shock"},
        ),
        ("payment.missed", {"amount": 20, "currency": "EUR"}, {"payment_difficulty"}),
        (
            "feedback.submitted",
            {"channel": "web", "scale": "nps", "score": 2},
            {"negative_sentiment"},
        ),
        ("contact.ended", {"channel": "chat", "outcome": "abandoned"}, {"abandoned_contact"}),
        (
            "purchase.completed",
            {"product": "cover", "amount": 9, "currency": "EUR"},
            {"positive_moment"},
        ),
        ("contact.started", {"channel": "voice"}, set()),
        ("message.received", {"channel": "chat", "text": "What time do you open?"}, set()),
        ("profile.updated", {"name": "Ana"}, set()),
        (
            "renewal.quoted",
            {"product": "car", "previous_price": 400, "quoted_price": 410, "currency": "EUR"},
            set(),
        ),
    ],
)
def test_each_trigger_yields_exactly_its_signal(
    event_type: str, data: dict[str, Any], expected: set[str]
) -> None:
    assert set(Customer().emit(event_type, data)) == {SignalType(t) for t in expected}


# --- cancellation_risk -------------------------------------------------------------------


def test_cancellation_request_is_a_strong_cancellation_risk_with_the_reason() -> None:
    customer = Customer()
    request = customer.event(
        "cancellation.requested",
        {"channel": "app", "product": "broadband", "reason": "too_expensive"},
    )

    finding = customer.send(request)[SignalType.cancellation_risk]

    assert finding.reasons == ["Asked to cancel broadband on app", "Reason given: too_expensive"]
    assert finding.evidence == [ref(request)]
    assert finding.details == {"product": "broadband", "reason": "too_expensive"}


def test_talk_of_cancelling_is_a_weaker_cancellation_risk() -> None:
    customer = Customer()
    explicit = Customer().emit("cancellation.requested", {"channel": "app", "product": "tv"})
    message = customer.event(
        "message.received", {"channel": "chat", "text": "I think I will cancel my contract"}
    )

    finding = customer.send(message)[SignalType.cancellation_risk]

    assert finding.reasons == [
        "Spoke of leaving on chat: \u201cI think I will cancel my contract\u201d"
    ]
    assert finding.evidence == [ref(message)]
    assert 0 < finding.strength < explicit[SignalType.cancellation_risk].strength


# --- complaint ---------------------------------------------------------------------------


def test_complaint_carries_category_and_severity_and_high_is_stronger() -> None:
    high = Customer().emit(
        "complaint.filed", {"channel": "email", "category": "billing", "severity": "high"}
    )[SignalType.complaint]
    low = Customer().emit(
        "complaint.filed", {"channel": "email", "category": "billing", "severity": "low"}
    )[SignalType.complaint]

    assert high.reasons == ["Filed a high-severity complaint about billing"]
    assert high.details == {"category": "billing", "severity": "high"}
    assert high.strength > low.strength


def test_complaint_without_severity_is_taken_as_medium() -> None:
    finding = Customer().emit("complaint.filed", {"channel": "web", "category": "delivery"})[
        SignalType.complaint
    ]
    assert finding.reasons == ["Filed a medium-severity complaint about delivery"]
    assert finding.details["severity"] == "medium"


def test_an_angry_complaint_is_a_complaint_not_also_negative_sentiment() -> None:
    found = Customer().emit(
        "complaint.filed", {"channel": "web", "category": "fees", "text": "I am furious"}
    )
    assert set(found) == {SignalType.complaint}


# --- repeat_contact ----------------------------------------------------------------------


def test_third_contact_within_a_week_is_a_repeat_contact() -> None:
    customer = Customer()
    contacts = [
        customer.event(
            "contact.started", {"channel": channel, "reason": "billing"}, at=T0 + hours(h)
        )
        for h, channel in [(0, "voice"), (30, "chat"), (100, "voice")]
    ]

    assert SignalType.repeat_contact not in customer.send(contacts[0])
    assert SignalType.repeat_contact not in customer.send(contacts[1])
    finding = customer.send(contacts[2])[SignalType.repeat_contact]

    assert finding.reasons == [
        "3rd contact in 7 days",
        "3 of them about billing",
        "across chat, voice",
    ]
    assert finding.evidence == [ref(c) for c in contacts]
    assert finding.details == {"contacts_7d": 3, "unresolved_7d": 0, "reason": "billing"}
    assert finding.issue == "repeat_contact:billing"
    assert finding.occurrences == 3


def test_contacts_spread_over_more_than_a_week_are_not_repeat_contact() -> None:
    customer = Customer()
    for days in (0, 4, 8):
        found = customer.emit("contact.started", {"channel": "voice"}, at=T0 + timedelta(days=days))
    assert SignalType.repeat_contact not in found


def unresolved_call(
    customer: Customer, at: datetime, channel: str = "voice", outcome: str = "unresolved"
) -> dict[SignalType, Finding]:
    customer.emit("contact.started", {"channel": channel, "reason": "billing"}, at=at)
    return customer.emit(
        "contact.ended",
        {"channel": channel, "outcome": outcome, "reason": "billing"},
        at=at + timedelta(minutes=10),
    )


def test_calls_that_keep_ending_unresolved_are_a_repeat_contact_at_the_second() -> None:
    customer = Customer()
    first = unresolved_call(customer, T0)
    second = unresolved_call(customer, T0 + hours(26), channel="chat", outcome="transferred")

    assert SignalType.repeat_contact not in first
    finding = second[SignalType.repeat_contact]
    assert finding.reasons == [
        "2 contacts in 7 days ended without a fix",
        "2 of them about billing",
        "across chat, voice",
    ]
    assert finding.details == {"contacts_7d": 2, "unresolved_7d": 2, "reason": "billing"}
    assert finding.issue == "repeat_contact:billing"
    assert len(finding.evidence) == 2


def test_resolved_contacts_do_not_count_as_unresolved() -> None:
    customer = Customer()
    unresolved_call(customer, T0)
    assert SignalType.repeat_contact not in unresolved_call(
        customer, T0 + hours(5), outcome="resolved"
    )


def test_an_end_reported_without_its_start_still_counts_as_a_contact() -> None:
    customer = Customer()
    for h in (0, 3):
        found = customer.emit(
            "contact.ended", {"channel": "email", "outcome": "unresolved"}, at=T0 + hours(h)
        )
    assert found[SignalType.repeat_contact].details["contacts_7d"] == 2
    assert found[SignalType.repeat_contact].evidence[0][2] == "contact.ended"


def test_a_contact_makes_one_repeat_finding_at_its_start_not_again_at_its_end() -> None:
    customer = Customer()
    unresolved_call(customer, T0)
    unresolved_call(customer, T0 + hours(2))
    started = customer.emit(
        "contact.started", {"channel": "voice", "reason": "billing"}, at=T0 + hours(4)
    )
    ended = customer.emit(
        "contact.ended",
        {"channel": "voice", "outcome": "unresolved", "reason": "billing"},
        at=T0 + hours(4.2),
    )
    assert started[SignalType.repeat_contact].occurrences == 3
    assert SignalType.repeat_contact not in ended


def test_every_repeat_shares_the_issue_and_counts_up() -> None:
    customer = Customer()
    found = [
        customer.emit("contact.started", {"channel": "voice"}, at=T0 + hours(h))
        for h in (0, 1, 2, 3, 30)
    ]
    repeats = [f[SignalType.repeat_contact] for f in found if SignalType.repeat_contact in f]
    assert [r.issue for r in repeats] == ["repeat_contact:any"] * 3
    assert [r.occurrences for r in repeats] == [3, 4, 5]
    assert repeats[-1].reasons[0] == "5th contact in 7 days"
    assert repeats[0].strength < repeats[-1].strength


# --- failed_self_service -----------------------------------------------------------------


def test_failed_self_service_names_the_journey_and_step() -> None:
    finding = Customer().emit(
        "selfservice.failed",
        {"channel": "web", "journey": "change_address", "step": "confirm", "error_code": "E42"},
    )[SignalType.failed_self_service]
    assert finding.reasons == ["Could not change address on web at confirm"]
    assert finding.details == {"journey": "change_address", "error_code": "E42"}


def test_contact_after_a_failed_journey_is_the_stronger_finding_with_both_events() -> None:
    customer = Customer()
    failure = customer.event("selfservice.failed", {"channel": "app", "journey": "change_address"})
    call = customer.event("contact.started", {"channel": "voice"}, at=T0 + timedelta(minutes=20))

    alone = customer.send(failure)[SignalType.failed_self_service]
    followed = customer.send(call)[SignalType.failed_self_service]

    assert followed.strength > alone.strength
    assert followed.reasons == ["Contacted us 20 min after failing to change address on app"]
    assert followed.evidence == [ref(failure), ref(call)]
    assert followed.details == {"journey": "change_address"}
    assert followed.issue == alone.issue == "failed_self_service:app:change_address"
    assert followed.occurrences == alone.occurrences == 1  # the call is not another failure
    # once followed up, the next contact is not about that failure any more
    later = customer.emit("contact.started", {"channel": "chat"}, at=T0 + timedelta(minutes=50))
    assert SignalType.failed_self_service not in later


def test_contact_long_after_a_failed_journey_is_not_linked_to_it() -> None:
    customer = Customer()
    customer.emit("selfservice.failed", {"channel": "web", "journey": "pay_bill"})
    assert SignalType.failed_self_service not in customer.emit(
        "contact.started", {"channel": "voice"}, at=T0 + hours(3)
    )


# --- life_event --------------------------------------------------------------------------


def test_reported_life_event_is_told_in_plain_words() -> None:
    customer = Customer()
    report = customer.event("life_event.reported", {"kind": "bereavement"})
    finding = customer.send(report)[SignalType.life_event]
    assert finding.reasons == ["Told us about a bereavement"]
    assert finding.evidence == [ref(report)]
    assert finding.details == {"kind": "bereavement"}


def test_life_event_mentioned_in_a_message_is_weaker_and_quotes_it() -> None:
    reported = Customer().emit("life_event.reported", {"kind": "relocation"})
    text = "We're moving house next month, where do I send the new details?"
    mentioned = Customer().emit("message.received", {"channel": "email", "text": text})

    finding = mentioned[SignalType.life_event]
    assert finding.reasons == ["Mentioned a move", f"\u201c{text}\u201d"]
    assert finding.details == {"kind": "relocation"}
    assert finding.strength < reported[SignalType.life_event].strength


def test_a_wedding_is_a_life_event_not_a_positive_moment() -> None:
    assert set(Customer().emit("life_event.reported", {"kind": "marriage"})) == {
        SignalType.life_event
    }


# --- price_shock -------------------------------------------------------------------------


def renewal(previous: float, quoted: float) -> dict[str, Any]:
    return {
        "product": "home_insurance",
        "previous_price": previous,
        "quoted_price": quoted,
        "currency": "EUR",
    }


def test_a_ten_percent_rise_is_a_price_shock() -> None:
    finding = Customer().emit("renewal.quoted", renewal(100, 110))[SignalType.price_shock]
    assert finding.reasons == ["Renewal quote for home_insurance up 10% (100.00 \u2192 110.00 EUR)"]
    assert finding.details == {
        "product": "home_insurance",
        "price_rise_percent": 10.0,
        "previous_price": 100,
        "quoted_price": 110,
        "currency": "EUR",
    }
    assert finding.issue == "price_shock:home_insurance"


@pytest.mark.parametrize(("previous", "quoted"), [(100, 109.9), (100, 100), (100, 80), (0, 50)])
def test_smaller_rises_falls_and_free_terms_are_not(previous: float, quoted: float) -> None:
    assert SignalType.price_shock not in Customer().emit(
        "renewal.quoted", renewal(previous, quoted)
    )


def test_a_bigger_rise_is_a_stronger_price_shock() -> None:
    small = Customer().emit("renewal.quoted", renewal(100, 112))[SignalType.price_shock]
    big = Customer().emit("renewal.quoted", renewal(100, 150))[SignalType.price_shock]
    assert big.strength > small.strength
    assert big.details["price_rise_percent"] == 50.0


# --- payment_difficulty ------------------------------------------------------------------


def test_missed_payments_add_up_within_ninety_days() -> None:
    customer = Customer()
    first = customer.emit(
        "payment.missed", {"amount": 42.5, "currency": "EUR", "days_overdue": 12}
    )[SignalType.payment_difficulty]
    second = customer.emit(
        "payment.missed", {"amount": 42.5, "currency": "EUR"}, at=T0 + timedelta(days=30)
    )[SignalType.payment_difficulty]
    much_later = customer.emit(
        "payment.missed", {"amount": 42.5, "currency": "EUR"}, at=T0 + timedelta(days=200)
    )[SignalType.payment_difficulty]

    assert first.reasons == ["Missed a payment of 42.50 EUR", "12 days overdue"]
    assert first.details == {"amount": 42.5, "missed_90d": 1}
    assert second.reasons == ["Missed a payment of 42.50 EUR", "2 missed payments in 90 days"]
    assert second.details["missed_90d"] == 2
    first_alike = Customer().emit("payment.missed", {"amount": 42.5, "currency": "EUR"})
    assert second.strength > first_alike[SignalType.payment_difficulty].strength
    assert much_later.details["missed_90d"] == 1


# --- negative_sentiment ------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "score"), [("nps", 0), ("nps", 6), ("csat", 1), ("csat", 2)])
def test_low_feedback_is_negative_sentiment(scale: str, score: int) -> None:
    found = Customer().emit(
        "feedback.submitted", {"channel": "web", "scale": scale, "score": score}
    )
    finding = found[SignalType.negative_sentiment]
    assert finding.reasons == [f"Gave a {scale.upper()} score of {score}"]
    assert finding.details == {"score": score, "scale": scale}
    assert SignalType.positive_moment not in found


@pytest.mark.parametrize(("scale", "score"), [("nps", 7), ("nps", 8), ("csat", 3), ("csat", 4)])
def test_middling_feedback_is_neither_negative_nor_positive(scale: str, score: int) -> None:
    assert (
        Customer().emit("feedback.submitted", {"channel": "web", "scale": scale, "score": score})
        == {}
    )


def test_angry_words_are_negative_sentiment_quoting_them() -> None:
    found = Customer().emit("message.received", {"channel": "social", "text": "I am furious."})
    finding = found[SignalType.negative_sentiment]
    assert finding.reasons == ["Wrote in anger or distress: \u201cI am furious.\u201d"]
    assert finding.details == {"sentiment": -0.8}
    assert finding.strength == pytest.approx(0.8)


def test_angry_comment_with_a_middling_score_is_negative_sentiment() -> None:
    found = Customer().emit(
        "feedback.submitted", {"channel": "web", "scale": "nps", "score": 7, "text": "furious"}
    )
    assert found[SignalType.negative_sentiment].details == {"sentiment": -0.8}


def test_real_vader_finds_an_obviously_angry_message() -> None:
    analyzer = SentimentIntensityAnalyzer()
    state = CustomerState()
    text = "This is the worst service ever. I am absolutely furious and disgusted!"
    message = event("message.received", {"channel": "chat", "text": text}, subject=new_customer())

    observation = observe(state, message, lambda t: analyzer.polarity_scores(t)["compound"])

    [finding] = [f for f in observation.findings if f.type == SignalType.negative_sentiment]
    assert isinstance(finding.details["sentiment"], float)
    assert finding.details["sentiment"] <= -0.5
    assert text in finding.reasons[0]


# --- abandoned_contact -------------------------------------------------------------------


def test_abandoned_contact_says_how_long_they_waited() -> None:
    finding = Customer().emit(
        "contact.ended", {"channel": "voice", "outcome": "abandoned", "wait_seconds": 120}
    )[SignalType.abandoned_contact]
    assert finding.reasons == ["Gave up on a voice contact", "after waiting 2 min"]
    assert finding.details == {"wait_seconds": 120, "outcome": "abandoned"}


def test_a_very_long_wait_counts_even_when_the_contact_was_served() -> None:
    finding = Customer().emit(
        "contact.ended", {"channel": "chat", "outcome": "resolved", "wait_seconds": 900}
    )[SignalType.abandoned_contact]
    assert finding.reasons == ["Waited 15 min on a chat contact"]
    assert finding.details == {"wait_seconds": 900, "outcome": "resolved"}


def test_a_short_wait_that_was_served_is_not_abandoned() -> None:
    assert (
        Customer().emit(
            "contact.ended", {"channel": "chat", "outcome": "resolved", "wait_seconds": 60}
        )
        == {}
    )


def test_giving_up_after_a_long_wait_is_stronger_than_after_a_short_one() -> None:
    short = Customer().emit(
        "contact.ended", {"channel": "voice", "outcome": "abandoned", "wait_seconds": 30}
    )[SignalType.abandoned_contact]
    long = Customer().emit(
        "contact.ended", {"channel": "voice", "outcome": "abandoned", "wait_seconds": 1200}
    )[SignalType.abandoned_contact]
    assert long.strength > short.strength


# --- positive_moment ---------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "score"), [("nps", 9), ("nps", 10), ("csat", 5)])
def test_top_feedback_is_a_positive_moment(scale: str, score: int) -> None:
    found = Customer().emit(
        "feedback.submitted", {"channel": "sms", "scale": scale, "score": score}
    )
    assert set(found) == {SignalType.positive_moment}
    assert found[SignalType.positive_moment].reasons == [f"Gave a {scale.upper()} score of {score}"]


def test_a_purchase_is_a_positive_moment() -> None:
    finding = Customer().emit(
        "purchase.completed", {"product": "travel_insurance", "amount": 49.99, "currency": "GBP"}
    )[SignalType.positive_moment]
    assert finding.reasons == ["Bought travel_insurance (49.99 GBP)"]
    assert finding.details == {"product": "travel_insurance"}


def test_kind_words_are_a_positive_moment() -> None:
    found = Customer().emit(
        "message.received", {"channel": "chat", "text": "Your agent was wonderful"}
    )
    assert found[SignalType.positive_moment].reasons == [
        "Said something kind: \u201cYour agent was wonderful\u201d"
    ]


# --- duplicates and state ----------------------------------------------------------------


def test_the_same_event_twice_is_a_duplicate_and_changes_nothing() -> None:
    customer = Customer()
    complaint = customer.event("complaint.filed", {"channel": "web", "category": "fees"})
    assert customer.send(complaint)
    before = customer.state.dump()

    again = observe(customer.state, complaint, fake_sentiment)

    assert again.duplicate is True
    assert again.findings == []
    assert customer.state.dump() == before


def test_a_resent_event_with_different_content_is_still_a_duplicate() -> None:
    customer = Customer()
    customer.emit("complaint.filed", {"channel": "web", "category": "fees"}, id="c-1")
    resent = customer.event(
        "complaint.filed", {"channel": "web", "category": "other"}, id="c-1", at=T0 + hours(1)
    )
    assert observe(customer.state, resent, fake_sentiment).duplicate


def test_the_same_id_from_another_source_is_another_event() -> None:
    customer = Customer()
    customer.emit("complaint.filed", {"channel": "web", "category": "fees"}, id="c-1")
    found = customer.emit(
        "complaint.filed", {"channel": "web", "category": "fees"}, id="c-1", source="/channels/web"
    )
    assert SignalType.complaint in found


def test_contact_started_with_an_agent_makes_the_agent_live_until_it_ends() -> None:
    customer = Customer()
    customer.emit("contact.started", {"channel": "voice", "agent_id": "agent-7", "queue": "care"})
    assert customer.state.live is not None
    assert customer.state.live[:4] == ["agent-7", "care", "voice", int(T0.timestamp())]

    customer.emit("contact.ended", {"channel": "chat", "outcome": "resolved"}, at=T0 + hours(0.1))
    assert customer.state.live is not None, "another channel's contact ending changes nothing"
    customer.emit("contact.ended", {"channel": "voice", "outcome": "resolved"}, at=T0 + hours(0.2))
    assert customer.state.live is None


def test_a_contact_without_an_agent_does_not_make_anyone_live() -> None:
    customer = Customer()
    customer.emit("contact.started", {"channel": "ivr"})
    assert customer.state.live is None


def test_profile_updates_merge_and_consents_are_remembered_one_by_one() -> None:
    customer = Customer()
    customer.emit(
        "profile.updated",
        {
            "name": "Ana",
            "vulnerable": True,
            "consents": {"service_contact": False, "marketing": True},
        },
    )
    customer.emit(
        "profile.updated",
        {"value_tier": "top", "consents": {"marketing": False}},
        at=T0 + hours(1),
    )

    assert customer.state.profile == {
        "name": "Ana",
        "vulnerable": True,
        "value_tier": "top",
        "consent_service_contact": False,
        "consent_marketing": False,
    }
