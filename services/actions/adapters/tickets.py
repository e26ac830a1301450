"""Stream tickets in PostgreSQL: issue one for an agent, spend it on one stream connection.

A ticket is a random secret, valid for `lifetime_s` and for one connection; the table
keeps only its SHA-256 (migration 008). Spending is a single conditional update, so two
replicas presented the same ticket cannot both accept it, and a ticket of an agent revoked
since it was issued is refused. Times are the database's, so replicas' clocks do not
matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.actions.domain.desktop import Agent
from services.plumbing.ids import hash_secret, secret_token


@dataclass(frozen=True)
class StreamTicket:
    ticket: str
    expires_at: datetime


class StreamTickets:
    def __init__(self, pool: asyncpg.Pool, lifetime_s: float):
        self.pool = pool
        self.lifetime_s = lifetime_s

    async def issue(self, agent: Agent) -> StreamTicket:
        ticket = secret_token("smt")
        async with self.pool.acquire() as connection, connection.transaction():
            # Tidy as we go: a spent or expired ticket is of no use to anyone.
            await connection.execute(
                "delete from stream_tickets where expires_at < now() - interval '1 minute'"
            )
            expires_at = await connection.fetchval(
                "insert into stream_tickets (ticket_hash, agent_id, expires_at)"
                " values ($1, $2, now() + make_interval(secs => $3)) returning expires_at",
                hash_secret(ticket),
                agent.id,
                self.lifetime_s,
            )
        return StreamTicket(ticket, expires_at)

    async def spend(self, ticket: str) -> Agent | None:
        """The agent the ticket was issued to, if it is unspent, unexpired and the agent
        still active; the ticket is spent either way it was valid."""
        row = await self.pool.fetchrow(
            "update stream_tickets t set used_at = clock_timestamp() from agents a"
            " where t.ticket_hash = $1 and t.used_at is null and t.expires_at > clock_timestamp()"
            " and a.id = t.agent_id and a.revoked_at is null"
            " returning a.id, a.name, a.queues",
            hash_secret(ticket),
        )
        return Agent(row["id"], row["name"], tuple(row["queues"])) if row else None
