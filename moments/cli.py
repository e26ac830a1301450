"""`moments`: the command line for running and operating Small Moments.

moments run                      the whole local stack, with demo traffic
moments keys create|list|revoke  channel systems' API keys
moments agents create|list|revoke agents and their desktop tokens
moments operators create         operators (reports, erasure) and their tokens
moments migrate                  apply database migrations
moments topics                   create the Kafka topics (KAFKA_* from the environment)
moments simulate                 a simulated customer population sending events
moments evaluate-health          relationship health against the simulator's churn hazard
moments report uplift            treated customers against the holdout, with intervals
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from services.plumbing.database import create_pool, migrate


def _database_url() -> tuple[str, Any]:
    """DATABASE_URL, or the embedded server under .moments/ (started if need be)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    from moments.stack import StackSettings, start_embedded_postgres

    settings = StackSettings()
    server, url = start_embedded_postgres(settings.moments_home.resolve() / "postgres")
    return url, server


async def _with_pool(work: Callable[[Any], Awaitable[int]]) -> int:
    url, server = _database_url()
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


def cmd_run(args: argparse.Namespace) -> int:
    from moments.stack import Stack, StackSettings

    stack = Stack(StackSettings())
    stopping = asyncio.Event()

    async def main() -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        print("Starting Small Moments (Ctrl-C stops everything)...", flush=True)
        await stack.start_infrastructure()
        credentials = await stack.issue_dev_credentials()
        await stack.start_services()
        if not args.no_demo:
            stack.start_demo(args.demo_rate, args.demo_customers)
        s = stack.settings
        print(
            f"\nSmall Moments is running.\n"
            f"  ingest     http://127.0.0.1:{s.ingest_port}  (API docs: /docs)\n"
            f"  desktop    http://127.0.0.1:{s.actions_port}/desktop?token={credentials['agent_token']}\n"
            f"  ops        http://127.0.0.1:{s.actions_port}/ops#token={credentials['operator_token']}\n"
            f"  signals    http://127.0.0.1:{s.signals_web_port}/metrics\n"
            f"  broker     {stack.bootstrap_servers}\n"
            f"  logs       {stack.logs}\n"
            f"  credentials {stack.home / 'dev-credentials.json'}\n"
            + ("  demo traffic is flowing\n" if not args.no_demo else ""),
            flush=True,
        )
        while not stopping.is_set():
            dead = stack.check_children()
            if dead is not None:
                print(f"{dead.name} exited ({dead.process.returncode}); see {dead.log_path}")
                return 1
            try:
                await asyncio.wait_for(stopping.wait(), 1.0)
            except TimeoutError:
                pass
        return 0

    try:
        return asyncio.run(main())
    finally:
        print("Stopping...", flush=True)
        stack.stop()
        print("Stopped.", flush=True)


def cmd_keys(args: argparse.Namespace) -> int:
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

    return asyncio.run(_with_pool(work))


def cmd_agents(args: argparse.Namespace) -> int:
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

    return asyncio.run(_with_pool(work))


def cmd_operators(args: argparse.Namespace) -> int:
    from services.actions.adapters.people import create_operator

    async def work(pool: Any) -> int:
        token = await create_operator(pool, args.id, args.name)
        print(json.dumps({"id": args.id, "token": token}, indent=2))
        print("Store the token now: it is not shown again.", file=sys.stderr)
        return 0

    return asyncio.run(_with_pool(work))


def cmd_migrate(_: argparse.Namespace) -> int:
    async def work(pool: Any) -> int:
        print("migrations applied")
        return 0

    return asyncio.run(_with_pool(work))


def cmd_topics(args: argparse.Namespace) -> int:
    from schemas.topics import Topics
    from services.plumbing.kafka import ensure_topics, wait_for_broker
    from services.plumbing.settings import KafkaSettings

    settings = KafkaSettings()

    async def work() -> int:
        try:
            await wait_for_broker(settings.kafka_bootstrap_servers, args.wait)
        except TimeoutError as error:
            print(f"moments topics: {error}", file=sys.stderr)
            return 1
        created = set(await ensure_topics(settings))
        for name in Topics(settings.kafka_topic_prefix).all():
            print(f"{name}  {'created' if name in created else 'exists'}")
        return 0

    return asyncio.run(work())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moments", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the whole local stack")
    run.add_argument("--no-demo", action="store_true", help="no demo traffic")
    run.add_argument("--demo-rate", type=float, default=2.0, help="demo events per second")
    run.add_argument("--demo-customers", type=int, default=200, help="demo population size")
    run.set_defaults(handler=cmd_run)

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
    keys.set_defaults(handler=cmd_keys)

    agents = commands.add_parser("agents", help="manage agents")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True)
    agent = agent_commands.add_parser("create", help="create an agent or re-issue its token")
    agent.add_argument("--id", required=True)
    agent.add_argument("--queues", required=True, help="comma-separated queues")
    agent.add_argument("--name", default=None)
    agent_commands.add_parser("list", help="list agents (never their tokens)")
    revoke_agent = agent_commands.add_parser("revoke", help="revoke an agent's token")
    revoke_agent.add_argument("id")
    agents.set_defaults(handler=cmd_agents)

    operators = commands.add_parser("operators", help="manage operators (reports, erasure)")
    operator_commands = operators.add_subparsers(dest="operators_command", required=True)
    operator = operator_commands.add_parser("create", help="create an operator or re-issue")
    operator.add_argument("--id", required=True)
    operator.add_argument("--name", default=None)
    operators.set_defaults(handler=cmd_operators)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=cmd_migrate
    )

    topics = commands.add_parser(
        "topics",
        help="create the platform's Kafka topics (idempotent)",
        description="Create every platform topic with KAFKA_TOPIC_PARTITIONS partitions and "
        "KAFKA_REPLICATION_FACTOR replicas on KAFKA_BOOTSTRAP_SERVERS; existing ones are kept.",
    )
    topics.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for the broker (default 60)"
    )
    topics.set_defaults(handler=cmd_topics)

    from moments.simulate.cli import add_parser as add_simulate

    add_simulate(commands)
    from moments.simulate.evaluate import add_parser as add_evaluate_health

    add_evaluate_health(commands)
    from moments.report import add_parser as add_report

    add_report(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
