"""A customer's history as actions stored it: the signals it acted on and the outcomes of
its recommendations, newest first, for the cockpit's timeline (routes/customers.py)."""

from __future__ import annotations

import asyncpg

from schemas.recommendations import Outcome
from schemas.signals import Signal


class CustomerHistory:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def signals(self, customer_id: str, limit: int = 20) -> list[Signal]:
        rows = await self.pool.fetch(
            "select payload from signals where customer_id = $1 order by received_at desc limit $2",
            customer_id,
            limit,
        )
        return [Signal.model_validate(r["payload"]) for r in rows]

    async def outcomes(self, customer_id: str, limit: int = 20) -> list[Outcome]:
        rows = await self.pool.fetch(
            "select payload from outcomes where customer_id = $1"
            " order by recorded_at desc limit $2",
            customer_id,
            limit,
        )
        return [Outcome.model_validate(r["payload"]) for r in rows]
