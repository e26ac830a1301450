"""Arbitration and learning: the score, the winners per channel, Thompson sampling."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.decisions import ScoreParts
from schemas.recommendations import ActionChannel, DeclineReason, OutcomeKind
from schemas.signals import CustomerSnapshot, SignalType
from services.actions.domain.decisioning import arbitration, learning
from services.actions.domain.decisioning.catalogue import Catalogue
from services.actions.domain.decisioning.context import Tally
from tests.unit.decisions import POLICY, T0, Customer, codes, entry, life_event, signal, verdicts

MEANS = replace(POLICY, exploration=0.0)  # propensity = the posterior mean: no exploring


def test_the_readme_worked_example() -> None:
    """A divorce reported 12 days ago, then a cancellation request (strength 0.9): the
    shipped `retention.life_changed`, with no outcomes learned yet."""
    customer = Customer(policy=MEANS)
    customer.moment(life_event("divorce", T0))
    decision = customer.moment(
        signal(SignalType.cancellation_risk, T0.replace(day=15), strength=0.9)
    )
    [won] = [c for c in decision.candidates if c.verdict.value == "won"]
    assert won.action_code == "retention.life_changed"
    assert won.parts is not None
    assert won.parts.model_dump() == pytest.approx(
        ScoreParts(propensity=0.55, relevance=0.9, value=0.86, lever=0.95).model_dump()
    )
    assert won.score == pytest.approx(0.55 * 0.9 * (0.6 * 0.9 + 0.4 * 0.8) * 0.95)
    assert won.score == pytest.approx(0.404415)
    assert won.reason == (
        "Won on desktop with 0.404 = propensity 0.55 x relevance 0.90 x value 0.86 x lever 0.95"
    )


def test_relevance_unites_the_strongest_signal_of_each_issue_it_answers() -> None:
    one = signal(SignalType.complaint, strength=0.6)
    again = signal(SignalType.complaint, strength=0.9)  # the same issue, stronger
    other = signal(SignalType.complaint, strength=0.5, issue="complaint:network")
    assert arbitration.relevance([one]) == pytest.approx(0.6)
    assert arbitration.relevance([one, again]) == pytest.approx(0.9)
    assert arbitration.relevance([one, again, other]) == pytest.approx(1 - 0.1 * 0.5)


@pytest.mark.parametrize(("weight", "expected"), [(0.6, 0.6 * 0.9 + 0.4 * 0.2), (1.0, 0.9)])
def test_value_weighs_the_customer_and_the_business(weight: float, expected: float) -> None:
    action = entry("care.a", value_to_customer=0.9, value_to_business=0.2)
    assert arbitration.value(action, weight) == pytest.approx(expected)


def test_what_the_customer_gains_can_outweigh_what_the_business_gains() -> None:
    generous = entry("care.refund", value_to_customer=0.9, value_to_business=0.3)
    greedy = entry("care.upsell", value_to_customer=0.1, value_to_business=0.9)
    catalogue = Catalogue.of([generous, greedy])
    decision = Customer(catalogue=catalogue, policy=MEANS).moment(signal(SignalType.complaint))
    assert codes(decision) == ["care.refund"]
    business_first = replace(MEANS, weight_customer=0.2)
    decision = Customer(catalogue=catalogue, policy=business_first).moment(
        signal(SignalType.complaint)
    )
    assert codes(decision) == ["care.upsell"]


def test_one_winner_per_channel_per_issue_and_losers_say_to_whom() -> None:
    catalogue = Catalogue.of(
        [
            entry("care.best", priority=90),
            entry("care.second", priority=60),
            entry("email.note", channel=ActionChannel.email, priority=40),
        ]
    )
    decision = Customer(catalogue=catalogue, policy=MEANS).moment(signal(SignalType.complaint))
    assert codes(decision) == ["care.best", "email.note"]
    verdict, reason = verdicts(decision)["care.second"]
    assert verdict == "lost"
    assert reason.startswith("Lost on desktop to care.best (")
    assert reason.endswith("which answers complaint:billing")
    assert "beat care.second" in verdicts(decision)["care.best"][1]
    ranked = [c.score for c in decision.candidates if c.score is not None]
    assert ranked == sorted(ranked, reverse=True)


def test_an_action_answering_two_issues_is_one_card_for_both() -> None:
    both = entry("care.both", triggers=[SignalType.complaint, SignalType.negative_sentiment])
    single = entry("care.single", triggers=[SignalType.negative_sentiment], priority=40)
    catalogue = Catalogue.of([both, single])
    decision = Customer(catalogue=catalogue, policy=MEANS).moment(
        signal(SignalType.complaint), signal(SignalType.negative_sentiment)
    )
    [made] = decision.made
    assert made.recommendation.action.code == "care.both"
    assert made.recommendation.issues == ["complaint:billing", "negative_sentiment:any"]
    assert verdicts(decision)["care.single"][0] == "lost"


def test_different_issues_each_get_their_best_action() -> None:
    catalogue = Catalogue.of(
        [entry("care.complaint"), entry("care.leaving", triggers=[SignalType.cancellation_risk])]
    )
    decision = Customer(catalogue=catalogue, policy=MEANS).moment(
        signal(SignalType.complaint), signal(SignalType.cancellation_risk)
    )
    assert codes(decision) == ["care.complaint", "care.leaving"]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 100), st.floats(0.05, 0.95), st.floats(0, 1), st.floats(0, 1)),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.sampled_from(["complaint:a", "complaint:b", "complaint:c"]), min_size=1),
    st.integers(0, 1000),
)
def test_every_issue_gets_at_most_one_winner_per_channel_and_scores_are_products(
    actions: list[tuple[int, float, float, float]], issues: list[str], seed: int
) -> None:
    catalogue = Catalogue.of(
        [
            entry(
                f"care.a{n}",
                priority=priority,
                propensity=prior,
                value_to_customer=vc,
                value_to_business=vb,
                channel=[ActionChannel.desktop, ActionChannel.email][n % 2],
            )
            for n, (priority, prior, vc, vb) in enumerate(actions)
        ]
    )
    decision = Customer(catalogue=catalogue, seed=seed).moment(
        *(signal(SignalType.complaint, issue=i) for i in issues)
    )
    answered = [
        (m.recommendation.channel, i) for m in decision.made for i in m.recommendation.issues
    ]
    assert len(answered) == len(set(answered))
    assert {i for _, i in answered} <= set(issues)
    for candidate in decision.candidates:
        if candidate.parts is not None:
            parts = candidate.parts
            assert candidate.score == pytest.approx(
                parts.propensity * parts.relevance * parts.value * parts.lever, abs=1e-6
            )
            assert 0 <= candidate.score <= 1


# --- learning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "reason", "expected"),
    [
        (OutcomeKind.accepted, None, 1),
        (OutcomeKind.completed, None, 1),
        (OutcomeKind.declined, DeclineReason.customer_not_interested, 0),
        (OutcomeKind.declined, None, 0),
        (OutcomeKind.declined, DeclineReason.not_now, None),
        (OutcomeKind.declined, DeclineReason.already_done, None),
        (OutcomeKind.snoozed, None, None),
    ],
)
def test_what_each_outcome_teaches(
    outcome: OutcomeKind, reason: DeclineReason | None, expected: int | None
) -> None:
    assert learning.reward(outcome, reason) == expected


def test_the_posterior_starts_at_the_prior_and_moves_from_the_first_outcome() -> None:
    prior = learning.posterior("care.a", 0.3, 10, None, {})
    assert prior.mean == pytest.approx(0.3) and prior.outcomes == pytest.approx(10)
    one_yes = learning.posterior("care.a", 0.3, 10, None, {("care.a", "all"): Tally(1, 0)})
    assert one_yes.mean == pytest.approx(4 / 11)


def test_a_segment_starts_from_everyone_and_needs_profiling_consent() -> None:
    tallies = {("care.a", "all"): Tally(40, 10), ("care.a", "tier:top"): Tally(0, 20)}
    everyone = learning.posterior("care.a", 0.3, 10, None, tallies)
    top = learning.posterior("care.a", 0.3, 10, "tier:top", tallies)
    assert everyone.mean == pytest.approx(43 / 60)
    assert top.mean == pytest.approx(everyone.mean * 10 / 30)
    consenting = CustomerSnapshot(value_tier="top", consent_profiling=True)
    assert learning.segment_of(consenting) == "tier:top"
    assert learning.segment_of(consenting.model_copy(update={"consent_profiling": False})) is None


def test_without_profiling_consent_the_segment_does_not_change_the_score() -> None:
    tallies = {("care.a", "tier:top"): Tally(0, 500)}  # that segment hates it
    catalogue = Catalogue.of([entry("care.a")])
    profile = {"value_tier": "top"}
    plain = Customer(catalogue=catalogue, policy=MEANS, tallies=tallies).moment(
        signal(SignalType.complaint, **profile)
    )
    profiled = Customer(catalogue=catalogue, policy=MEANS, tallies=tallies).moment(
        signal(SignalType.complaint, consent_profiling=True, **profile)
    )
    plain_parts, profiled_parts = plain.candidates[0].parts, profiled.candidates[0].parts
    assert plain_parts is not None and profiled_parts is not None
    assert plain_parts.propensity == pytest.approx(0.3)
    assert profiled_parts.propensity < 0.05


@given(
    st.floats(0.5, 500),
    st.floats(0.5, 500),
    st.floats(0, 1),
    st.integers(0, 2**32 - 1),
)
def test_a_thompson_draw_never_strays_further_than_the_exploration_bound(
    alpha: float, beta: float, bound: float, seed: int
) -> None:
    belief = learning.Posterior(alpha, beta)
    draw = learning.thompson(belief, random.Random(seed), bound)
    assert 0 <= draw <= 1
    assert abs(draw - belief.mean) <= bound + 1e-9


def test_draws_are_seeded_and_explore_around_the_mean() -> None:
    belief = learning.Posterior(3, 7)
    first = [learning.thompson(belief, random.Random(7), 0.2) for _ in range(3)]
    assert len(set(first)) == 1  # the same seed, the same draw
    spread = [learning.thompson(belief, random.Random(n), 0.2) for n in range(400)]
    assert min(spread) < 0.25 < 0.35 < max(spread)
    assert {learning.thompson(belief, random.Random(n), 0.0) for n in range(20)} == {0.3}


def test_learning_changes_which_action_wins() -> None:
    first = entry("care.first", priority=60, propensity=0.5)
    second = entry("care.second", priority=50, propensity=0.5)
    catalogue = Catalogue.of([first, second])
    assert codes(
        Customer(catalogue=catalogue, policy=MEANS).moment(signal(SignalType.complaint))
    ) == ["care.first"]
    taught = {("care.first", "all"): Tally(2, 30), ("care.second", "all"): Tally(25, 3)}
    decision = Customer(catalogue=catalogue, policy=MEANS, tallies=taught).moment(
        signal(SignalType.complaint)
    )
    assert codes(decision) == ["care.second"]
