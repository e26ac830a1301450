"""actions' copy of the `customers` topic: the latest `CustomerRecord` per customer.

Written by the customers loop (consumers/customers.py) in one statement per batch; a
record replaces the stored one only when its version is newer, so a replay or an
out-of-order redelivery never moves a customer back in time. Read by the screen-pop,
the customer API and the decision's context.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from schemas.customers import CustomerRecord


class CustomerStore:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def save(self, records: Sequence[CustomerRecord]) -> None:
        """Store each record unless a newer version of that customer is stored."""
        latest: dict[str, CustomerRecord] = {}
        for record in records:
            kept = latest.get(record.customer_id)
            if kept is None or record.version >= kept.version:
                latest[record.customer_id] = record
        if not latest:
            return
        rows = list(latest.values())
        await self.pool.execute(
            "insert into customers (customer_id, version, record, live_agent_id, health_score,"
            " updated_at)"
            " select * from unnest($1::text[], $2::bigint[], $3::jsonb[], $4::text[],"
            " $5::real[], $6::timestamptz[])"
            " on conflict (customer_id) do update set version = excluded.version,"
            " record = excluded.record, live_agent_id = excluded.live_agent_id,"
            " health_score = excluded.health_score, updated_at = excluded.updated_at"
            " where customers.version < excluded.version",
            [r.customer_id for r in rows],
            [r.version for r in rows],
            [r.model_dump(mode="json") for r in rows],
            [r.live_contact.agent_id if r.live_contact else None for r in rows],
            [r.health.score for r in rows],
            [r.updated_at for r in rows],
        )

    async def save_raw(self, records: Sequence[bytes]) -> None:
        """Store records as signals serialised them (at most one per customer), unless a
        newer version is stored: the columns come out of the JSON in PostgreSQL."""
        if not records:
            return
        await self.pool.execute(
            "insert into customers (customer_id, version, record, live_agent_id, health_score,"
            " updated_at)"
            " select r->>'customer_id', (r->>'version')::bigint, r,"
            " r->'live_contact'->>'agent_id', (r->'health'->>'score')::real,"
            " (r->>'updated_at')::timestamptz"
            " from (select t::jsonb as r from unnest($1::text[]) t) given"
            " on conflict (customer_id) do update set version = excluded.version,"
            " record = excluded.record, live_agent_id = excluded.live_agent_id,"
            " health_score = excluded.health_score, updated_at = excluded.updated_at"
            " where customers.version < excluded.version",
            [r.decode() for r in records],
        )

    async def forget(self, customer_ids: Sequence[str]) -> None:
        if customer_ids:
            await self.pool.execute(
                "delete from customers where customer_id = any($1)", list(customer_ids)
            )

    async def get(self, customer_id: str) -> CustomerRecord | None:
        record = await self.pool.fetchval(
            "select record from customers where customer_id = $1", customer_id
        )
        return CustomerRecord.model_validate(record) if record is not None else None

    async def many(self, customer_ids: Sequence[str]) -> dict[str, CustomerRecord]:
        rows = await self.pool.fetch(
            "select customer_id, record from customers where customer_id = any($1)",
            list(customer_ids),
        )
        return {r["customer_id"]: CustomerRecord.model_validate(r["record"]) for r in rows}

    async def on_live_contact_with(self, agent_id: str) -> list[CustomerRecord]:
        """The customers this agent is on a live contact with now, latest first."""
        rows = await self.pool.fetch(
            "select record from customers where live_agent_id = $1 order by updated_at desc",
            agent_id,
        )
        return [CustomerRecord.model_validate(r["record"]) for r in rows]
