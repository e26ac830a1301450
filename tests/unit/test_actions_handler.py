"""`Actions` (services/actions/handlers.py) on in-memory fakes of its ports."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from schemas.headers import DECIDED_AT_HEADER, INGESTED_AT_HEADER, SEQ_HEADER
from schemas.recommendations import (
    ChannelOutcomeRequest,
    OutcomeKind,
    OutcomeRequest,
    ScriptChoice,
)
from schemas.signals import SignalType
from schemas.topics import Topics
from services.actions.domain.decisioning.scripts import PathInvalid
from services.actions.domain.desktop import Agent
from services.actions.handlers import Actions, RecommendationUnknown
from tests.unit.actions_fakes import MemoryPublisher, MemoryStore
from tests.unit.decisions import POLICY, SHIPPED, T0, life_event, signal

NOW = datetime(2025, 3, 3, 10, 5, tzinfo=UTC)
TOPICS = Topics("unit.")
AGENT = Agent("agent-7", "Seven", ("retention", "care", "complaints"))


def actions(store: MemoryStore, publisher: MemoryPublisher, **policy: object) -> Actions:
    from dataclasses import replace

    return Actions(
        store,
        publisher,
        TOPICS,
        SHIPPED,
        replace(POLICY, **policy),  # type: ignore[arg-type]
        clock=lambda: NOW,
        draws=lambda key: random.Random(key),
    )


def published(publisher: MemoryPublisher, topic: str) -> list[dict[str, object]]:
    return [json.loads(m.value) for m in publisher.sent if m.topic == topic]


async def test_a_poll_is_decided_once_per_customer_with_one_history_read() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    one, two = "cust-one", "cust-two"
    batch = [
        signal(SignalType.complaint, T0, one),
        signal(SignalType.cancellation_risk, T0, two, strength=0.9),
        signal(SignalType.complaint, T0 + timedelta(minutes=1), one, occurrences=2),
    ]
    decisions = await handler.on_signals([(s, [(INGESTED_AT_HEADER, b"123")]) for s in batch])

    assert sorted(d.customer_id for d in decisions) == [one, two]
    assert store.history_reads == [[one, two]]  # one read for the whole poll
    assert store.transactions == 1
    desktop = published(publisher, TOPICS.recommendations("desktop"))
    assert sorted(r["action"]["code"] for r in desktop) == [  # type: ignore[index]
        "complaints.own_it",
        "retention.ask_what_changed",
    ]
    complaint = next(r for r in desktop if r["customer_id"] == one)
    assert complaint["occurrences"] == 2 and len(complaint["why"]["signals"]) == 2  # type: ignore[index]
    headers = dict(publisher.sent[0].headers)
    assert headers[INGESTED_AT_HEADER] == b"123"
    assert headers[DECIDED_AT_HEADER] == str(int(NOW.timestamp() * 1000)).encode()
    assert SEQ_HEADER in headers
    assert all(r.published and r.position for r in store.rows.values())
    assert len(store.decisions) == 2


async def test_a_replayed_poll_decides_nothing_again_and_relays_what_was_left() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    found = signal(SignalType.complaint, T0, "cust-replay")
    publisher.fail = True
    with pytest.raises(ConnectionError):
        await handler.on_signals([(found, [])])
    assert len(store.rows) == 1 and not any(r.published for r in store.rows.values())
    publisher.fail = False
    assert await handler.on_signals([(found, [])]) == []  # seen: nothing decided again
    assert [r.published for r in store.rows.values()] == [True]  # the outbox relayed it
    assert len(published(publisher, TOPICS.recommendations("desktop"))) == 1


async def test_a_failure_before_the_decisions_are_saved_stores_nothing() -> None:
    store, publisher = MemoryStore(fail_save=True), MemoryPublisher()
    with pytest.raises(ConnectionError):
        await actions(store, publisher).on_signals([(signal(SignalType.complaint, T0), [])])
    assert store.signals == {} and store.rows == {} and publisher.sent == []


async def test_a_repeat_updates_the_same_card_on_the_desktop() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    await handler.on_signals([(signal(SignalType.complaint, T0, "cust-rep"), [])])
    first = published(publisher, TOPICS.recommendations("desktop"))[0]
    position = next(iter(store.rows.values())).position
    again = signal(SignalType.complaint, T0 + timedelta(minutes=3), "cust-rep", occurrences=2)
    [decision] = await handler.on_signals([(again, [])])
    assert decision.made == () and len(decision.strengthened) == 1
    [row] = store.rows.values()
    assert row.recommendation.id == first["id"] and row.recommendation.occurrences == 2
    assert row.position is not None and position is not None and row.position > position
    second = published(publisher, TOPICS.recommendations("desktop"))[1]
    assert second["id"] == first["id"] and second["occurrences"] == 2


async def test_held_out_customers_are_decided_and_recorded_but_never_published() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    [decision] = await actions(store, publisher, holdout_percent=100).on_signals(
        [(signal(SignalType.complaint, T0, "cust-held"), [])]
    )
    assert decision.holdout and len(decision.made) == 1
    assert publisher.sent == []
    assert [r.recommendation.holdout for r in store.rows.values()] == [True]


async def test_an_outcome_with_a_path_to_a_follow_on_recommends_the_team_next() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    customer = "cust-follow"
    await handler.on_signals([(life_event("divorce", T0, customer), [])])
    await handler.on_signals(
        [(signal(SignalType.cancellation_risk, T0 + timedelta(days=3), customer), [])]
    )
    card = next(
        r for r in store.rows.values() if r.recommendation.action.code == "retention.life_changed"
    )
    path = [
        ScriptChoice(step="ask", answer="Yes, that is why"),
        ScriptChoice(step="team", answer="Yes, put me through"),
        ScriptChoice(step="to_team"),
    ]
    request = OutcomeRequest(outcome=OutcomeKind.accepted, path=path)
    outcome = await handler.record_outcome(card.recommendation.id, request, AGENT)

    assert outcome.path == path and outcome.channel is not None
    assert outcome.channel.value == "desktop"  # where the agent reported it from
    assert card.status == "accepted"
    team = [
        r for r in store.rows.values() if r.recommendation.action.code == "care.life_events_team"
    ]
    assert len(team) == 1 and team[0].recommendation.queue == "care"
    assert team[0].moment_at == card.moment_at  # it counts when the conversation's moment did
    assert "In the conversation: Yes, that is why; Yes, put me through" in (
        team[0].recommendation.why.reasons
    )
    assert published(publisher, TOPICS.outcomes)[0]["id"] == outcome.id
    # Posting it again is harmless: the same outcome, no second follow-on.
    assert (await handler.record_outcome(card.recommendation.id, request, AGENT)).id == outcome.id
    assert (
        len(
            [
                r
                for r in store.rows.values()
                if r.recommendation.action.code == "care.life_events_team"
            ]
        )
        == 1
    )


async def test_a_path_off_the_guide_is_refused_before_anything_is_stored() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    await handler.on_signals([(signal(SignalType.complaint, T0, "cust-path"), [])])
    [row] = store.rows.values()
    bad = OutcomeRequest(outcome=OutcomeKind.accepted, path=[ScriptChoice(step="nowhere")])
    with pytest.raises(PathInvalid):
        await handler.record_outcome(row.recommendation.id, bad, AGENT)
    assert store.outcomes == {}
    with pytest.raises(RecommendationUnknown):
        await handler.record_outcome(
            "rec_missing", OutcomeRequest(outcome=OutcomeKind.accepted), AGENT
        )


async def test_channel_outcomes_are_stored_published_and_learned_once() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    shock = signal(
        SignalType.price_shock,
        T0,
        "cust-email",
        details={
            "product": "tv bundle",
            "previous_price": 400.0,
            "quoted_price": 520.0,
            "currency": "EUR",
        },
    )
    await handler.on_signals([(shock, [])])
    email = next(r for r in store.rows.values() if r.recommendation.channel.value == "email")
    request = ChannelOutcomeRequest(
        id="mail-991", recommendation_id=email.recommendation.id, outcome=OutcomeKind.accepted
    )
    outcome = await handler.record_channel_outcome(request, "key_email")
    assert outcome == await handler.record_channel_outcome(request, "key_email")
    assert (
        outcome.channel is not None
        and outcome.channel.value == "email"
        and outcome.agent_id is None
    )
    learned = await handler.learn([outcome, outcome])  # the topic replays it
    assert (learned.learned, learned.already) == (1, 1)
    assert store.tally[("email.renewal_options", "all")].successes == 1
    assert (await handler.learn([outcome])).learned == 0
    with pytest.raises(RecommendationUnknown):
        await handler.learn([outcome.model_copy(update={"recommendation_id": "rec_gone"})])


async def test_asking_decides_from_open_issues_and_stores_nothing() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher)
    empty = await handler.next_best_action("cust-ask")
    assert empty.candidates == [] and empty.explanation == ["No open issue to act on now"]
    await handler.on_signals(
        [(signal(SignalType.complaint, NOW - timedelta(hours=1), "cust-ask"), [])]
    )
    before = (dict(store.rows), len(publisher.sent))
    answer = await handler.next_best_action("cust-ask")
    assert (dict(store.rows), len(publisher.sent)) == before
    [candidate] = [c for c in answer.candidates if c.action_code == "complaints.own_it"]
    assert candidate.verdict.value == "ineligible"  # its issue has an open card already
    assert "already has an open recommendation" in candidate.reason
    assert answer.explanation[0].startswith("1 signal(s) at")


async def test_a_held_out_customer_is_told_nothing_when_asked() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    handler = actions(store, publisher, holdout_percent=100)
    store.signals["s"] = signal(SignalType.complaint, NOW - timedelta(hours=1), "cust-quiet")
    answer = await handler.next_best_action("cust-quiet")
    assert answer.candidates == [] and answer.winners == {}


async def test_a_snoozed_recommendation_comes_back_at_its_time_on_a_new_position() -> None:
    store, publisher = MemoryStore(), MemoryPublisher()
    now = [NOW]
    handler = actions(store, publisher)
    handler.clock = lambda: now[0]
    await handler.on_signals([(signal(SignalType.complaint, T0, "cust-snooze"), [])])
    [row] = store.rows.values()
    first_position = row.position
    until = NOW + timedelta(minutes=10)
    snooze = OutcomeRequest(outcome=OutcomeKind.snoozed, snooze_until=until)
    await handler.record_outcome(row.recommendation.id, snooze, AGENT)
    assert row.status == "snoozed"

    assert await handler.wake_snoozed() == 0  # not yet
    now[0] = until
    assert await handler.wake_snoozed() == 1

    assert row.status == "open" and row.published
    assert row.position is not None and first_position is not None
    assert row.position > first_position  # delivered again to every desktop of its queue
    sent = published(publisher, TOPICS.recommendations("desktop"))
    assert [m["id"] for m in sent] == [row.recommendation.id, row.recommendation.id]
    assert await handler.wake_snoozed() == 0  # once
