"""The six behaviours issue 8 found, each fixed, with the shipped catalogue.

1. The same complaint six times in a few minutes gives one card, not six.
2. A divorce gets separation support, not "bereavement support and pause collections".
3. A life event then a cancellation gives a cancellation card that carries the life event.
4. A failed online journey followed by a call gives one "finish the journey" card.
5. Calls that keep ending unresolved make a repeat-contact signal, and a card for it.
6. Outcomes are read: declines teach the posterior, and suppress the action.
"""

from __future__ import annotations

from datetime import timedelta

from schemas.events import parse_event
from schemas.signals import SignalType
from services.actions.domain.decisioning import learning
from services.actions.domain.decisioning.context import Tally
from services.signals.handlers import SignalsHandler
from tests.unit.builders import attributes
from tests.unit.decisions import T0, Customer, codes, days, life_event, signal, verdicts


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_six_identical_complaints_in_minutes_give_one_card_strengthened_each_time() -> None:
    customer = Customer()
    first = customer.moment(signal(SignalType.complaint, T0))
    assert codes(first) == ["complaints.own_it"]
    card = first.made[0].recommendation
    for n in range(2, 7):
        repeat = customer.moment(signal(SignalType.complaint, T0 + minutes(n), occurrences=n))
        assert repeat.made == ()
        [update] = repeat.strengthened
        assert update.recommendation.id == card.id  # the same card, not another one
        assert update.recommendation.occurrences == n
        assert update.republish  # the desktop shows the update of the same card
    assert len(customer.open_cards(T0 + minutes(7))) == 1
    assert len(customer.recommendations[0].recommendation.why.signals) == 6


def test_six_identical_complaints_in_one_poll_give_one_card_for_all_of_them() -> None:
    complaints = [
        signal(SignalType.complaint, T0 + minutes(n), occurrences=n + 1) for n in range(6)
    ]
    decision = Customer().moment(*complaints)
    [made] = decision.made
    assert made.recommendation.action.code == "complaints.own_it"
    assert made.recommendation.occurrences == 6
    assert len(made.recommendation.why.signals) == 6


def test_a_divorce_gets_separation_support_not_bereavement_support() -> None:
    decision = Customer().moment(life_event("divorce"))
    assert codes(decision) == ["care.separation_support"]
    assert verdicts(decision)["care.bereavement_support"][0] == "ineligible"
    for kind, code in [
        ("bereavement", "care.bereavement_support"),
        ("relocation", "care.moving_home"),
        ("new_child", "care.new_child"),
        ("job_loss", "collections.job_loss_breathing_space"),
        ("illness", "care.illness_support"),
        ("retirement", "care.retirement_review"),
        ("marriage", "care.marriage_update"),
    ]:
        assert codes(Customer().moment(life_event(kind))) == [code], kind


def test_a_cancellation_after_a_life_event_carries_it_into_the_conversation() -> None:
    customer = Customer()
    customer.moment(life_event("divorce", T0, reasons=["Told us about a divorce"]))
    cancel = customer.moment(signal(SignalType.cancellation_risk, T0 + days(12), strength=0.9))
    [made] = cancel.made
    rec = made.recommendation
    assert rec.action.code == "retention.life_changed"
    assert "Earlier: Told us about a divorce (12 days ago)" in rec.why.reasons
    assert rec.action.guide is not None
    leaves = {s.follow_on for s in rec.action.guide.steps if s.follow_on}
    assert leaves == {"care.life_events_team"}  # it has a team for it
    assert verdicts(cancel)["retention.ask_what_changed"][0] == "ineligible"


def test_without_a_life_event_the_rep_asks_what_changed() -> None:
    decision = Customer().moment(signal(SignalType.cancellation_risk, strength=0.9))
    assert codes(decision) == ["retention.ask_what_changed"]


def test_a_life_event_and_a_cancellation_together_make_one_conversation() -> None:
    customer = Customer()
    decision = customer.moment(
        life_event("bereavement", T0), signal(SignalType.cancellation_risk, T0 + minutes(1))
    )
    assert codes(decision) == ["retention.life_changed"]  # it answers both issues
    assert verdicts(decision)["care.bereavement_support"][0] == "lost"


def test_a_failed_journey_followed_by_a_call_gives_one_finish_the_journey_card() -> None:
    customer = Customer()
    failed = customer.moment(signal(SignalType.failed_self_service, T0, strength=0.5))
    assert codes(failed) == ["digital.finish_for_them"]
    call = customer.moment(signal(SignalType.failed_self_service, T0 + minutes(4), strength=0.8))
    assert call.made == ()
    assert [s.recommendation.id for s in call.strengthened] == [failed.made[0].recommendation.id]


def test_calls_that_keep_ending_unresolved_make_a_repeat_contact_and_a_named_owner() -> None:
    handler = SignalsHandler(lambda text: 0.0)
    state, found = None, []
    for n, outcome in enumerate(["unresolved", "transferred"]):
        for kind, data in [
            ("contact.started", {"channel": "voice", "reason": "billing"}),
            ("contact.ended", {"channel": "voice", "outcome": outcome, "reason": "billing"}),
        ]:
            event = parse_event(
                attributes(kind, data, subject="cust-calls", time=T0 + timedelta(hours=n))
            )
            state, signals, _ = handler.handle(state, event, T0)
            found += signals
    [repeat] = [s for s in found if s.type is SignalType.repeat_contact]
    assert repeat.details["unresolved_7d"] == 2
    decision = Customer().moment(repeat)
    assert codes(decision) == ["care.named_owner"]


def test_declines_teach_the_posterior_and_two_of_them_suppress_the_action() -> None:
    customer = Customer()
    first = customer.moment(signal(SignalType.negative_sentiment, T0))
    [card] = first.made
    customer.answer(card.recommendation.id, "declined")
    second = customer.moment(signal(SignalType.negative_sentiment, T0 + days(8)))
    customer.answer(second.made[0].recommendation.id, "declined")
    third = customer.moment(signal(SignalType.negative_sentiment, T0 + days(16)))
    assert third.made == ()
    verdict, reason = verdicts(third)["care.listen_and_reassure"]
    assert verdict == "ineligible" and reason.startswith("Declined 2 times in the last 30 days")
    # And every decline counts in what is learned: the mean falls from the first one.
    entry = customer.catalogue.entry("care.listen_and_reassure")
    assert entry is not None
    before = learning.posterior(entry.code, entry.propensity, entry.prior_weight, None, {})
    after_one = learning.posterior(
        entry.code, entry.propensity, entry.prior_weight, None, {(entry.code, "all"): Tally(0, 1)}
    )
    after_hundred = learning.posterior(
        entry.code, entry.propensity, entry.prior_weight, None, {(entry.code, "all"): Tally(0, 100)}
    )
    assert before.mean > after_one.mean > after_hundred.mean
    assert after_hundred.mean < 0.05
