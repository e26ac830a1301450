"""`moments operators create`: operators (reports, erasure) and their tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from moments.commands.database import with_pool


def add_parser(commands: Any) -> None:
    operators = commands.add_parser("operators", help="manage operators (reports, erasure)")
    operator_commands = operators.add_subparsers(dest="operators_command", required=True)
    operator = operator_commands.add_parser("create", help="create an operator or re-issue")
    operator.add_argument("--id", required=True)
    operator.add_argument("--name", default=None)
    operators.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from services.actions.adapters.people import create_operator

    async def work(pool: Any) -> int:
        token = await create_operator(pool, args.id, args.name)
        print(json.dumps({"id": args.id, "token": token}, indent=2))
        print("Store the token now: it is not shown again.", file=sys.stderr)
        return 0

    return asyncio.run(with_pool(work))
