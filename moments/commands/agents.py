"""`moments agents create|list|revoke`: agents, their queues and their desktop tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from moments.commands.database import with_pool


def add_parser(commands: Any) -> None:
    agents = commands.add_parser("agents", help="manage agents")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True)
    agent = agent_commands.add_parser("create", help="create an agent or re-issue its token")
    agent.add_argument("--id", required=True)
    agent.add_argument("--queues", required=True, help="comma-separated queues")
    agent.add_argument("--name", default=None)
    agent_commands.add_parser("list", help="list agents (never their tokens)")
    revoke_agent = agent_commands.add_parser("revoke", help="revoke an agent's token")
    revoke_agent.add_argument("id")
    agents.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from services.actions.adapters.people import create_agent, list_agents, revoke_agent

    async def work(pool: Any) -> int:
        if args.agents_command == "list":
            for row in await list_agents(pool):
                state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
                print(f"{row['id']}  {','.join(row['queues'])}  {state}  {row['name'] or ''}")
            return 0
        if args.agents_command == "revoke":
            if await revoke_agent(pool, args.id):
                print(f"revoked {args.id}")
                return 0
            print(f"moments agents revoke: no active agent {args.id}", file=sys.stderr)
            return 1
        queues = [q.strip() for q in args.queues.split(",") if q.strip()]
        token = await create_agent(pool, args.id, queues, args.name)
        print(json.dumps({"id": args.id, "token": token, "queues": queues}, indent=2))
        return 0

    return asyncio.run(with_pool(work))
