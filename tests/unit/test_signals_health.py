"""`services.signals.domain.health`: the relationship-health score, its reasons and trend.

Most tests play a customer's moments through `observe` (the same fold the handler runs)
and read the health it returns; a few call the pure function on a hand-made ledger.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.health import RelationshipHealth
from services.signals.domain.health import (
    BASELINE,
    FACTORS,
    band,
    relationship_health,
)
from services.signals.domain.observe import observe
from services.signals.domain.state import CustomerState
from tests.unit.builders import T0, event, new_customer


class Customer:
    def __init__(self) -> None:
        self.id = new_customer()
        self.state = CustomerState()

    def live(self, event_type: str, data: dict[str, Any], at: datetime) -> RelationshipHealth:
        item = event(event_type, data, subject=self.id, at=at)
        health = observe(self.state, item, lambda text: 0.0).health
        assert health is not None
        return health

    def health_at(self, at: datetime) -> RelationshipHealth:
        s = self.state
        return relationship_health(
            s.health, s.profile.get("value_tier"), s.first_seen, s.history, at
        )


def day(n: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hours)


def complaint(severity: str, category: str = "billing") -> dict[str, Any]:
    return {"channel": "email", "category": category, "severity": severity}


def contact_end(outcome: str, reason: str = "billing", wait: float = 60) -> dict[str, Any]:
    return {"channel": "voice", "outcome": outcome, "reason": reason, "wait_seconds": wait}


def test_a_customer_we_know_nothing_about_scores_the_baseline() -> None:
    health = Customer().live("profile.updated", {"name": "Ana"}, T0)
    assert health.score == BASELINE
    assert health.band == "steady"
    assert health.reasons == []
    assert health.change_30d == 0
    assert [(p.day, p.score) for p in health.trend] == [(T0.date(), BASELINE)]
    assert health.computed_at == T0


def test_the_readme_worked_example() -> None:
    customer = Customer()
    customer.live("profile.updated", {"value_tier": "high"}, day(-365))
    customer.live("complaint.filed", complaint("high"), day(-10))
    customer.live("contact.started", {"channel": "voice", "reason": "billing"}, day(-3))
    customer.live("contact.ended", contact_end("unresolved"), day(-3))

    before = customer.health_at(day(0))
    assert before.score == 59.6
    assert before.band == "strained"
    assert [(r.impact, r.kind) for r in before.reasons] == [
        (-12.9, "complaint"),
        (-4.5, "effort"),
        (4.0, "value"),
        (3.0, "tenure"),
    ]
    assert before.reasons[0].text == "A complaint about billing (high), 10 days ago"
    assert before.reasons[1].text == "A contact about billing ended without a fix, 3 days ago"
    assert before.reasons[3].text == "Customer for 12 months"

    customer.live("contact.started", {"channel": "voice", "reason": "billing"}, day(0))
    after = customer.live("contact.ended", contact_end("resolved"), day(0))
    assert after.score == 72.0
    assert after.band == "steady"
    assert {r.text: r.impact for r in after.reasons} == {
        "A complaint about billing (high), 10 days ago": -6.4,
        "A contact about billing ended without a fix, 3 days ago": -4.5,
        "A complaint about billing put right, today": 4.0,
        "High-value customer": 4.0,
    }


@pytest.mark.parametrize(("severity", "points"), [("low", -6), ("medium", -10), ("high", -15)])
def test_a_complaint_costs_points_by_severity(severity: str, points: float) -> None:
    health = Customer().live("complaint.filed", complaint(severity), T0)
    assert health.score == BASELINE + points
    [reason] = health.reasons
    assert (reason.impact, reason.kind) == (points, "complaint")


def test_a_bad_moment_fades_by_half_over_its_half_life() -> None:
    customer = Customer()
    customer.live("complaint.filed", complaint("high"), T0)
    half_life = FACTORS["cp"].half_life_days
    assert customer.health_at(day(half_life)).score == BASELINE - 7.5
    tenure = 6 * 2 * half_life / 730  # by then the customer has been with us 90 days
    assert customer.health_at(day(2 * half_life)).score == pytest.approx(
        BASELINE - 15 / 4 + tenure, abs=0.05
    )
    assert [r.kind for r in customer.health_at(day(20 * half_life)).reasons] == ["tenure"]


def test_effort_costs_points_unresolved_waits_repeats_and_failed_journeys() -> None:
    customer = Customer()
    customer.live("selfservice.failed", {"channel": "web", "journey": "pay_bill"}, T0)
    scores = []
    for n in range(3):
        customer.live("contact.started", {"channel": "voice", "reason": "billing"}, day(n, 1))
        scores.append(
            customer.live("contact.ended", contact_end("unresolved", wait=900), day(n, 2)).score
        )
    assert scores[0] > scores[1] > scores[2]
    kinds = {r.kind for r in customer.health_at(day(3)).reasons}
    assert kinds == {"effort"}
    texts = " / ".join(r.text for r in customer.health_at(day(3)).reasons)
    assert "3 contacts ended without a fix, the latest about billing" in texts
    assert "3 long waits" in texts


def test_a_resolved_complaint_wins_back_part_of_what_it_cost() -> None:
    customer = Customer()
    customer.live("complaint.filed", complaint("high", "network"), T0)
    customer.live("contact.started", {"channel": "voice", "reason": "network"}, day(1))
    unresolved = customer.live("contact.ended", contact_end("resolved", reason="other"), day(1))
    customer.live("contact.started", {"channel": "voice", "reason": "network"}, day(1, 2))
    resolved = customer.live("contact.ended", contact_end("resolved", reason="network"), day(1, 2))
    assert resolved.score - unresolved.score > 9  # +2 resolved, +4 put right, half the -15 back
    assert any(r.text.startswith("A complaint about network put right") for r in resolved.reasons)


def test_good_moments_and_standing_raise_the_score() -> None:
    customer = Customer()
    customer.live("profile.updated", {"value_tier": "top"}, day(-800))
    customer.live(
        "purchase.completed", {"product": "sports pack", "amount": 20, "currency": "EUR"}, T0
    )
    health = customer.live(
        "feedback.submitted", {"channel": "app", "scale": "nps", "score": 10}, T0
    )
    assert health.score == pytest.approx(BASELINE + 6 + 6 + 4 + 3.5)
    assert health.band == "strong"
    assert {r.kind for r in health.reasons} == {"value", "tenure", "purchase", "sentiment"}
    assert "Customer for 2 years" in [r.text for r in health.reasons]


def test_money_and_leaving_cost_points() -> None:
    customer = Customer()
    rise = customer.live(
        "renewal.quoted",
        {"product": "tv", "previous_price": 100, "quoted_price": 125, "currency": "EUR"},
        T0,
    )
    assert rise.score == BASELINE - 10
    missed = customer.live("payment.missed", {"amount": 30, "currency": "EUR"}, T0)
    assert missed.score == BASELINE - 16
    leaving = customer.live("cancellation.requested", {"channel": "web", "product": "tv"}, T0)
    assert leaving.score == pytest.approx(BASELINE - 16 - 14.4)
    assert leaving.band == "at_risk"


def test_the_score_stays_between_0_and_100() -> None:
    customer = Customer()
    for n in range(12):
        health = customer.live("complaint.filed", complaint("high", f"c{n}"), day(0, n))
    assert health.score == 0 and health.band == "at_risk"
    assert len(health.reasons) <= 4


@pytest.mark.parametrize(
    ("score", "name"),
    [
        (0, "at_risk"),
        (39.9, "at_risk"),
        (40, "strained"),
        (60, "steady"),
        (80, "strong"),
        (100, "strong"),
    ],
)
def test_bands(score: float, name: str) -> None:
    assert band(score) == name


def test_reasons_are_the_largest_first() -> None:
    customer = Customer()
    customer.live("profile.updated", {"value_tier": "medium"}, T0)
    customer.live("complaint.filed", complaint("low"), T0)
    customer.live("payment.missed", {"amount": 30, "currency": "EUR"}, T0)
    health = customer.live("complaint.filed", complaint("high", "network"), T0)
    impacts = [abs(r.impact) for r in health.reasons]
    assert impacts == sorted(impacts, reverse=True)
    assert health.reasons[0].text == "2 complaints, the latest about network (high), today"


def test_the_trend_has_a_point_per_day_with_a_moment_and_change_30d() -> None:
    customer = Customer()
    customer.live("profile.updated", {"name": "Ana"}, day(-100))
    customer.live("complaint.filed", complaint("high"), day(-40))
    customer.live("complaint.filed", complaint("low", "network"), day(-40, 3))
    customer.live("purchase.completed", {"product": "x", "amount": 5, "currency": "EUR"}, day(-5))
    health = customer.health_at(day(0))

    assert [p.day for p in health.trend] == [
        (day(-40)).date(),
        (day(-5)).date(),
        T0.date(),
    ]
    assert health.trend[0].score == BASELINE - 21  # the end of that day: both complaints
    assert health.trend[-1].score == health.score
    assert health.change_30d == pytest.approx(health.score - (BASELINE - 21), abs=0.5)
    days = [p.day for p in health.trend]
    assert days == sorted(days) and all(d > T0.date() - timedelta(days=90) for d in days)


def test_a_young_customer_compares_with_their_first_day() -> None:
    customer = Customer()
    customer.live("complaint.filed", complaint("medium"), day(-3))
    health = customer.live("complaint.filed", complaint("medium", "network"), T0)
    assert health.change_30d == health.score - 60  # 60 at the end of their first day


def test_the_function_is_pure() -> None:
    ledger = {"cp": [-10.0, int(T0.timestamp()), 1, "billing (medium)"]}
    history = [int(T0.timestamp() // 86400) - 1, 60]
    kept = copy.deepcopy((ledger, history))
    now = datetime(2025, 3, 4, tzinfo=UTC)
    first = relationship_health(ledger, "low", T0.timestamp(), history, now)
    again = relationship_health(ledger, "low", T0.timestamp(), history, now)
    assert first == again
    assert (ledger, history) == kept
    assert first.trend[0].day == date(2025, 3, 2)


ledger_rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(FACTORS)),
        st.floats(min_value=-200, max_value=200, allow_nan=False),
        st.integers(min_value=0, max_value=400),  # days before now
        st.integers(min_value=1, max_value=50),
    ),
    max_size=len(FACTORS),
)


@settings(max_examples=200, deadline=None)
@given(
    rows=ledger_rows,
    tier=st.sampled_from([None, "low", "medium", "high", "top", "unknown"]),
    age_days=st.one_of(st.none(), st.integers(min_value=0, max_value=5000)),
    scores=st.lists(st.integers(min_value=0, max_value=100), max_size=40),
)
def test_any_ledger_gives_a_bounded_explained_score(
    rows: list[tuple[str, float, int, int]],
    tier: str | None,
    age_days: int | None,
    scores: list[int],
) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    at = now.timestamp()
    ledger = {code: [points, int(at - d * 86400), n, "x"] for code, points, d, n in rows}
    today = int(at // 86400)
    history = [v for i, s in enumerate(scores) for v in (today - 120 + 3 * i, s)]
    first = None if age_days is None else at - age_days * 86400

    health = relationship_health(ledger, tier, first, history, now)

    assert 0 <= health.score <= 100
    assert health.band == band(health.score)
    assert len(health.reasons) <= 4
    assert all(r.text and abs(r.impact) >= 0.5 for r in health.reasons)
    impacts = [abs(r.impact) for r in health.reasons]
    assert impacts == sorted(impacts, reverse=True)
    assert health.trend[-1].day == now.date() and health.trend[-1].score == health.score
    assert all(p.day > now.date() - timedelta(days=90) for p in health.trend)
    assert [p.day for p in health.trend] == sorted({p.day for p in health.trend})
