"""`moments evaluate`: policies compared on the seeded simulator with the real code.

Reproducible for a seed; the variants are configuration of the shipped policy, not
forks; the breach counters are independent of the decision code, so a breach planted
in the configuration, the catalogue or the code itself is counted; and the in-memory
store reads a history the way PostgreSQL does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict, fields, replace
from datetime import timedelta

import pytest

import services.actions.domain.decisioning.decide as decide_module
from moments.cli import main as moments_main
from moments.simulate.compare import compare
from moments.simulate.compare.audit import Audit, Rules
from moments.simulate.compare.player import PolicyResult, play
from moments.simulate.compare.policies import Policy, policies, shipped_policy
from moments.simulate.compare.store import MemoryStore
from schemas.recommendations import Outcome, OutcomeKind
from schemas.signals import SignalType
from services.actions.domain.decisioning.catalogue import Catalogue, load_catalogue
from services.actions.domain.decisioning.contact_policy import ChannelCap
from services.actions.ports import Learned, Lesson
from services.actions.settings import DEFAULT_CATALOGUE
from tests.unit.builders import new_customer
from tests.unit.decisions import T0, Customer, signal

DAY = 86400.0


def vader() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: float(analyzer.polarity_scores(text)["compound"])


def played(
    policy: Policy, catalogue: Catalogue | None = None, customers: int = 150
) -> PolicyResult:
    shipped = catalogue or load_catalogue(DEFAULT_CATALOGUE)
    return asyncio.run(play(policy, shipped, 5, customers, 30, vader()))


def test_the_same_seed_gives_the_same_figures_and_the_command_prints_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = compare(seed=2, customers=80, days=30)
    assert first == compare(seed=2, customers=80, days=30)
    by_name = {r.policy: r for r in first.results}
    assert list(by_name) == ["do nothing", "default", "always offer"]
    nothing, default, always = by_name.values()
    assert nothing.contacts == 0 and nothing.decisions > 100  # decided, never shown
    assert default.contacts > 50 and always.contacts > default.contacts
    assert default.accepted + default.declined == default.contacts
    for result in first.results:
        assert result.customers == 80 and result.events > 400
        assert (result.consent_breaches, result.cap_breaches, result.vulnerable_not_human) == (
            0,
            0,
            0,
        )
        assert 0 < result.health <= 100
    assert compare(seed=3, customers=80, days=30) != first

    argv = ["evaluate", "--seed", "2", "--customers", "80", "--days", "30", "--quiet"]
    assert moments_main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(asdict(first)))
    assert moments_main(argv) == 0
    printed = capsys.readouterr().out
    assert "always offer" in printed and f"{default.contacts_per_retained:.2f}" in printed


def test_the_variants_are_the_shipped_policy_with_named_settings_changed() -> None:
    shipped = shipped_policy()
    assert shipped.holdout_percent == 0 and shipped.one_open_per_issue
    assert shipped.weight_customer == 0.6 and shipped.suppress_after_declines == 2

    def changed(policy: Policy) -> set[str]:
        return {
            f.name
            for f in fields(shipped)
            if getattr(policy.contact, f.name) != getattr(shipped, f.name)
        }

    nothing, default, always = policies()
    assert changed(nothing) == {"holdout_percent"} and nothing.contact.holdout_percent == 100
    assert changed(default) == set() and default.learns
    assert changed(always) == {
        "weight_customer",
        "exploration",
        "suppress_after_declines",
        "one_open_per_issue",
    }
    assert always.contact.weight_customer == 0 and not always.learns


def test_the_audit_counts_each_kind_of_breach_from_what_was_sent() -> None:
    audit = Audit(Rules.shipped())
    audit.told("c-1", "profile.updated", {"consents": {"marketing": False}})
    assert audit.sent("c-1", "sales.loyalty_upgrade", "email", 0.0) == [
        "consent: marketing not given"
    ]
    audit.told("c-1", "profile.updated", {"consents": {"marketing": True}})
    assert audit.sent("c-1", "sales.loyalty_upgrade", "email", 8 * DAY) == []
    audit.told("c-2", "profile.updated", {"consents": {"service_contact": False}})
    assert audit.sent("c-2", "care.thank_you", "desktop", 0.0) == [
        "consent: service contact withdrawn"
    ]
    audit.told("c-3", "profile.updated", {"vulnerable": True})
    assert audit.sent("c-3", "collections.breathing_space", "desktop", 0.0) == []
    assert audit.sent("c-3", "sms.payment_help", "sms", 60.0) == [
        "care: vulnerable customer reached by sms"
    ]
    audit.told("c-3", "profile.updated", {"consents": {"marketing": True}})
    found = audit.sent("c-3", "sales.loyalty_upgrade", "email", 120.0)
    assert "care: a sale to a vulnerable customer" in found
    # caps: a second SMS in 24 hours (shipped: 1 a day), the third in a week is fine
    # per day but not per week (2 a week)
    assert audit.sent("c-4", "sms.payment_help", "sms", 0.0) == []
    assert audit.sent("c-4", "sms.payment_help", "sms", 3600.0) == [
        "caps: more than 1 sms in 24 hours"
    ]
    assert audit.sent("c-4", "sms.payment_help", "sms", 3 * DAY) == [
        "caps: more than 2 sms in 7 days"
    ]
    assert audit.sent("c-4", "sms.payment_help", "sms", 20 * DAY) == []  # windows passed
    # across channels: the shipped 4 desktop and 6 in all in 24 hours
    desktop = [audit.sent("c-5", f"care.code_{n}", "desktop", n * 60.0) for n in range(6)]
    assert desktop[:4] == [[]] * 4
    assert desktop[4:] == [["caps: more than 4 desktop in 24 hours"]] * 2
    assert audit.sent("c-5", "care.other", "email", 600.0) == [
        "caps: 7 recommendations in 24 hours"
    ]
    breaches = audit.breaches
    assert breaches.consent == 2
    assert breaches.vulnerable_not_human == 2 and breaches.vulnerable_reached == {"c-3"}
    assert breaches.sales_to_vulnerable == 1
    assert breaches.caps == 5  # c-4 twice; c-5's fifth and sixth desktop (4 a day), the seventh


def test_a_breach_planted_in_the_configuration_or_the_code_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = policies()[1]
    loose = replace(
        default.contact,
        max_per_customer_per_day=50,
        channel_caps={c: ChannelCap(50, 50) for c in ("desktop", "email", "sms", "push")},
        action_max_per_day=50,
        action_max_per_week=50,
        one_open_per_issue=False,
    )
    assert played(replace(default, contact=loose)).cap_breaches > 0

    shipped = load_catalogue(DEFAULT_CATALOGUE)
    sales = shipped.entry("sales.loyalty_upgrade")
    assert sales is not None
    careless = replace(
        shipped,
        entries=tuple(
            e.model_copy(update={"requires_consent": None}) if e is sales else e
            for e in shipped.entries
        ),
    )
    assert played(default, careless).consent_breaches > 0

    monkeypatch.setattr(decide_module, "vulnerability_refusal", lambda entry, profile: None)
    assert played(default).vulnerable_not_human > 0


def test_the_memory_store_reads_a_history_the_way_postgresql_does() -> None:
    """As adapters/deciding.py: signals since the look-back; recommendations of the
    look-back and older ones still answering an issue; outcomes of the look-back's
    recommendations, at their moment; and each recommendation teaches once."""
    store, customer = MemoryStore(), new_customer()
    old, lasting, new = (
        signal(SignalType.complaint, T0 + timedelta(days=d), customer, issue=f"complaint:{i}")
        for d, i in ((0, "billing"), (1, "network"), (100, "service"))
    )
    assert asyncio.run(store.record_signals([old, lasting, new, old])) == [old, lasting, new]
    assert asyncio.run(store.record_signals([old])) == []  # each signal once
    playing = Customer(id=customer)
    made = []
    for one in (old, lasting, new):
        decision = playing.moment(one)
        asyncio.run(store.save([decision], one.occurred_at))
        made.append(decision.made[0])
    store.rows[made[1].recommendation.id].open_until = T0 + timedelta(days=200)  # still open
    for number, rec in enumerate(m.recommendation for m in made):
        outcome = Outcome(
            id=f"out-{number}",
            recommendation_id=rec.id,
            customer_id=customer,
            action_code=rec.action.code,
            outcome=OutcomeKind.declined,
            recorded_at=T0,
        )
        assert asyncio.run(store.record_outcome(outcome))
        assert not asyncio.run(store.record_outcome(outcome))
    since = T0 + timedelta(days=50)
    [(key, history)] = asyncio.run(store.histories([customer, customer], since)).items()
    assert key == customer and history.record is None
    assert [s.id for s in history.signals] == [new.id]
    assert [r.recommendation.id for r in history.recommendations] == [
        made[1].recommendation.id,  # older, but still open: it answers its issue
        made[2].recommendation.id,
    ]
    assert [r.status for r in history.recommendations] == ["declined", "declined"]
    assert [(o.recommendation_id, o.at) for o in history.outcomes] == [
        (made[2].recommendation.id, new.occurred_at)  # an old recommendation's is not read
    ]
    lesson = Lesson(asyncio.run(store.unpublished_outcomes())[2], 0)
    assert asyncio.run(store.learn([lesson, lesson])) == Learned(1, 1, ())
    assert asyncio.run(store.tallies())[(made[2].recommendation.action.code, "all")].failures == 1


def test_the_memory_store_wakes_a_snoozed_recommendation_once_at_its_time() -> None:
    """As adapters/deciding.py: back to open, in the outbox again, with no position."""
    store, customer = MemoryStore(), new_customer()
    moment = signal(SignalType.complaint, T0, customer)
    decision = Customer(id=customer).moment(moment)
    [shown] = asyncio.run(store.save([decision], T0))
    rec = shown.recommendation
    asyncio.run(store.mark_published([rec.id]))
    asyncio.run(store.assign_desktop_positions([rec.id]))
    until = T0 + timedelta(hours=1)
    snoozed = Outcome(
        id="out-snooze",
        recommendation_id=rec.id,
        customer_id=customer,
        action_code=rec.action.code,
        outcome=OutcomeKind.snoozed,
        recorded_at=T0,
        snooze_until=until,
    )
    assert asyncio.run(store.record_outcome(snoozed))
    assert asyncio.run(store.unpublished()) == []
    assert asyncio.run(store.wake_snoozed(until - timedelta(seconds=1))) == []
    assert asyncio.run(store.wake_snoozed(until)) == [rec.id]
    [again] = asyncio.run(store.unpublished())
    assert (again.status, again.recommendation.id, again.position) == ("open", rec.id, None)
    assert asyncio.run(store.wake_snoozed(until)) == []
