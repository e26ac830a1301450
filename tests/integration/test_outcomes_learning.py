"""Outcomes that a channel produced straight to the `outcomes` topic, learned on PostgreSQL
(adapters/learning.py): they move their recommendation as an agent's outcome does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from schemas.recommendations import Outcome, OutcomeKind
from services.actions.adapters.learning import learn
from services.actions.adapters.repository import Repository
from services.actions.ports import Lesson


async def test_a_snooze_produced_to_the_topic_comes_back_at_its_time(
    pool: asyncpg.Pool, run_id: str
) -> None:
    rid, customer = f"rec-{run_id}", f"cust-{run_id}"
    now = datetime.now(UTC)
    await pool.execute(
        "insert into signals (id, customer_id, type, payload) values ($1, $2, 'complaint', '{}')",
        f"sig-{run_id}",
        customer,
    )
    await pool.execute(
        "insert into recommendations (id, signal_id, customer_id, action_code, channel, queue,"
        " priority, holdout, payload, created_at, expires_at, published_at)"
        " values ($1, $2, $3, 'care.test', 'email', 'care', 50, false, '{}', $4, $5, $4)",
        rid,
        f"sig-{run_id}",
        customer,
        now,
        now + timedelta(days=3),
    )
    try:
        until = now + timedelta(hours=2)
        snoozed = Outcome(
            id=f"out-{run_id}",
            recommendation_id=rid,
            customer_id=customer,
            action_code="care.test",
            outcome=OutcomeKind.snoozed,
            recorded_at=now,
            snooze_until=until,
        )
        learned = await learn(pool, [Lesson(snoozed, None)])
        assert learned.unknown == ()
        row = await pool.fetchrow(
            "select status, snoozed_until from recommendations where id = $1", rid
        )
        assert row["status"] == "snoozed" and row["snoozed_until"] == until
        repository = Repository(pool)
        assert rid not in await repository.wake_snoozed(until - timedelta(minutes=1))
        assert rid in await repository.wake_snoozed(until + timedelta(seconds=1))
        assert (
            await pool.fetchval("select status from recommendations where id = $1", rid) == "open"
        )
    finally:  # woken, it is unpublished: no later actions on this database may relay it
        await pool.execute("delete from outcomes where recommendation_id = $1", rid)
        await pool.execute("delete from learned_outcomes where recommendation_id = $1", rid)
        await pool.execute("delete from recommendations where id = $1", rid)
