"""`moments keys create|list|revoke`: channel systems' API keys (ingest authenticates them)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from moments.commands.database import with_pool


def add_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="manage channel systems' API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="issue a key")
    create.add_argument("--source", required=True, help="source prefix, e.g. /channels/ivr")
    create.add_argument(
        "--types", required=True, help="allowed types, e.g. contact.*,message.received"
    )
    create.add_argument("--description", default=None)
    key_commands.add_parser("list", help="list keys (never the keys themselves)")
    revoke = key_commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("id")
    keys.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from services.ingest.adapters.keys import create_key, list_keys, revoke_key

    async def work(pool: Any) -> int:
        if args.keys_command == "create":
            types = [t.strip() for t in args.types.split(",") if t.strip()]
            try:
                issued = await create_key(pool, args.source, types, args.description)
            except ValueError as error:
                print(f"moments keys create: {error}", file=sys.stderr)
                return 2
            print(
                json.dumps(
                    {
                        "id": issued.id,
                        "key": issued.key,
                        "source": issued.source_prefix,
                        "types": list(issued.allowed_types),
                    },
                    indent=2,
                )
            )
            print("Store the key now: it is not shown again.", file=sys.stderr)
            return 0
        if args.keys_command == "list":
            for record in await list_keys(pool):
                state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
                print(
                    f"{record.id}  {record.source_prefix}  {','.join(record.allowed_types)}  "
                    f"{state}  {record.description or ''}"
                )
            return 0
        if await revoke_key(pool, args.id):
            print(f"revoked {args.id}")
            return 0
        print(f"moments keys revoke: no active key {args.id}", file=sys.stderr)
        return 1

    return asyncio.run(with_pool(work))
