"""`moments run`: the whole local stack (moments/stack.py), with demo traffic, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any


def add_parser(commands: Any) -> None:
    run = commands.add_parser("run", help="start the whole local stack")
    run.add_argument("--no-demo", action="store_true", help="no demo traffic")
    run.add_argument("--demo-rate", type=float, default=2.0, help="demo events per second")
    run.add_argument("--demo-customers", type=int, default=200, help="demo population size")
    run.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
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
            f"  desktop    http://127.0.0.1:{s.actions_port}/desktop#token={credentials['agent_token']}\n"
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
