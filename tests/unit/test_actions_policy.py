"""`services.actions.domain.policy`: holdout assignment and which actions a signal earns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import services.actions
from schemas.recommendations import ActionChannel, SignalRef
from schemas.signals import CustomerSnapshot, Signal, SignalType
from services.actions.domain.catalogue import CatalogueEntry, load_catalogue
from services.actions.domain.policy import ContactPolicy, decide, in_holdout
from tests.unit.builders import new_customer, new_id

NOW = datetime(2025, 3, 3, 9, 0, 5, tzinfo=UTC)
NO_HOLDOUT = ContactPolicy(
    max_per_customer_per_day=3, holdout_percent=0, holdout_salt="s", id_secret="unit-test-secret"
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


def signal(
    signal_type: SignalType = SignalType.complaint,
    strength: float = 0.8,
    customer_id: str | None = None,
    **snapshot: Any,
) -> Signal:
    return Signal(
        id=new_id("sig"),
        type=signal_type,
        customer_id=customer_id or new_customer(),
        strength=strength,
        reasons=["Filed a high-severity complaint about billing"],
        evidence=[],
        customer=CustomerSnapshot(**snapshot),
        occurred_at=NOW - timedelta(seconds=5),
        detected_at=NOW,
    )


def codes(recommendations: list) -> list[str]:
    return [r.action.code for r in recommendations]


# --- holdout -----------------------------------------------------------------------------


def test_holdout_assignment_is_stable() -> None:
    customers = [new_customer() for _ in range(200)]
    first = [in_holdout(c, 30, "spring") for c in customers]
    assert [in_holdout(c, 30, "spring") for c in customers] == first
    assert any(first) and not all(first)


@pytest.mark.parametrize("percent", [5, 10, 50])
def test_holdout_share_is_close_to_the_percent(percent: float) -> None:
    share = sum(in_holdout(f"hold-{i}", percent, "spring") for i in range(10_000)) / 100
    assert abs(share - percent) < 1.5


def test_holdout_of_zero_and_hundred_percent() -> None:
    customers = [f"edge-{i}" for i in range(1000)]
    assert not any(in_holdout(c, 0, "s") for c in customers)
    assert all(in_holdout(c, 100, "s") for c in customers)


def test_a_new_salt_draws_a_new_holdout_group() -> None:
    customers = [f"salt-{i}" for i in range(2000)]
    spring = {c for c in customers if in_holdout(c, 50, "spring")}
    autumn = {c for c in customers if in_holdout(c, 50, "autumn")}
    assert spring != autumn
    assert 0.3 < len(spring & autumn) / len(spring) < 0.7  # independent draws overlap ~half


# --- decide ------------------------------------------------------------------------------


def test_the_highest_priority_action_per_channel_wins() -> None:
    catalogue = [
        entry("care.low", priority=40),
        entry("care.high", priority=70),
        entry("email.sorry", priority=60, channel=ActionChannel.email, queue="complaints"),
        entry("email.survey", priority=20, channel=ActionChannel.email, queue="complaints"),
        entry("retention.other", priority=99, triggers=[SignalType.price_shock]),
    ]
    recommendations = decide(signal(), catalogue, NO_HOLDOUT, recent_count=0, now=NOW)
    assert codes(recommendations) == ["care.high", "email.sorry"]
    assert [r.channel for r in recommendations] == [ActionChannel.desktop, ActionChannel.email]


def test_the_recommendation_carries_action_why_queue_and_times() -> None:
    catalogue = [
        entry("complaints.own_it", queue="complaints", expires_in_minutes=480, priority=85)
    ]
    earned = signal(vulnerable=False)

    [recommendation] = decide(earned, catalogue, NO_HOLDOUT, recent_count=0, now=NOW)

    assert recommendation.customer_id == earned.customer_id
    assert recommendation.action.code == "complaints.own_it"
    assert recommendation.action.title == "Title of complaints.own_it"
    assert recommendation.action.script == "Script of complaints.own_it"
    assert recommendation.why.signals == [SignalRef(id=earned.id, type=SignalType.complaint)]
    assert recommendation.why.reasons == earned.reasons
    assert recommendation.priority == 85
    assert recommendation.queue == "complaints"
    assert recommendation.created_at == NOW
    assert recommendation.expires_at == NOW + timedelta(hours=8)
    assert recommendation.holdout is False


def test_ids_are_stable_for_the_same_signal_and_action() -> None:
    catalogue = [entry("care.a"), entry("email.b", channel=ActionChannel.email)]
    earned = signal()

    first = decide(earned, catalogue, NO_HOLDOUT, recent_count=0, now=NOW)
    later = decide(earned, catalogue, NO_HOLDOUT, recent_count=1, now=NOW + timedelta(hours=1))
    other = decide(signal(), catalogue, NO_HOLDOUT, recent_count=0, now=NOW)

    assert [r.id for r in later] == [r.id for r in first]
    assert len({r.id for r in first}) == 2
    assert not {r.id for r in other} & {r.id for r in first}


def test_weak_signals_do_not_earn_actions_that_need_strength() -> None:
    catalogue = [entry("care.strong_only", min_strength=0.7)]
    assert decide(signal(strength=0.69), catalogue, NO_HOLDOUT, 0, NOW) == []
    assert codes(decide(signal(strength=0.7), catalogue, NO_HOLDOUT, 0, NOW)) == [
        "care.strong_only"
    ]


def test_withdrawn_service_contact_consent_means_no_desktop_action() -> None:
    catalogue = [entry("care.call"), entry("email.notice", channel=ActionChannel.email)]
    withdrawn = signal(consent_service_contact=False)
    assert decide(withdrawn, catalogue, NO_HOLDOUT, 0, NOW) == []


def test_actions_needing_no_consent_still_go_out_when_it_is_withdrawn() -> None:
    catalogue = [entry("care.call"), entry("care.legal_notice", requires_consent=None, priority=10)]
    withdrawn = signal(consent_service_contact=False)
    assert codes(decide(withdrawn, catalogue, NO_HOLDOUT, 0, NOW)) == ["care.legal_notice"]


def test_marketing_actions_need_marketing_consent() -> None:
    catalogue = [
        entry("sales.upgrade", requires_consent="marketing", priority=90),
        entry("care.thanks", priority=30),
    ]
    assert codes(decide(signal(), catalogue, NO_HOLDOUT, 0, NOW)) == ["care.thanks"]
    assert codes(decide(signal(consent_marketing=True), catalogue, NO_HOLDOUT, 0, NOW)) == [
        "sales.upgrade"
    ]


def test_vulnerable_customers_skip_some_actions_and_get_others() -> None:
    catalogue = [
        entry("sms.pay_now", channel=ActionChannel.sms, skip_if_vulnerable=True),
        entry("care.extra_care", only_if_vulnerable=True, priority=90),
        entry("care.standard", priority=40),
    ]

    vulnerable = decide(signal(vulnerable=True), catalogue, NO_HOLDOUT, 0, NOW)
    other = decide(signal(vulnerable=False), catalogue, NO_HOLDOUT, 0, NOW)

    assert codes(vulnerable) == ["care.extra_care"]
    assert vulnerable[0].why.reasons[-1] == "The customer is flagged as needing extra care"
    assert sorted(codes(other)) == ["care.standard", "sms.pay_now"]


def test_contact_limit_spent_means_nothing_more_today() -> None:
    catalogue = [entry("care.a"), entry("email.b", channel=ActionChannel.email)]
    policy = ContactPolicy(
        max_per_customer_per_day=2,
        holdout_percent=0,
        holdout_salt="s",
        id_secret="unit-test-secret",
    )
    assert decide(signal(), catalogue, policy, recent_count=2, now=NOW) == []
    assert decide(signal(), catalogue, policy, recent_count=5, now=NOW) == []


def test_what_is_left_of_the_contact_limit_goes_to_the_highest_priority() -> None:
    catalogue = [
        entry("email.b", channel=ActionChannel.email, priority=60),
        entry("care.a", priority=80),
        entry("sms.c", channel=ActionChannel.sms, priority=70),
    ]
    policy = ContactPolicy(
        max_per_customer_per_day=3,
        holdout_percent=0,
        holdout_salt="s",
        id_secret="unit-test-secret",
    )
    assert codes(decide(signal(), catalogue, policy, recent_count=1, now=NOW)) == [
        "care.a",
        "sms.c",
    ]


def test_the_live_agent_gets_desktop_recommendations_only() -> None:
    catalogue = [entry("care.a"), entry("email.b", channel=ActionChannel.email)]
    on_a_call = signal(live_agent_id="agent-0042", live_queue="care", live_channel="voice")

    by_channel = {r.channel: r for r in decide(on_a_call, catalogue, NO_HOLDOUT, 0, NOW)}

    assert by_channel[ActionChannel.desktop].agent_id == "agent-0042"
    assert by_channel[ActionChannel.email].agent_id is None


def test_no_live_agent_means_no_agent_id() -> None:
    [recommendation] = decide(signal(), [entry("care.a")], NO_HOLDOUT, 0, NOW)
    assert recommendation.agent_id is None


def test_holdout_customers_get_the_decision_marked_holdout() -> None:
    catalogue = [entry("care.a")]
    everyone = ContactPolicy(
        max_per_customer_per_day=3,
        holdout_percent=100,
        holdout_salt="s",
        id_secret="unit-test-secret",
    )
    [held] = decide(signal(), catalogue, everyone, 0, NOW)
    [shown] = decide(signal(), catalogue, NO_HOLDOUT, 0, NOW)
    assert held.holdout is True
    assert shown.holdout is False


def test_holdout_flag_follows_in_holdout_for_the_customer() -> None:
    policy = ContactPolicy(
        max_per_customer_per_day=3,
        holdout_percent=50,
        holdout_salt="trial",
        id_secret="unit-test-secret",
    )
    for i in range(20):
        customer = f"flag-{i}"
        [recommendation] = decide(signal(customer_id=customer), [entry("care.a")], policy, 0, NOW)
        assert recommendation.holdout is in_holdout(customer, 50, "trial")


def test_shipped_catalogue_answers_a_price_shock_on_desktop_and_email() -> None:
    catalogue = load_catalogue(Path(services.actions.__file__).parent / "catalogue.toml")
    shock = signal(SignalType.price_shock, strength=0.5)

    recommendations = decide(shock, catalogue, NO_HOLDOUT, 0, NOW)

    assert [(r.channel, r.queue) for r in recommendations] == [
        (ActionChannel.desktop, "retention"),
        (ActionChannel.email, "retention"),
    ]
    assert recommendations[0].priority > recommendations[1].priority


def test_recommendation_ids_are_keyed_with_the_secret() -> None:
    catalogue, found = [entry("care.a")], signal()
    [one] = decide(found, catalogue, NO_HOLDOUT, 0, NOW)
    [again] = decide(found, catalogue, NO_HOLDOUT, 0, NOW)
    other_key = ContactPolicy(3, 0, "s", id_secret="another-secret-entirely")
    [other] = decide(found, catalogue, other_key, 0, NOW)
    assert one.id == again.id  # stable: the same signal and action, the same id
    assert one.id != other.id  # but not computable without the secret
    assert one.id.startswith("rec_") and len(one.id) == 4 + 24
