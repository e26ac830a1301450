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
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx


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
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        answer = client.delete(f"/v1/customers/{args.customer_id}")
        if answer.status_code != 202:
            print(f"moments customers erase: {answer.status_code} {answer.text}", file=sys.stderr)
            return 1
        erasure = answer.json()
        deadline = time.monotonic() + args.wait_s
        while not args.no_wait and erasure["state"] != "done" and time.monotonic() < deadline:
            time.sleep(0.5)  # polling the erasure's progress, with a deadline
            erasure = client.get(f"/v1/erasures/{erasure['id']}").json()
    print(json.dumps(erasure, indent=2))
    if not args.no_wait and erasure["state"] != "done":
        print("signals has not confirmed yet; check again with the id above", file=sys.stderr)
        return 1
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
