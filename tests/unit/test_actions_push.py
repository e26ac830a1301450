"""`services.actions.adapters.push`: which desktop is rung, and what a stream reads and when."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas.customers import CustomerRecord
from schemas.recommendations import Action, ActionChannel, Recommendation, Why
from services.actions.adapters.push import DesktopHub, follow
from services.actions.domain.desktop import Agent, StoredRecommendation, is_for
from tests.unit.builders import new_customer, new_id
from tests.unit.cockpit_builders import record

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CARE = Agent("agent-care", "Cara", ("care", "complaints"))
RETENTION = Agent("agent-retention", "Rory", ("retention",))


def recommendation(
    queue: str = "care",
    channel: ActionChannel = ActionChannel.desktop,
    agent_id: str | None = None,
    holdout: bool = False,
) -> Recommendation:
    return Recommendation(
        id=new_id("rec"),
        customer_id=new_customer(),
        action=Action(code="care.thank_you", title="Thank them", script="Say thanks."),
        why=Why(signals=[], reasons=["Bought something"]),
        priority=30,
        channel=channel,
        queue=queue,
        agent_id=agent_id,
        holdout=holdout,
        created_at=NOW,
        expires_at=NOW + timedelta(hours=4),
    )


def subscribers() -> float:
    return REGISTRY.get_sample_value("moments_actions_desktop_subscribers") or 0.0


def test_a_desktop_gets_what_is_for_one_of_its_queues() -> None:
    assert is_for(CARE, recommendation(queue="complaints"))
    assert not is_for(CARE, recommendation(queue="retention"))


def test_a_desktop_gets_what_is_for_its_own_live_contact_in_any_queue() -> None:
    assert is_for(CARE, recommendation(queue="retention", agent_id="agent-care"))
    assert not is_for(CARE, recommendation(queue="retention", agent_id="agent-other"))


def test_holdout_and_other_channels_never_reach_a_desktop() -> None:
    assert not is_for(CARE, recommendation(holdout=True))
    assert not is_for(CARE, recommendation(holdout=True, agent_id="agent-care"))
    assert not is_for(CARE, recommendation(channel=ActionChannel.email))


async def test_the_hub_rings_only_the_streams_a_recommendation_is_for() -> None:
    hub = DesktopHub()
    async with hub.subscribe(CARE) as care, hub.subscribe(RETENTION) as retention:
        assert hub.ring(recommendation(queue="care")) == 1
        assert care.is_set() and not retention.is_set()
        care.clear()
        assert hub.ring(recommendation(queue="retention")) == 1
        assert retention.is_set() and not care.is_set()
        assert hub.ring(recommendation(queue="care", agent_id="agent-retention")) == 2


async def test_leaving_or_failing_ends_the_subscription_and_the_gauge() -> None:
    hub = DesktopHub()
    before = subscribers()
    async with hub.subscribe(CARE):
        assert subscribers() == before + 1
    with pytest.raises(ConnectionResetError):
        async with hub.subscribe(CARE):
            raise ConnectionResetError("browser went away")
    assert subscribers() == before
    assert hub.ring(recommendation()) == 0


def test_the_hub_keeps_the_traces_of_the_latest_recommendations_only() -> None:
    hub = DesktopHub(traces=2)
    recs = [recommendation() for _ in range(3)]
    for i, rec in enumerate(recs):
        hub.ring(rec, {"moments_ingested_at": str(i)})
    assert hub.trace(recs[0].id) is None
    assert hub.trace(recs[2].id) == {"moments_ingested_at": "2"}


class FakeStore:
    """Rows as the store holds them once committed: (position, status, recommendation)."""

    def __init__(self) -> None:
        self.rows: list[StoredRecommendation] = []
        self.reads = 0

    def commit(self, rec: Recommendation, status: str = "open") -> None:
        position = len(self.rows) + 1
        self.rows.append(StoredRecommendation(position, status, rec, position))

    async def desktop_head(self) -> int:
        return len(self.rows)

    async def desktop_page(
        self, agent: Agent, after: int, open_until: int, now: datetime, limit: int
    ) -> list[StoredRecommendation]:
        self.reads += 1
        found = [
            row
            for row in self.rows
            if row.position is not None
            and row.position > after
            and is_for(agent, row.recommendation)
            and (
                row.position > open_until
                or (row.status == "open" and row.recommendation.expires_at > now)
            )
        ]
        return found[:limit]


async def take(stream: AsyncGenerator[StoredRecommendation], n: int) -> list[int]:
    got = []
    async with asyncio.timeout(5):
        while len(got) < n:
            stored = await anext(stream)
            assert stored.position is not None
            got.append(stored.position)
    return got


async def test_a_resuming_stream_gets_everything_after_its_cursor_in_pages_not_capped() -> None:
    store, hub = FakeStore(), DesktopHub()
    for _ in range(450):
        store.commit(recommendation(queue="care"))
        store.commit(recommendation(queue="retention"))
    stream = follow(store, hub, CARE, after=100, clock=lambda: NOW, page=50)
    got = await take(stream, 400)
    await stream.aclose()
    # every care row after position 100, in order, none twice, across eight pages and more
    assert got == [p for p in range(101, 901) if p % 2 == 1]
    assert store.reads >= 8


async def test_a_fresh_stream_gets_what_is_open_then_everything_new_once_rung() -> None:
    store, hub = FakeStore(), DesktopHub()
    store.commit(recommendation(queue="care"), status="accepted")
    store.commit(recommendation(queue="care"))
    stream = follow(store, hub, CARE, after=0, clock=lambda: NOW, poll_s=60)
    assert await take(stream, 1) == [2]
    later = recommendation(queue="care")
    store.commit(later, status="declined")  # already answered when read: still new to us
    waiting = asyncio.ensure_future(take(stream, 1))
    await asyncio.sleep(0)
    hub.ring(later)
    assert await waiting == [3]
    await stream.aclose()
    assert subscribers() == 0


async def test_a_ring_that_never_comes_delays_a_recommendation_but_does_not_lose_it() -> None:
    store, hub = FakeStore(), DesktopHub()
    stream = follow(store, hub, CARE, after=0, clock=lambda: NOW, poll_s=0.05)
    waiting = asyncio.ensure_future(take(stream, 2))
    await asyncio.sleep(0)
    store.commit(recommendation(queue="care"))
    store.commit(recommendation(queue="care"))
    assert await waiting == [1, 2]
    await stream.aclose()


async def take_items(stream: AsyncGenerator[Any], n: int) -> list[Any]:
    got = []
    async with asyncio.timeout(5):
        while len(got) < n:
            got.append(await anext(stream))
    return got


async def test_a_pop_reaches_only_the_streams_of_the_agent_it_names() -> None:
    hub = DesktopHub()
    pop = record(agent_id=CARE.id)
    async with hub.subscribe(CARE) as care, hub.subscribe(RETENTION) as retention:
        assert hub.pop_up(CARE.id, pop) == 1
        assert care.is_set() and not retention.is_set()
        assert hub.take_pops(care) == [pop]
        assert hub.take_pops(care) == []  # taken
        assert hub.take_pops(retention) == []


async def test_only_the_latest_record_of_a_customer_waits_for_a_stream() -> None:
    hub = DesktopHub()
    customer = new_customer()
    first, second = record(customer, CARE.id, version=1), record(customer, CARE.id, version=2)
    other = record(agent_id=CARE.id)
    async with hub.subscribe(CARE) as care:
        hub.pop_up(CARE.id, first)
        hub.pop_up(CARE.id, other)
        hub.pop_up(CARE.id, second)
        assert hub.take_pops(care) == [other, second]


async def test_a_stream_starts_with_the_live_customers_then_pops_come_before_new_rows() -> None:
    store, hub = FakeStore(), DesktopHub()
    on_call = record(agent_id=CARE.id)
    store.commit(recommendation(queue="care"))

    async def live() -> list[CustomerRecord]:
        return [on_call]

    stream = follow(store, hub, CARE, after=0, clock=lambda: NOW, poll_s=60, live=live)
    first = await take_items(stream, 2)
    assert first[0] == on_call and first[1].position == 1
    waiting = asyncio.ensure_future(take_items(stream, 2))
    await asyncio.sleep(0)
    popped = record(agent_id=CARE.id)
    later = recommendation(queue="care")
    store.commit(later)
    hub.pop_up(CARE.id, popped)
    got = await waiting
    assert got[0] == popped and got[1].recommendation.id == later.id
    await stream.aclose()
