"""The uplift report's reading of PostgreSQL, `moments report uplift`, and the ops feed's
consumer-lag readings, against a real database and broker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.reports import UpliftReport
from schemas.topics import Topics
from services.actions.adapters.reports import ReportStore
from services.actions.consumers.ops_feed import OpsFeed
from services.actions.settings import Settings
from tests.backends import Backend
from tests.harness import eventually

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def signal(pool: asyncpg.Pool, sid: str, customer: str, kind: str, at: datetime) -> None:
    await pool.execute(
        "insert into signals (id, customer_id, type, payload) values ($1, $2, $3, $4)",
        sid,
        customer,
        kind,
        {"id": sid, "type": kind, "occurred_at": at.isoformat()},
    )


async def decision(
    pool: asyncpg.Pool, rid: str, sid: str, customer: str, action: str, holdout: bool
) -> None:
    await pool.execute(
        "insert into recommendations (id, signal_id, customer_id, action_code, channel, queue,"
        " priority, holdout, payload, created_at, expires_at, published_at)"
        # published: an actions started later on this database must not relay these stubs
        " values ($1, $2, $3, $4, 'desktop', 'care', 50, $5, '{}', now(), now(), now())",
        rid,
        sid,
        customer,
        action,
        holdout,
    )


async def record(pool: asyncpg.Pool, customer: str, health: float, lost: list[datetime]) -> None:
    await pool.execute(
        "insert into customers (customer_id, version, record, health_score, updated_at)"
        " values ($1, 1, $2, $3, now())",
        customer,
        {"lost_products": [{"product": "broadband", "at": at.isoformat()} for at in lost]},
        health,
    )


async def test_each_customer_is_read_by_the_first_decision_and_what_came_after(
    pool: asyncpg.Pool, run_id: str
) -> None:
    a, b, c, d = (f"up-{run_id}-{x}" for x in "abcd")
    action = f"care.test_{run_id}"
    bands_before = await ReportStore(pool).health_distribution()
    # a, treated: a complaint and a loss after its first decision, a repeat contact before.
    await signal(pool, f"{a}-1", a, "repeat_contact", T0 - timedelta(days=1))
    await signal(pool, f"{a}-2", a, "complaint", T0)
    await decision(pool, f"{a}-r", f"{a}-2", a, action, holdout=False)
    await signal(pool, f"{a}-3", a, "complaint", T0 + timedelta(days=1))
    await record(pool, a, 45.0, [T0 + timedelta(days=2)])
    # b, held out: a second signal of the same event and an older loss do not count.
    await signal(pool, f"{b}-1", b, "negative_sentiment", T0)
    await signal(pool, f"{b}-2", b, "complaint", T0)
    await decision(pool, f"{b}-r", f"{b}-1", b, action, holdout=True)
    await signal(pool, f"{b}-3", b, "repeat_contact", T0 + timedelta(hours=3))
    await record(pool, b, 72.0, [T0 - timedelta(days=30)])
    # c: the decision whose signal occurred first is its first, whatever came in first.
    await signal(pool, f"{c}-late", c, "complaint", T0 + timedelta(days=5))
    await decision(pool, f"{c}-r2", f"{c}-late", c, "later.action", holdout=False)
    await signal(pool, f"{c}-early", c, "price_shock", T0)
    await decision(pool, f"{c}-r1", f"{c}-early", c, action, holdout=False)
    await record(pool, c, 81.0, [])
    # d: decided, but actions holds no record of the customer: left out.
    await signal(pool, f"{d}-1", d, "complaint", T0)
    await decision(pool, f"{d}-r", f"{d}-1", d, action, holdout=False)
    await pool.execute(
        "insert into outcomes (id, recommendation_id, customer_id, action_code, outcome,"
        " recorded_at, payload, published_at)"
        " values ($1, $2, $3, $4, 'accepted', now(), '{}', now())",
        f"{a}-o",
        f"{a}-r",
        a,
        action,
    )

    store = ReportStore(pool)
    mine = {
        x.customer_id: x for x in await store.decided_customers() if x.customer_id in (a, b, c, d)
    }
    assert set(mine) == {a, b, c}
    assert (mine[a].holdout, mine[a].retained, mine[a].complained, mine[a].repeat_contact) == (
        False,
        False,
        True,
        False,
    )
    assert (mine[b].holdout, mine[b].retained, mine[b].complained, mine[b].repeat_contact) == (
        True,
        True,
        False,
        True,
    )
    assert mine[c].action_code == action
    assert mine[c].complained  # the later complaint came after its first decision
    assert [mine[x].health for x in (a, b, c)] == [45.0, 72.0, 81.0]

    bands_after = await store.health_distribution()
    assert [after - before for after, before in zip(bands_after, bands_before, strict=True)] == [
        0, 0, 0, 0, 1, 0, 0, 1, 1, 0,
    ]  # fmt: skip
    figures = {f.action_code: f for f in await store.action_outcomes(T0 - timedelta(days=365))}
    assert figures[action].shown == 3  # a, c and d were shown; b was held out
    assert figures[action].outcomes == {"accepted": 1}


def test_moments_report_uplift_prints_the_report_from_the_database(database: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moments", "report", "uplift", "--json", "--min-group-size", "2"],
        env={**os.environ, "DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = UpliftReport.model_validate_json(done.stdout)
    assert report.min_group_size == 2
    assert [c.metric for c in report.overall.comparisons] == [
        "retained",
        "complaint",
        "repeat_contact",
        "health",
    ]
    table = subprocess.run(
        [sys.executable, "-m", "moments", "report", "uplift"],
        env={**os.environ, "DATABASE_URL": database, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert table.returncode == 0, table.stderr
    assert "Uplift against the holdout" in table.stdout
    assert "95% always valid" in table.stdout and "salted hash" in table.stdout


async def test_the_ops_feed_reads_lag_per_group_and_partition(
    backend: Backend, topics: Topics, run_id: str
) -> None:
    group = f"lag-{run_id}"
    settings = Settings(
        kafka_bootstrap_servers=backend.bootstrap_servers,
        kafka_topic_prefix=topics.prefix,
        database_url="postgresql://unused",
        actions_id_secret="x" * 16,
        actions_group=f"actions-{run_id}",
        ops_consumer_groups={group: ["interactions"]},
    )
    producer = AIOKafkaProducer(bootstrap_servers=backend.bootstrap_servers)
    await producer.start()
    try:
        for i in range(12):  # one record per batch, so Tansu's end offsets are exact
            await producer.send_and_wait(topics.interactions, b"x", key=b"k", partition=i % 2)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topics.interactions,
        bootstrap_servers=backend.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()

    async def assigned() -> bool:
        await consumer.getmany(timeout_ms=100, max_records=1)
        return bool(consumer.assignment())

    try:
        await eventually(assigned, 30, "the group's assignment")
        await consumer.commit({TopicPartition(topics.interactions, 0): 4})
    finally:
        await consumer.stop()

    feed = OpsFeed(settings, topics, ReportStore(None))  # type: ignore[arg-type]
    task = asyncio.create_task(feed._watch_lag())

    async def read() -> bool:
        return feed.lag.last_read is not None

    try:
        await eventually(read, 30, "a round of lag readings")
    finally:
        task.cancel()
    readings: dict[tuple[str, int], Any] = {
        (p.topic, p.partition): p for p in feed.lag.partitions() if p.group == group
    }
    assert readings[(topics.interactions, 0)].committed == 4
    assert readings[(topics.interactions, 0)].lag == 2  # 6 records, 4 committed
    assert readings[(topics.interactions, 1)].committed == -1
    assert readings[(topics.interactions, 1)].lag == 6
    assert sum(p.lag for p in readings.values()) == 8
    groups = {g.group for g in feed.lag.groups(time.time(), 60, 1000)}
    assert {group, f"actions-{run_id}", f"actions-{run_id}-customers"} <= groups
