"""Who may use actions: agents (desktop tokens, queues) and operators (reports, erasure).

Only a SHA-256 of each token is stored. `People` answers "whose token is this?" through a
short cache, so a revoked token is refused within `cache_s` on every replica.
"""

from __future__ import annotations

import asyncpg

from services.actions.domain.desktop import Agent
from services.plumbing.cache import ExpiringCache
from services.plumbing.ids import hash_secret, secret_token


class People:
    def __init__(self, pool: asyncpg.Pool, cache_s: float = 5.0):
        self.pool = pool
        self._agents: ExpiringCache[Agent | None] = ExpiringCache(cache_s)
        self._operators: ExpiringCache[str | None] = ExpiringCache(cache_s)

    async def agent_by_token(self, token: str) -> Agent | None:
        digest = hash_secret(token)

        async def load() -> Agent | None:
            row = await self.pool.fetchrow(
                "select id, name, queues from agents where token_hash = $1 and revoked_at is null",
                digest,
            )
            return Agent(row["id"], row["name"], tuple(row["queues"])) if row else None

        return await self._agents.get(digest, load)

    async def operator_by_token(self, token: str) -> str | None:
        """The id of the active operator holding this token, if any."""
        digest = hash_secret(token)

        async def load() -> str | None:
            value: str | None = await self.pool.fetchval(
                "select id from operators where token_hash = $1 and revoked_at is null", digest
            )
            return value

        return await self._operators.get(digest, load)


async def create_operator(
    pool: asyncpg.Pool | asyncpg.Connection, operator_id: str, name: str | None
) -> str:
    """Create (or re-issue the token of) an operator; returns the new token, shown once."""
    token = secret_token("smo")
    await pool.execute(
        "insert into operators(id, token_hash, name) values ($1, $2, $3)"
        " on conflict (id) do update set token_hash = excluded.token_hash,"
        " name = excluded.name, revoked_at = null",
        operator_id,
        hash_secret(token),
        name,
    )
    return token


async def create_agent(
    pool: asyncpg.Pool | asyncpg.Connection, agent_id: str, queues: list[str], name: str | None
) -> str:
    """Create (or re-issue the token of) an agent; returns the new token, shown once."""
    token = secret_token("sma")
    await pool.execute(
        "insert into agents(id, token_hash, name, queues) values ($1, $2, $3, $4)"
        " on conflict (id) do update set token_hash = excluded.token_hash,"
        " queues = excluded.queues, name = excluded.name, revoked_at = null",
        agent_id,
        hash_secret(token),
        name,
        queues,
    )
    return token


async def list_agents(pool: asyncpg.Pool | asyncpg.Connection) -> list[asyncpg.Record]:
    """Every agent with its queues and whether it is revoked (never a token)."""
    return list(
        await pool.fetch("select id, name, queues, created_at, revoked_at from agents order by id")
    )


async def revoke_agent(pool: asyncpg.Pool | asyncpg.Connection, agent_id: str) -> bool:
    """Revoke an agent's token; True if it was active. Replicas honour it within their
    agent cache's lifetime (5 s), on the next request or stream connection."""
    revoked = await pool.fetchval(
        "update agents set revoked_at = now() where id = $1 and revoked_at is null returning true",
        agent_id,
    )
    return bool(revoked)
