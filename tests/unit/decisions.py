"""Builders for the decisioning tests: signals, catalogue entries, and `Customer`, which
plays one customer through moments, keeping the history as actions' store would.

`Customer.moment(...)` decides the signals given with everything decided before, then
folds the decision back into the history (new recommendations, strengthened ones), so
a test can say what happens over days without a database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import services.actions
from schemas.recommendations import DeclineReason, OutcomeKind
from schemas.signals import CustomerSnapshot, Signal, SignalType
from services.actions.domain.decisioning.catalogue import Catalogue, CatalogueEntry, load_catalogue
from services.actions.domain.decisioning.contact_policy import ContactPolicy
from services.actions.domain.decisioning.context import (
    CustomerHistory,
    Moment,
    PastOutcome,
    PastRecommendation,
    Tallies,
)
from services.actions.domain.decisioning.decide import Decision, decide
from tests.unit.builders import new_customer, new_id

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC: outside quiet hours
SHIPPED = load_catalogue(Path(services.actions.__file__).parent / "catalogue.toml")
POLICY = ContactPolicy(
    max_per_customer_per_day=6, holdout_percent=0, holdout_salt="s", id_secret="unit-secret-key"
)

ISSUES = {
    SignalType.complaint: "complaint:billing",
    SignalType.cancellation_risk: "cancellation_risk:broadband",
    SignalType.failed_self_service: "failed_self_service:web:payment",
    SignalType.price_shock: "price_shock:broadband",
    SignalType.payment_difficulty: "payment_difficulty:any",
    SignalType.negative_sentiment: "negative_sentiment:any",
    SignalType.positive_moment: "positive_moment:feedback",
    SignalType.repeat_contact: "repeat_contact:billing",
    SignalType.abandoned_contact: "abandoned_contact:voice",
}


def signal(
    kind: SignalType,
    at: datetime = T0,
    customer_id: str = "",
    *,
    strength: float = 0.8,
    issue: str | None = None,
    occurrences: int = 1,
    details: dict[str, Any] | None = None,
    reasons: list[str] | None = None,
    **snapshot: Any,
) -> Signal:
    if kind is SignalType.life_event and details and "kind" in details:
        issue = issue or f"life_event:{details['kind']}"
    return Signal(
        id=new_id("sig"),
        type=kind,
        customer_id=customer_id or new_customer(),
        strength=strength,
        reasons=reasons or [f"A {kind.value.replace('_', ' ')}"],
        evidence=[],
        details=details or {},
        customer=CustomerSnapshot(**snapshot),
        occurred_at=at,
        detected_at=at,
        issue=issue or ISSUES.get(kind, kind.value),
        occurrences=occurrences,
    )


def life_event(
    kind: str,
    at: datetime = T0,
    customer_id: str = "",
    reasons: list[str] | None = None,
    **snapshot: Any,
) -> Signal:
    return signal(
        SignalType.life_event,
        at,
        customer_id,
        strength=0.9,
        details={"kind": kind},
        reasons=reasons or [f"Told us about {kind}"],
        **snapshot,
    )


def renewal(
    previous: float, quoted: float, at: datetime = T0, customer_id: str = "", **snapshot: Any
) -> Signal:
    return signal(
        SignalType.price_shock,
        at,
        customer_id,
        strength=min(1.0, (quoted - previous) / previous / 0.4),
        details={
            "product": "broadband",
            "previous_price": previous,
            "quoted_price": quoted,
            "currency": "EUR",
            "price_rise_percent": round((quoted - previous) / previous * 100, 1),
        },
        **snapshot,
    )


def entry(code: str, **fields: Any) -> CatalogueEntry:
    defaults: dict[str, Any] = {
        "title": f"Title of {code}",
        "script": f"Script of {code}",
        "triggers": [SignalType.complaint],
        "queue": "care",
        "priority": 50,
        "expires_in_minutes": 120,
    }
    return CatalogueEntry(code=code, **{**defaults, **fields})


@dataclass
class Customer:
    """One customer played through moments; `history` grows as actions' store would."""

    catalogue: Catalogue = SHIPPED
    policy: ContactPolicy = POLICY
    tallies: Tallies = field(default_factory=dict)
    id: str = field(default_factory=new_customer)
    signals: list[Signal] = field(default_factory=list)
    recommendations: list[PastRecommendation] = field(default_factory=list)
    outcomes: list[PastOutcome] = field(default_factory=list)
    seed: int = 0

    @property
    def history(self) -> CustomerHistory:
        return CustomerHistory(
            None, tuple(self.signals), tuple(self.recommendations), tuple(self.outcomes)
        )

    def moment(self, *signals: Signal) -> Decision:
        mine = [s.model_copy(update={"customer_id": self.id}) for s in signals]
        self.signals += mine
        moment = Moment.of(mine)
        decision = decide(
            moment,
            self.history,
            self.catalogue,
            self.policy,
            self.tallies,
            random.Random(self.seed),
            moment.at,
        )
        strengthened = {s.recommendation.id: s for s in decision.strengthened}
        self.recommendations = [
            PastRecommendation(
                strengthened[r.recommendation.id].recommendation,
                r.status,
                r.moment_at,
                strengthened[r.recommendation.id].open_until,
            )
            if r.recommendation.id in strengthened
            else r
            for r in self.recommendations
        ]
        self.recommendations += [
            PastRecommendation(m.recommendation, "open", m.moment_at, m.open_until)
            for m in decision.made
        ]
        return decision

    def answer(
        self, recommendation_id: str, outcome: str, reason: DeclineReason | None = None
    ) -> None:
        past = next(r for r in self.recommendations if r.recommendation.id == recommendation_id)
        self.recommendations = [
            PastRecommendation(r.recommendation, outcome, r.moment_at, r.open_until)
            if r is past
            else r
            for r in self.recommendations
        ]
        self.outcomes.append(
            PastOutcome(
                recommendation_id, past.action_code, OutcomeKind(outcome), reason, past.moment_at
            )
        )

    def open_cards(self, at: datetime) -> list[PastRecommendation]:
        return [r for r in self.recommendations if r.live_at(at)]


def codes(decision: Decision) -> list[str]:
    return sorted(m.recommendation.action.code for m in decision.made)


def verdicts(decision: Decision) -> dict[str, tuple[str, str]]:
    return {c.action_code: (c.verdict.value, c.reason) for c in decision.candidates}


def days(n: float) -> timedelta:
    return timedelta(days=n)
