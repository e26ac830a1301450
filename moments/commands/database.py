"""How the operating commands reach PostgreSQL: DATABASE_URL, or the embedded server
under `.moments/` (started if need be), migrated before the command's work runs."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from services.plumbing.database import create_pool, migrate


def database_url() -> tuple[str, Any]:
    """DATABASE_URL, or the embedded server under .moments/ (started if need be)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    from moments.stack import StackSettings, start_embedded_postgres

    settings = StackSettings()
    server, url = start_embedded_postgres(settings.moments_home.resolve() / "postgres")
    return url, server


async def with_pool(work: Callable[[Any], Awaitable[int]]) -> int:
    """Run `work(pool)` on a migrated database; its result is the exit status."""
    url, server = database_url()
    try:
        await migrate(url)
        pool = await create_pool(url, 2)
        try:
            return await work(pool)
        finally:
            await pool.close()
    finally:
        # An embedded server that `moments run` started keeps running: its own handle owns it.
        del server
