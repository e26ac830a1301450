"""`services.actions.domain.cockpit`: who may see a customer, what is live, what comes
first, and how the timeline reads."""

from __future__ import annotations

from datetime import timedelta

from schemas.customers import Moment
from services.actions.domain.cockpit import (
    best_first,
    customer_view,
    may_see_customer,
    still_live,
    timeline,
)
from tests.unit.builders import new_customer
from tests.unit.cockpit_builders import CARE, NOW, RETENTION, outcome, record, signal, stored


def test_a_customer_on_a_call_with_the_agent_or_in_its_queue_is_visible() -> None:
    on_call = record(agent_id=CARE.id, queue="billing")
    assert may_see_customer(CARE, on_call, [], NOW)
    assert may_see_customer(RETENTION, record(agent_id=None, queue="retention"), [], NOW)
    assert not may_see_customer(RETENTION, on_call, [], NOW)


def test_a_customer_with_a_recommendation_for_the_agent_is_visible_and_no_one_else() -> None:
    customer = new_customer()
    theirs = [stored(customer, queue="retention")]
    assert may_see_customer(RETENTION, None, theirs, NOW)
    assert not may_see_customer(CARE, None, theirs, NOW)
    assert not may_see_customer(RETENTION, None, [stored(customer, holdout=True)], NOW)
    assert not may_see_customer(RETENTION, None, [], NOW)  # unknown: the same answer


def test_a_call_never_told_to_have_ended_stops_being_live_after_four_hours() -> None:
    fresh = record(agent_id=CARE.id, started=NOW - timedelta(hours=3, minutes=59))
    stale = record(agent_id=CARE.id, started=NOW - timedelta(hours=4))
    assert still_live(fresh, NOW) and not still_live(stale, NOW)
    assert not may_see_customer(CARE, stale, [], NOW)


def test_the_best_comes_first_by_priority_then_the_newest() -> None:
    customer = new_customer()
    low = stored(customer, priority=40, created=NOW - timedelta(minutes=1))
    high_old = stored(customer, priority=90, created=NOW - timedelta(hours=2))
    high_new = stored(customer, priority=90, created=NOW - timedelta(minutes=5))
    assert best_first([low, high_old, high_new]) == [high_new, high_old, low]


def test_the_timeline_is_newest_first_with_signals_above_their_moment_and_outcomes() -> None:
    customer = new_customer()
    at = NOW - timedelta(hours=1)
    moment = Moment(kind="cancellation.requested", at=at, summary="Asked to cancel broadband")
    rec = stored(customer, title="Ask what changed")
    entries = timeline(
        record(customer, moments=[moment]),
        [signal(customer, at)],
        [outcome(rec, NOW)],
        {rec.recommendation.id: "Ask what changed"},
    )
    assert [(e.kind.value, e.summary) for e in entries] == [
        ("outcome", "Declined “Ask what changed”: customer not interested"),
        ("signal", "Asked to cancel broadband on ivr"),
        ("moment", "Asked to cancel broadband"),
    ]
    assert entries[0].path[0].answer == "Price"
    assert entries[1].evidence[0].type == "cancellation.requested"


def test_the_view_shows_only_what_the_agent_may_see_and_open_ones_best_first() -> None:
    customer = new_customer()
    mine_low = stored(customer, queue="retention", priority=40)
    mine_high = stored(customer, queue="retention", priority=80)
    answered = stored(customer, queue="retention", priority=99, status="declined")
    expired = stored(customer, queue="retention", priority=99, expires=NOW - timedelta(1))
    others = stored(customer, queue="care", priority=95)
    recs = [mine_low, mine_high, answered, expired, others]
    view = customer_view(
        RETENTION,
        customer,
        record(customer, agent_id=RETENTION.id),
        recs,
        [],
        [outcome(answered, NOW), outcome(others, NOW)],
        NOW,
    )
    assert view is not None and view.on_call
    assert [r.id for r in view.open_recommendations] == [
        mine_high.recommendation.id,
        mine_low.recommendation.id,
    ]
    assert others.recommendation.id not in {r.id for r in view.recent_recommendations}
    # Another queue's outcome is not on this agent's timeline either.
    assert [e.recommendation_id for e in view.timeline if e.kind.value == "outcome"] == [
        answered.recommendation.id
    ]
    assert view.profile is not None and view.profile.name == "Ada"
    assert customer_view(CARE, customer, record(customer), recs[:4], [], [], NOW) is None
