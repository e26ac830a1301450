"""Issue keys and cool-downs: a repeat of one issue strengthens it rather than duplicating it.

Every finding names its underlying issue (`Signal.issue`) and how many times that issue
came up in its window (`Signal.occurrences`); see services/signals/domain/findings.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from schemas.signals import SignalType
from services.signals.domain.findings import ISSUE_WINDOWS_S, Finding
from services.signals.domain.observe import observe
from services.signals.domain.state import CustomerState
from tests.unit.builders import T0, event, new_customer


def sentiment(text: str) -> float:
    return -0.8 if "furious" in text else (0.8 if "wonderful" in text else 0.0)


class Customer:
    def __init__(self) -> None:
        self.id = new_customer()
        self.state = CustomerState()

    def emit(self, event_type: str, data: dict[str, Any], at: datetime = T0) -> list[Finding]:
        return observe(
            self.state, event(event_type, data, subject=self.id, at=at), sentiment
        ).findings

    def one(
        self, kind: SignalType, event_type: str, data: dict[str, Any], at: datetime = T0
    ) -> Finding:
        [finding] = [f for f in self.emit(event_type, data, at) if f.type == kind]
        return finding


def days(n: float) -> timedelta:
    return timedelta(days=n)


BILLING = {"channel": "email", "category": "billing", "severity": "medium"}


def test_the_same_complaint_again_within_its_window_is_the_same_issue_and_stronger() -> None:
    customer = Customer()
    found = [
        customer.one(SignalType.complaint, "complaint.filed", BILLING, T0 + timedelta(minutes=m))
        for m in (0, 2, 4)
    ]
    assert {f.issue for f in found} == {"complaint:billing"}
    assert [f.occurrences for f in found] == [1, 2, 3]
    assert found[0].strength < found[1].strength < found[2].strength
    assert found[2].reasons[-1] == "The same issue 3 times in 30 days"
    assert found[0].reasons == ["Filed a medium-severity complaint about billing"]


def test_a_complaint_about_something_else_is_another_issue() -> None:
    customer = Customer()
    customer.emit("complaint.filed", BILLING)
    other = customer.one(
        SignalType.complaint, "complaint.filed", {"channel": "web", "category": "network"}
    )
    assert other.issue == "complaint:network"
    assert other.occurrences == 1


def test_a_complaint_after_its_window_starts_the_count_again() -> None:
    customer = Customer()
    customer.emit("complaint.filed", BILLING)
    window = ISSUE_WINDOWS_S[SignalType.complaint]
    later = customer.one(
        SignalType.complaint, "complaint.filed", BILLING, T0 + timedelta(seconds=window + 60)
    )
    assert later.occurrences == 1
    assert later.strength == pytest.approx(0.6)


def test_the_window_slides_with_each_repeat() -> None:
    customer = Customer()
    counts = [
        customer.one(SignalType.complaint, "complaint.filed", BILLING, T0 + days(d)).occurrences
        for d in (0, 20, 40, 60)
    ]
    assert counts == [1, 2, 3, 4]


def test_failed_self_service_repeats_per_channel_and_journey() -> None:
    customer = Customer()
    pay = {"channel": "web", "journey": "payment"}
    first = customer.one(SignalType.failed_self_service, "selfservice.failed", pay)
    again = customer.one(
        SignalType.failed_self_service, "selfservice.failed", pay, T0 + timedelta(hours=5)
    )
    on_app = customer.one(
        SignalType.failed_self_service,
        "selfservice.failed",
        {"channel": "app", "journey": "payment"},
        T0 + timedelta(hours=6),
    )
    next_week = customer.one(
        SignalType.failed_self_service, "selfservice.failed", pay, T0 + days(8)
    )
    assert first.issue == again.issue == "failed_self_service:web:payment"
    assert (first.occurrences, again.occurrences) == (1, 2)
    assert again.strength > first.strength
    assert on_app.issue == "failed_self_service:app:payment" and on_app.occurrences == 1
    assert next_week.occurrences == 1


def test_the_cool_down_survives_a_state_round_trip() -> None:
    customer = Customer()
    customer.emit("complaint.filed", BILLING)
    customer.state = CustomerState.load(customer.state.dump())
    assert (
        customer.one(SignalType.complaint, "complaint.filed", BILLING, T0 + days(1)).occurrences
        == 2
    )


@pytest.mark.parametrize(
    ("event_type", "data", "issue"),
    [
        (
            "cancellation.requested",
            {"channel": "app", "product": "Broadband"},
            "cancellation_risk:broadband",
        ),
        (
            "message.received",
            {"channel": "chat", "text": "I want to cancel"},
            "cancellation_risk:any",
        ),
        ("complaint.filed", {"channel": "email", "category": "billing"}, "complaint:billing"),
        (
            "selfservice.failed",
            {"channel": "web", "journey": "pay_bill"},
            "failed_self_service:web:pay_bill",
        ),
        ("life_event.reported", {"kind": "divorce"}, "life_event:divorce"),
        ("message.received", {"channel": "chat", "text": "I lost my job"}, "life_event:job_loss"),
        (
            "renewal.quoted",
            {"product": "car cover", "previous_price": 100, "quoted_price": 130, "currency": "EUR"},
            "price_shock:car_cover",
        ),
        (
            "payment.missed",
            {"amount": 20, "currency": "EUR", "product": "tv"},
            "payment_difficulty:tv",
        ),
        ("payment.missed", {"amount": 20, "currency": "EUR"}, "payment_difficulty:any"),
        (
            "feedback.submitted",
            {"channel": "web", "scale": "nps", "score": 1},
            "negative_sentiment:any",
        ),
        ("message.received", {"channel": "chat", "text": "I am furious"}, "negative_sentiment:any"),
        ("contact.ended", {"channel": "voice", "outcome": "abandoned"}, "abandoned_contact:voice"),
        (
            "purchase.completed",
            {"product": "x", "amount": 9, "currency": "EUR"},
            "positive_moment:purchase",
        ),
        (
            "feedback.submitted",
            {"channel": "web", "scale": "csat", "score": 5},
            "positive_moment:feedback",
        ),
        (
            "message.received",
            {"channel": "chat", "text": "wonderful people"},
            "positive_moment:words",
        ),
    ],
)
def test_every_finding_names_its_issue(event_type: str, data: dict[str, Any], issue: str) -> None:
    findings = Customer().emit(event_type, data)
    assert issue in {f.issue for f in findings}
    assert all(f.issue and f.occurrences == 1 for f in findings)


def test_talk_of_leaving_joins_the_cancellation_already_under_way() -> None:
    customer = Customer()
    customer.emit("cancellation.requested", {"channel": "voice", "product": "broadband"})
    said = customer.one(
        SignalType.cancellation_risk,
        "message.received",
        {"channel": "email", "text": "Please cancel it today"},
        T0 + days(2),
    )
    assert said.issue == "cancellation_risk:broadband"
    assert said.occurrences == 2


def test_every_life_event_finding_carries_its_kind() -> None:
    reported = Customer().one(SignalType.life_event, "life_event.reported", {"kind": "retirement"})
    written = Customer().one(
        SignalType.life_event,
        "complaint.filed",
        {
            "channel": "email",
            "category": "billing",
            "text": "Since my wife passed away the bills are wrong",
        },
    )
    assert reported.details["kind"] == "retirement"
    assert written.details["kind"] == "bereavement"
    assert written.issue == "life_event:bereavement"


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to cancel, I just want the bill fixed",
        "I do not want to cancel my plan",
        "I have no intention of cancelling",
        "I'm not cancelling anything",
    ],
)
def test_denied_cancellation_is_not_cancellation_risk(text: str) -> None:
    found = Customer().emit("message.received", {"channel": "chat", "text": text})
    assert SignalType.cancellation_risk not in {f.type for f in found}


def test_not_happy_is_negative_and_never_a_positive_moment() -> None:
    # VADER alone scores this about -0.46, above the -0.5 line; negated praise takes it below
    def vader_like(text: str) -> float:
        return -0.46

    state = CustomerState()
    message = event(
        "message.received",
        {"channel": "chat", "text": "I'm not happy with this"},
        subject=new_customer(),
    )
    [finding] = observe(state, message, vader_like).findings
    assert finding.type is SignalType.negative_sentiment
    assert finding.details == {"sentiment": -0.6}
