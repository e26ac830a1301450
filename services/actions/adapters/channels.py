"""Channel systems' credentials in actions: the same API keys ingest issues.

A channel that sends recommendations to customers (email, SMS, push) reports what they
did with them on `POST /v1/outcomes` with its API key (`moments keys create --types
outcome`). Only a SHA-256 of each key is stored (ingest's `api_keys` table); a key may
post outcomes when one of its allowed types matches `outcome`. Lookups are cached for
`cache_s`, so a revoked key is refused within that time on every replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

import asyncpg

from services.plumbing.cache import ExpiringCache
from services.plumbing.ids import hash_secret

OUTCOME_TYPE = "outcome"


@dataclass(frozen=True)
class ChannelKey:
    id: str
    source_prefix: str
    allowed_types: tuple[str, ...]

    @property
    def may_post_outcomes(self) -> bool:
        return any(fnmatchcase(OUTCOME_TYPE, pattern) for pattern in self.allowed_types)


class ChannelKeys:
    def __init__(self, pool: asyncpg.Pool, cache_s: float = 5.0):
        self.pool = pool
        self._cache: ExpiringCache[ChannelKey | None] = ExpiringCache(cache_s)

    async def find(self, secret: str) -> ChannelKey | None:
        digest = hash_secret(secret)

        async def load() -> ChannelKey | None:
            row = await self.pool.fetchrow(
                "select id, source_prefix, allowed_types from api_keys"
                " where key_hash = $1 and revoked_at is null",
                digest,
            )
            if row is None:
                return None
            return ChannelKey(row["id"], row["source_prefix"], tuple(row["allowed_types"]))

        return await self._cache.get(digest, load)
