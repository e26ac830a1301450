"""actions' PostgreSQL store: signals acted on, recommendations (with an outbox), outcomes.

`Repository` is the `RecommendationStore` port (ports.py). A recommendation row with
`published_at` null is not yet on Kafka; `unpublished` finds them so nothing decided is
ever lost between the database and the broker. Deciding is a unit of work
(adapters/deciding.py); learning from outcomes is adapters/learning.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import asyncpg

from schemas.recommendations import Outcome, Recommendation
from services.actions.adapters.deciding import (
    PostgresDecisionUnit,
    load_histories,
    load_tallies,
)
from services.actions.adapters.learning import learn
from services.actions.domain.decisioning.context import CustomerHistory, Tallies
from services.actions.domain.desktop import Agent, StoredRecommendation
from services.actions.ports import Learned, Lesson

# The advisory lock that serialises handing out desktop positions (see migration 005).
DESKTOP_POSITIONS_LOCK = 7_420_005
_DESKTOP_COLUMNS = "seq, status, payload, desktop_pos"


def _stored(row: asyncpg.Record) -> StoredRecommendation:
    return StoredRecommendation(
        row["seq"],
        row["status"],
        Recommendation.model_validate(row["payload"]),
        row.get("desktop_pos"),
    )


class Repository:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @contextlib.asynccontextmanager
    async def deciding(self) -> AsyncIterator[PostgresDecisionUnit]:
        """One transaction for a poll's decisions: committed when the block ends."""
        async with self.pool.acquire() as connection, connection.transaction():
            yield PostgresDecisionUnit(connection)

    async def history(self, customer_id: str, since: datetime) -> CustomerHistory:
        async with self.pool.acquire() as connection:
            found = await load_histories(connection, [customer_id], since)
        return found[customer_id]

    async def tallies(self) -> Tallies:
        return await load_tallies(self.pool)

    async def learn(self, lessons: Sequence[Lesson]) -> Learned:
        return await learn(self.pool, lessons)

    async def unpublished(self, limit: int = 500) -> list[StoredRecommendation]:
        rows = await self.pool.fetch(
            f"select {_DESKTOP_COLUMNS} from recommendations where published_at is null"
            " order by seq limit $1",
            limit,
        )
        return [_stored(r) for r in rows]

    async def mark_published(self, recommendation_ids: list[str]) -> None:
        await self.pool.execute(
            "update recommendations set published_at = now()"
            " where id = any($1) and published_at is null",
            recommendation_ids,
        )

    async def get(self, recommendation_id: str) -> StoredRecommendation | None:
        row = await self.pool.fetchrow(
            f"select {_DESKTOP_COLUMNS} from recommendations where id = $1", recommendation_id
        )
        return _stored(row) if row else None

    async def assign_desktop_positions(self, recommendation_ids: list[str]) -> dict[str, int]:
        """Give these desktop recommendations their place in the desktops' commit order.

        One short transaction under an advisory lock, so positions become visible in the
        order they are handed out (migration 005 says why). Rows that already have one,
        and rows no desktop may see, are left alone. Returns id -> position of all of
        them that have one.
        """
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("select pg_advisory_xact_lock($1)", DESKTOP_POSITIONS_LOCK)
            await connection.execute(
                "update recommendations r set desktop_pos = nextval('desktop_positions')"
                " from (select id from recommendations where id = any($1)"
                " and desktop_pos is null and channel = 'desktop' and not holdout"
                " order by seq for update) todo where r.id = todo.id",
                recommendation_ids,
            )
            rows = await connection.fetch(
                "select id, desktop_pos from recommendations"
                " where id = any($1) and desktop_pos is not null",
                recommendation_ids,
            )
        return {row["id"]: row["desktop_pos"] for row in rows}

    async def desktop_head(self) -> int:
        """The highest desktop position committed so far (0 when there is none)."""
        head = await self.pool.fetchval("select coalesce(max(desktop_pos), 0) from recommendations")
        return int(head)

    async def desktop_page(
        self, agent: Agent, after: int, open_until: int, now: datetime, limit: int
    ) -> list[StoredRecommendation]:
        """The agent's desktop recommendations after position `after`, oldest first.

        Those at or below `open_until` are returned only while open and unexpired: a
        desktop that opens fresh gets what is still actionable, then everything new.
        """
        rows = await self.pool.fetch(
            f"select {_DESKTOP_COLUMNS} from recommendations"
            " where desktop_pos > $3 and (queue = any($1) or agent_id = $2)"
            " and (desktop_pos > $4 or (status = 'open' and expires_at > $5))"
            " order by desktop_pos limit $6",
            list(agent.queues),
            agent.id,
            after,
            open_until,
            now,
            limit,
        )
        return [_stored(r) for r in rows]

    async def for_customer(self, customer_id: str, limit: int = 50) -> list[StoredRecommendation]:
        rows = await self.pool.fetch(
            f"select {_DESKTOP_COLUMNS} from recommendations"
            " where customer_id = $1 and not holdout order by seq desc limit $2",
            customer_id,
            limit,
        )
        return [_stored(r) for r in rows]

    async def record_outcome(self, outcome: Outcome) -> bool:
        """Store the outcome and set the recommendation's status; False if already stored."""
        async with self.pool.acquire() as connection, connection.transaction():
            inserted = await connection.fetchval(
                "insert into outcomes(id, recommendation_id, customer_id, action_code, outcome,"
                " note, agent_id, recorded_at, payload) values ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
                " on conflict (id) do nothing returning true",
                outcome.id,
                outcome.recommendation_id,
                outcome.customer_id,
                outcome.action_code,
                outcome.outcome.value,
                outcome.note,
                outcome.agent_id,
                outcome.recorded_at,
                outcome.model_dump(mode="json"),
            )
            if inserted:
                await connection.execute(
                    "update recommendations set status = $2, snoozed_until = $3 where id = $1",
                    outcome.recommendation_id,
                    outcome.outcome.value,
                    outcome.snooze_until if outcome.outcome.value == "snoozed" else None,
                )
            return bool(inserted)

    async def wake_snoozed(self, now: datetime) -> list[str]:
        """Open again what was snoozed until `now` (and is still unexpired), as unpublished
        and without a desktop position, so the outbox publishes it afresh; returns ids."""
        rows = await self.pool.fetch(
            "update recommendations set status = 'open', snoozed_until = null,"
            " desktop_pos = null, published_at = null"
            " where status = 'snoozed' and snoozed_until <= $1 and expires_at > $1"
            " returning id",
            now,
        )
        return [r["id"] for r in rows]

    async def unpublished_outcomes(self, limit: int = 500) -> list[Outcome]:
        rows = await self.pool.fetch(
            "select payload from outcomes where published_at is null order by recorded_at limit $1",
            limit,
        )
        return [Outcome.model_validate(r["payload"]) for r in rows]

    async def mark_outcomes_published(self, outcome_ids: list[str]) -> None:
        await self.pool.execute(
            "update outcomes set published_at = now() where id = any($1)", outcome_ids
        )
