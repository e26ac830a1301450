"""`moments simulate`: a seeded customer population sending its channel traffic.

    moments simulate --customers 1000 --seed 7 --rate 50 --events 5000       # to ingest
    moments simulate --target kafka --bootstrap-servers 127.0.0.1:9092 ...   # to Kafka
    moments simulate --seed 7 --events 1000 --out events.jsonl               # to a file
    moments simulate --forever --speed 3600 --respond                        # live demo

Pacing: `--rate` sends that many events per second; without it, the simulated clock
runs `--speed` times faster than the wall clock. The events are a function of the seed,
the population size, the start time and the customer prefix: `--out` with the same
options writes the same file twice. `--respond` answers desktop recommendations as the
customers would, which feeds back into their behaviour (and so is not reproducible).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

from moments.simulate.session import run
from services.actions.settings import Settings as ActionsSettings

HOLDOUT_PERCENT = float(ActionsSettings.model_fields["actions_holdout_percent"].default)
HOLDOUT_SALT = str(ActionsSettings.model_fields["actions_holdout_salt"].default)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "simulate",
        help="send simulated customer traffic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--target", choices=["http", "kafka"], default="http")
    parser.add_argument("--out", default=None, help="write JSON lines here instead of sending")
    parser.add_argument("--ingest-url", default=None, help="default: from the credentials")
    parser.add_argument("--credentials", default=".moments/dev-credentials.json")
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="--target kafka: the broker",
    )
    parser.add_argument(
        "--topic-prefix",
        default=os.environ.get("KAFKA_TOPIC_PREFIX", ""),
        help="--target kafka: topic name prefix",
    )
    parser.add_argument("--customers", type=int, default=200, help="population size")
    parser.add_argument("--customer-prefix", default="cust", help="customer ids: PREFIX-000042")
    parser.add_argument(
        "--seed", type=int, default=None, help="population and stories (default: from the clock)"
    )
    parser.add_argument(
        "--start", default=None, help="simulated start, RFC 3339 (default: now; --out: 2026-01-01)"
    )
    parser.add_argument("--rate", type=float, default=None, help="events per second")
    parser.add_argument(
        "--speed", type=float, default=3600.0, help="simulated seconds per second (without --rate)"
    )
    parser.add_argument("--batch", type=int, default=1, help="events per request or Kafka round")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument(
        "--events", type=int, default=None, help="stop after this many (default 100 without --days)"
    )
    parser.add_argument("--days", type=float, default=None, help="stop after this many sim days")
    parser.add_argument("--forever", action="store_true", help="never stop")
    parser.add_argument(
        "--respond", action="store_true", help="answer desktop recommendations as the customers"
    )
    parser.add_argument("--actions-url", default=None, help="default: from the credentials")
    parser.add_argument("--holdout-percent", type=float, default=HOLDOUT_PERCENT)
    parser.add_argument("--holdout-salt", default=HOLDOUT_SALT)
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.seed is None:
        args.seed = int(time.time())
        if not args.quiet:
            print(f"seed {args.seed} (pass --seed {args.seed} to repeat this run)", file=sys.stderr)
    if args.forever:
        args.days = args.events = None
    elif args.events is None and args.days is None:
        args.events = 100
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
