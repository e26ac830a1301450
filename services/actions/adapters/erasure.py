"""Erasure in PostgreSQL: a customer's rows leave every table in one transaction, and a
record of the erasure (who asked, when, how many rows; not what) stays.

The record is also an outbox: until `published_at` is set, the request has not reached
signals on the `erasures` topic, and `unpublished()` finds it (a crash cannot lose it).
When signals' tombstone for the customer comes back on `customers`, `confirm` closes the
record and forgets the customer id for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.plumbing.ids import keyed_id

# Every table that holds rows about a customer, children before parents. A table added
# later that is keyed by customer belongs here, or in ANONYMISED_TABLES
# (tests/unit/test_erasure_tables.py checks the migrations for `customer_id` columns).
CUSTOMER_TABLES = ("outcomes", "recommendations", "signals", "customers", "decisions")
# Rows that stay without the customer: a lesson learned (no personal data in it) keeps
# learning idempotent on a replay of `outcomes` (migration 011 says why).
ANONYMISED_TABLES = ("learned_outcomes",)


@dataclass(frozen=True)
class Erasure:
    id: str
    operator_id: str
    requested_at: datetime
    rows_deleted: dict[str, int]
    published_at: datetime | None = None
    confirmed_at: datetime | None = None
    customer_id: str | None = None  # kept until confirmed

    @property
    def state(self) -> str:
        if self.confirmed_at is not None:
            return "done"
        return "requested" if self.published_at is None else "published"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "operator_id": self.operator_id,
            "requested_at": self.requested_at.isoformat(),
            "rows_deleted": self.rows_deleted,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "confirmed_at": self.confirmed_at.isoformat() if self.confirmed_at else None,
        }


def _erasure(row: asyncpg.Record) -> Erasure:
    return Erasure(
        row["id"],
        row["operator_id"],
        row["requested_at"],
        dict(row["rows_deleted"]),
        row["published_at"],
        row["confirmed_at"],
        row["customer_id"],
    )


class ErasureStore:
    def __init__(self, pool: asyncpg.Pool, id_secret: str):
        self.pool, self.id_secret = pool, id_secret

    def customer_key(self, customer_id: str) -> str:
        return keyed_id(self.id_secret, "cust", customer_id)

    async def erase(
        self, erasure_id: str, customer_id: str, operator_id: str, now: datetime
    ) -> Erasure:
        """Delete the customer's rows everywhere and record the erasure, atomically."""
        deleted: dict[str, int] = {}
        async with self.pool.acquire() as connection, connection.transaction():
            for table in CUSTOMER_TABLES:
                status = await connection.execute(
                    f"delete from {table} where customer_id = $1", customer_id
                )
                deleted[table] = int(status.rsplit(" ", 1)[1])
            for table in ANONYMISED_TABLES:
                status = await connection.execute(
                    f"update {table} set customer_id = null where customer_id = $1", customer_id
                )
                deleted[table] = int(status.rsplit(" ", 1)[1])
            row = await connection.fetchrow(
                "insert into erasures (id, customer_id, customer_key, operator_id,"
                " requested_at, rows_deleted) values ($1, $2, $3, $4, $5, $6) returning *",
                erasure_id,
                customer_id,
                self.customer_key(customer_id),
                operator_id,
                now,
                deleted,
            )
        return _erasure(row)

    async def get(self, erasure_id: str) -> Erasure | None:
        row = await self.pool.fetchrow("select * from erasures where id = $1", erasure_id)
        return _erasure(row) if row else None

    async def unpublished(self, limit: int = 100) -> list[Erasure]:
        rows = await self.pool.fetch(
            "select * from erasures where published_at is null order by requested_at limit $1",
            limit,
        )
        return [_erasure(r) for r in rows]

    async def mark_published(self, erasure_ids: Sequence[str], now: datetime) -> None:
        await self.pool.execute(
            "update erasures set published_at = $2 where id = any($1) and published_at is null",
            list(erasure_ids),
            now,
        )

    async def confirm(self, customer_ids: Sequence[str], now: datetime) -> int:
        """signals has forgotten these customers: close their pending erasures."""
        status = await self.pool.execute(
            "update erasures set confirmed_at = $2, customer_id = null"
            " where customer_id = any($1) and confirmed_at is null",
            list(customer_ids),
            now,
        )
        return int(status.rsplit(" ", 1)[1])
