"""`services.actions.adapters.push`: which desktop gets which recommendation, in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from schemas.recommendations import Action, ActionChannel, Recommendation, Why
from services.actions.adapters.push import Delivery, DesktopHub
from services.actions.domain.desktop import Agent, is_for
from tests.unit.builders import new_customer, new_id

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


def delivery(seq: int, rec: Recommendation) -> Delivery:
    return Delivery(seq=seq, recommendation=rec, pushed_headers={})


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


async def test_hub_publishes_only_to_matching_subscribers() -> None:
    hub = DesktopHub()
    for_care = delivery(1, recommendation(queue="care"))
    for_retention = delivery(2, recommendation(queue="retention"))
    for_rory_live = delivery(3, recommendation(queue="care", agent_id="agent-retention"))

    async with hub.subscribe(CARE) as care, hub.subscribe(RETENTION) as retention:
        assert hub.publish(for_care) == 1
        assert hub.publish(for_retention) == 1
        assert hub.publish(for_rory_live) == 2

        assert [care.get_nowait().seq for _ in range(care.qsize())] == [1, 3]
        assert [retention.get_nowait().seq for _ in range(retention.qsize())] == [2, 3]


async def test_hub_with_nobody_listening_delivers_to_no_one() -> None:
    assert DesktopHub().publish(delivery(1, recommendation())) == 0


async def test_leaving_the_subscription_stops_deliveries_and_the_gauge() -> None:
    hub = DesktopHub()
    before = subscribers()

    async with hub.subscribe(CARE) as queue:
        assert subscribers() == before + 1
    assert subscribers() == before

    assert hub.publish(delivery(1, recommendation())) == 0
    assert queue.empty()


async def test_a_subscription_ended_by_an_error_is_cleaned_up_too() -> None:
    hub = DesktopHub()
    before = subscribers()

    with pytest.raises(ConnectionResetError):
        async with hub.subscribe(CARE):
            raise ConnectionResetError("browser went away")

    assert subscribers() == before
    assert hub.publish(delivery(1, recommendation())) == 0


async def test_a_full_queue_drops_the_delivery_for_that_subscriber_only() -> None:
    hub = DesktopHub(queue_size=1)

    async with hub.subscribe(CARE) as slow, hub.subscribe(CARE) as quick:
        assert hub.publish(delivery(1, recommendation())) == 2
        quick.get_nowait()
        assert hub.publish(delivery(2, recommendation())) == 1  # slow one is full

        assert slow.get_nowait().seq == 1
        assert quick.get_nowait().seq == 2
