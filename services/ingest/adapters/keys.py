"""API keys in PostgreSQL: issue, list, revoke (the cached lookup is plumbing.api_keys).

Only a SHA-256 of each key is stored; the key itself is shown once, when it is created.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.plumbing.ids import hash_secret, secret_token


@dataclass(frozen=True)
class IssuedKey:
    id: str
    key: str
    source_prefix: str
    allowed_types: tuple[str, ...]


@dataclass(frozen=True)
class KeyRecord:
    id: str
    source_prefix: str
    allowed_types: tuple[str, ...]
    description: str | None
    created_at: datetime
    revoked_at: datetime | None


async def create_key(
    pool: asyncpg.Pool | asyncpg.Connection,
    source_prefix: str,
    allowed_types: list[str],
    description: str | None = None,
) -> IssuedKey:
    if not source_prefix.startswith("/") and "://" not in source_prefix:
        raise ValueError("source must be a URI-reference such as /channels/telephony")
    if not allowed_types or any(not t.strip() for t in allowed_types):
        raise ValueError("types must list at least one event type or pattern")
    key_id = f"key_{uuid.uuid4().hex[:12]}"
    secret = secret_token("smk")
    await pool.execute(
        "insert into api_keys(id, key_hash, source_prefix, allowed_types, description)"
        " values ($1, $2, $3, $4, $5)",
        key_id,
        hash_secret(secret),
        source_prefix,
        allowed_types,
        description,
    )
    return IssuedKey(key_id, secret, source_prefix, tuple(allowed_types))


async def list_keys(pool: asyncpg.Pool | asyncpg.Connection) -> list[KeyRecord]:
    rows = await pool.fetch(
        "select id, source_prefix, allowed_types, description, created_at, revoked_at"
        " from api_keys order by created_at"
    )
    return [
        KeyRecord(
            r["id"],
            r["source_prefix"],
            tuple(r["allowed_types"]),
            r["description"],
            r["created_at"],
            r["revoked_at"],
        )
        for r in rows
    ]


async def revoke_key(pool: asyncpg.Pool | asyncpg.Connection, key_id: str) -> bool:
    status = await pool.execute(
        "update api_keys set revoked_at = now() where id = $1 and revoked_at is null", key_id
    )
    return bool(status.endswith(" 1"))
