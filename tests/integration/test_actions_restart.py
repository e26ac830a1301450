"""Killing actions mid-stream and starting it again loses no recommendation and
duplicates none: signals are committed only after their recommendations are stored,
and the outbox publishes whatever was stored but not yet sent."""

from __future__ import annotations

import signal as signals_module
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from schemas.recommendations import Recommendation
from schemas.signals import CustomerSnapshot, EventRef, Signal, SignalType
from schemas.topics import Topics
from tests.backends import Backend
from tests.harness import ServiceProcess, eventually, produce, read_topic


def cancellation(customer: str, n: int) -> Signal:
    now = datetime.now(UTC)
    return Signal(
        id=f"sig-{customer}-{n}",
        type=SignalType.cancellation_risk,
        customer_id=customer,
        strength=0.9,
        reasons=["Asked to cancel broadband on voice"],
        evidence=[
            EventRef(source="/channels/test", id=f"e-{n}", type="cancellation.requested", time=now)
        ],
        customer=CustomerSnapshot(),
        occurred_at=now,
        detected_at=now,
    )


async def test_killed_actions_loses_and_duplicates_nothing(
    backend: Backend,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    run_id: str,
) -> None:
    customers = [f"cust-{run_id}-{i}" for i in range(60)]
    batch = [cancellation(c, 0) for c in customers]
    actions = services("actions")
    await actions.wait_ready()

    def messages(signals: list[Signal]) -> list[tuple[bytes | None, bytes, list[object]]]:
        return [(s.customer_id.encode(), s.model_dump_json().encode(), []) for s in signals]

    await produce(backend.bootstrap_servers, topics.signals, messages(batch[:40]))

    async def at_least(n: int, published_only: bool = False) -> bool:
        count = await pool.fetchval(
            "select count(*) from recommendations where customer_id like $1"
            " and ($2 or published_at is not null)",
            f"cust-{run_id}-%",
            not published_only,
        )
        return int(count) >= n

    await eventually(lambda: at_least(5), 30, "some recommendations stored")
    actions.stop(signals_module.SIGKILL)  # wherever it is: deciding, storing or publishing
    # The rest arrive while actions is down, so the restarted one has work either way.
    await produce(backend.bootstrap_servers, topics.signals, messages(batch[40:]))

    restarted = services("actions")
    await restarted.wait_ready()
    # Replaying signals already handled changes nothing either.
    await produce(
        backend.bootstrap_servers,
        topics.signals,
        [*messages(batch[:10]), (b"cust-garbled", b'{"id": "half a signal"}', [])],
    )
    # Stored and published are two steps (commit, then acks, then marking), so wait for
    # the second; a recommendation lost in between would keep this from ever holding.
    await eventually(
        lambda: at_least(len(customers), published_only=True), 60, "every one published"
    )

    rows = await pool.fetch(
        "select id, customer_id, published_at from recommendations where customer_id like $1",
        f"cust-{run_id}-%",
    )
    assert sorted(r["customer_id"] for r in rows) == sorted(customers)  # one each, no more
    assert all(r["published_at"] is not None for r in rows)
    expected = {r["id"] for r in rows}
    on_topic = await read_topic(
        backend.bootstrap_servers,
        topics.recommendations("desktop"),
        lambda m: expected <= {Recommendation.model_validate_json(x.value).id for x in m},
    )
    ids = [Recommendation.model_validate_json(m.value).id for m in on_topic]
    assert set(ids) == expected

    # The unreadable signal was kept with its reason, not dropped.
    dead = await read_topic(
        backend.bootstrap_servers, topics.interactions_dlq, lambda m: len(m) >= 1
    )
    assert dead[0].value == b'{"id": "half a signal"}'
    assert dict(dead[0].headers)["dlq_path"] == b"actions"
    assert b"customer_id" in dict(dead[0].headers)["dlq_reason"]
