"""PostgreSQL access through asyncpg: one pool per process, and plain-SQL migrations.

Migrations are the numbered `.sql` files in `migrations/`, applied in order under an
advisory lock (so replicas starting together do not race) and recorded in
`schema_migrations`. `moments run` and the test fixtures apply them before services start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from importlib import resources
from typing import Any

import asyncpg

log = logging.getLogger(__name__)
MIGRATION_LOCK = 0x5D0E_2026


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


async def create_pool(url: str, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url, min_size=1, max_size=max_size, init=_init_connection, command_timeout=10
    )
    assert pool is not None
    return pool


async def wait_for_database(url: str, deadline_s: float | None = 30.0) -> None:
    """Poll until PostgreSQL accepts a connection, with backoff; raise after the deadline.

    Services pass `deadline_s=None`: they wait as long as it takes (start in any order)
    and say so in their log.
    """
    end = None if deadline_s is None else time.monotonic() + deadline_s
    last: Exception | None = None
    delay, attempts = 0.1, 0
    while end is None or time.monotonic() < end:
        try:
            connection = await asyncpg.connect(url, timeout=2)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            last, attempts = error, attempts + 1
            if attempts == 1 or attempts % 20 == 0:
                log.warning("waiting for PostgreSQL: %s", error)
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 1.5)
            continue
        await connection.close()
        return
    raise TimeoutError(f"database not reachable: {last}")


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("services.plumbing") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


async def migrate(url: str) -> list[str]:
    """Apply pending migrations; returns the versions applied now."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("select pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await connection.execute(
                "create table if not exists schema_migrations ("
                " version text primary key, applied_at timestamptz not null default now())"
            )
            done = {
                r["version"]
                for r in await connection.fetch("select version from schema_migrations")
            }
            applied = []
            for version, sql in migration_files():
                if version in done:
                    continue
                async with connection.transaction():
                    await connection.execute(sql)
                    await connection.execute(
                        "insert into schema_migrations(version) values ($1)", version
                    )
                applied.append(version)
            return applied
        finally:
            await connection.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK)
    finally:
        await connection.close()


async def wait_for_schema(url: str, deadline_s: float | None = None) -> None:
    """Poll until every migration this code knows of has been applied (by `moments
    migrate`, `moments run` or a deploy job), saying so in the log while it waits."""
    wanted = {version for version, _ in migration_files()}
    end = None if deadline_s is None else time.monotonic() + deadline_s
    delay, attempts = 0.2, 0
    while True:
        missing = set(wanted)
        try:
            connection = await asyncpg.connect(url, timeout=2)
            try:
                rows = await connection.fetch("select version from schema_migrations")
                missing -= {r["version"] for r in rows}
            finally:
                await connection.close()
        except asyncpg.UndefinedTableError:
            pass
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            missing = {f"(database: {error})"}
        if not missing:
            return
        attempts += 1
        if attempts == 1 or attempts % 20 == 0:
            log.warning("waiting for migrations: %s", ", ".join(sorted(missing)))
        if end is not None and time.monotonic() > end:
            raise TimeoutError(f"migrations not applied: {', '.join(sorted(missing))}")
        await asyncio.sleep(delay)
        delay = min(2.0, delay * 1.5)


async def pool_when_ready(url: str, max_size: int) -> asyncpg.Pool:
    """What a service does at start: wait for PostgreSQL and for every migration this code
    knows of, as long as it takes (saying so in the log), then open its pool."""
    await wait_for_database(url, deadline_s=None)
    await wait_for_schema(url)
    return await create_pool(url, max_size)


async def database_reachable(pool: asyncpg.Pool, timeout_s: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(timeout_s):
            value: Any = await pool.fetchval("select 1")
            return bool(value == 1)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
