"""Channel systems' API keys, as both services read them: ingest, to let a channel send
events, and actions, to let it report outcomes (`POST /v1/outcomes`).

Only a SHA-256 of each key is stored (the `api_keys` table; `moments keys` issues and
revokes them). Lookups are cached for `cache_s`, so a revoked key is refused within that
time on every replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

import asyncpg

from services.plumbing.cache import ExpiringCache
from services.plumbing.ids import hash_secret


@dataclass(frozen=True)
class ApiKey:
    id: str
    source_prefix: str
    allowed_types: tuple[str, ...]


def type_allowed(key: ApiKey, event_type: str) -> bool:
    """Whether one of the key's type patterns matches `event_type` (e.g. `outcome`)."""
    return any(fnmatchcase(event_type, pattern) for pattern in key.allowed_types)


class KeyStore:
    """Finds the key behind a secret, caching answers for `cache_s` seconds."""

    def __init__(self, pool: asyncpg.Pool, cache_s: float):
        self.pool = pool
        self._cache: ExpiringCache[ApiKey | None] = ExpiringCache(cache_s)

    async def find(self, secret: str) -> ApiKey | None:
        digest = hash_secret(secret)

        async def load() -> ApiKey | None:
            row = await self.pool.fetchrow(
                "select id, source_prefix, allowed_types from api_keys"
                " where key_hash = $1 and revoked_at is null",
                digest,
            )
            return (
                ApiKey(row["id"], row["source_prefix"], tuple(row["allowed_types"]))
                if row
                else None
            )

        return await self._cache.get(digest, load)
