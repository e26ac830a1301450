"""What the uplift report and the ops page read from actions' PostgreSQL store.

`decided_customers` gives one row per decided customer whose record actions holds: their
first decision (the recommendation whose signal occurred first), whether it was held
out, and what happened after that signal's event time (event time, not actions' clock,
so a replayed or simulated history compares like with like). `health_distribution` and
`action_outcomes` feed the ops page. Read-only; no customer-keyed table of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.actions.domain.uplift import DecidedCustomer

_DECIDED_CUSTOMERS = """
with first_decisions as (
    select distinct on (r.customer_id)
        r.customer_id, r.action_code, r.holdout,
        (s.payload->>'occurred_at')::timestamptz as decided_on
    from recommendations r join signals s on s.id = r.signal_id
    order by r.customer_id, (s.payload->>'occurred_at')::timestamptz, r.created_at,
        r.priority desc, r.action_code
)
select f.customer_id, f.action_code, f.holdout, c.health_score,
    not exists (
        select 1 from jsonb_array_elements(coalesce(c.record->'lost_products', '[]')) lost
        where (lost->>'at')::timestamptz > f.decided_on
    ) as retained,
    exists (
        select 1 from signals x where x.customer_id = f.customer_id and x.type = 'complaint'
        and (x.payload->>'occurred_at')::timestamptz > f.decided_on
    ) as complained,
    exists (
        select 1 from signals x where x.customer_id = f.customer_id and x.type = 'repeat_contact'
        and (x.payload->>'occurred_at')::timestamptz > f.decided_on
    ) as repeat_contact
from first_decisions f join customers c on c.customer_id = f.customer_id
"""


@dataclass(frozen=True)
class ActionOutcomes:
    """One action's last-day figures: shown (not held out) and what agents did."""

    action_code: str
    shown: int
    outcomes: dict[str, int]  # accepted, declined, snoozed, completed -> count


class ReportStore:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def decided_customers(self) -> list[DecidedCustomer]:
        rows = await self.pool.fetch(_DECIDED_CUSTOMERS)
        return [
            DecidedCustomer(
                customer_id=row["customer_id"],
                action_code=row["action_code"],
                holdout=row["holdout"],
                retained=row["retained"],
                complained=row["complained"],
                repeat_contact=row["repeat_contact"],
                health=float(row["health_score"]),
            )
            for row in rows
        ]

    async def health_distribution(self) -> list[int]:
        """Customers per 10-point band of relationship health: [0-10), ..., [90-100]."""
        rows = await self.pool.fetch(
            "select least(floor(health_score / 10)::int, 9) as band, count(*) as n"
            " from customers group by band"
        )
        counts = [0] * 10
        for row in rows:
            counts[max(0, row["band"])] += row["n"]
        return counts

    async def action_outcomes(self, since: datetime) -> list[ActionOutcomes]:
        """Per action: recommendations shown since `since`, and the outcomes recorded."""
        shown = await self.pool.fetch(
            "select action_code, count(*) as n from recommendations"
            " where created_at >= $1 and not holdout group by action_code",
            since,
        )
        done = await self.pool.fetch(
            "select action_code, outcome, count(*) as n from outcomes"
            " where recorded_at >= $1 group by action_code, outcome",
            since,
        )
        figures: dict[str, ActionOutcomes] = {
            row["action_code"]: ActionOutcomes(row["action_code"], row["n"], {}) for row in shown
        }
        for row in done:
            kept = figures.setdefault(row["action_code"], ActionOutcomes(row["action_code"], 0, {}))
            kept.outcomes[row["outcome"]] = row["n"]
        return sorted(figures.values(), key=lambda f: (-f.shown, f.action_code))
