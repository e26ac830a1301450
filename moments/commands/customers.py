"""`moments customers erase ID`: an operator erases a customer, through actions' admin API.

    moments customers erase cust-1042                         # the local stack's operator
    moments customers erase cust-1042 --actions-url https://actions.example --token smo_...

It asks `DELETE /v1/customers/{id}` with an operator token and prints the erasure record
(who, when, rows deleted; never what they held), then waits until signals has forgotten
the customer too (`--no-wait` returns at once). The token comes from `--token`, else
MOMENTS_OPERATOR_TOKEN, else the `moments run` dev credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from moments.processes import poll


def _credentials(home: Path) -> dict[str, Any]:
    path = home / "dev-credentials.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def erase(args: argparse.Namespace) -> int:
    dev = _credentials(Path(os.environ.get("MOMENTS_HOME", ".moments")))
    token = args.token or os.environ.get("MOMENTS_OPERATOR_TOKEN") or dev.get("operator_token")
    url = (args.actions_url or dev.get("actions_url") or "http://127.0.0.1:8081").rstrip("/")
    if not token:
        print("moments customers erase: no operator token (--token)", file=sys.stderr)
        return 2
    return asyncio.run(_erase(url, token, args))


async def _erase(url: str, token: str, args: argparse.Namespace) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        answer = await client.delete(f"/v1/customers/{args.customer_id}")
        if answer.status_code != 202:
            print(f"moments customers erase: {answer.status_code} {answer.text}", file=sys.stderr)
            return 1
        erasure: dict[str, Any] = answer.json()

        async def done() -> dict[str, Any] | None:
            progress: dict[str, Any] = (await client.get(f"/v1/erasures/{erasure['id']}")).json()
            return progress if progress["state"] == "done" else None

        if not args.no_wait:
            try:
                erasure = await poll(done, args.wait_s, "signals to confirm", every_s=0.5)
            except TimeoutError:
                print(json.dumps(erasure, indent=2))
                print(
                    "signals has not confirmed yet; check again with the id above", file=sys.stderr
                )
                return 1
    print(json.dumps(erasure, indent=2))
    return 0


def add_parser(commands: Any) -> None:
    customers = commands.add_parser("customers", help="operate on customers (erasure)")
    subcommands = customers.add_subparsers(dest="customers_command", required=True)
    parser = subcommands.add_parser(
        "erase",
        help="erase a customer everywhere (operator credential)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("customer_id")
    parser.add_argument("--actions-url", default=None, help="actions' base URL")
    parser.add_argument("--token", default=None, help="operator token")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for signals")
    parser.add_argument("--wait-s", type=float, default=30.0, help="how long to wait")
    parser.set_defaults(handler=erase)
