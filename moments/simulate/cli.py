"""`moments simulate`: send a simulated customer population's events to ingest."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

STORIES: list[list[tuple[str, dict[str, Any]]]] = [
    [
        ("contact.started", {"channel": "voice", "queue": "care", "reason": "billing"}),
        ("cancellation.requested", {"channel": "voice", "product": "broadband", "reason": "price"}),
    ],
    [
        (
            "complaint.filed",
            {
                "channel": "email",
                "category": "billing",
                "severity": "high",
                "text": "I was charged twice and nobody has fixed it.",
            },
        )
    ],
    [
        (
            "renewal.quoted",
            {
                "product": "home insurance",
                "previous_price": 320.0,
                "quoted_price": 410.0,
                "currency": "EUR",
            },
        )
    ],
    [
        (
            "life_event.reported",
            {
                "channel": "branch",
                "kind": "bereavement",
                "text": "My husband passed away last month.",
            },
        )
    ],
    [("payment.missed", {"amount": 54.0, "currency": "EUR", "days_overdue": 12})],
    [
        (
            "feedback.submitted",
            {
                "channel": "app",
                "score": 10,
                "scale": "nps",
                "text": "Brilliant service, thank you!",
            },
        )
    ],
]


def story_events(rng: random.Random, customer: str, source: str) -> list[dict[str, Any]]:
    return [
        {
            "specversion": "1.0",
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "source": source,
            "type": event_type,
            "subject": customer,
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": data,
        }
        for event_type, data in rng.choice(STORIES)
    ]


async def run(args: argparse.Namespace, credentials: dict[str, Any]) -> int:
    headers = {
        "Authorization": f"Bearer {credentials['ingest_api_key']}",
        "Content-Type": "application/cloudevents+json",
    }
    source = f"{credentials.get('source_prefix', '/channels')}/demo"
    rng = random.Random(args.seed)
    sent = 0
    async with httpx.AsyncClient(base_url=args.ingest_url, timeout=10) as client:
        while args.forever or sent < args.events:
            customer = f"cust-{rng.randrange(args.customers):06d}"
            for event in story_events(rng, customer, source):
                response = await client.post(
                    "/v1/events", content=json.dumps(event), headers=headers
                )
                if response.status_code != 202 and not args.quiet:
                    print(f"{response.status_code}: {response.text}", file=sys.stderr)
                sent += 1
                await asyncio.sleep(1 / args.rate)
    return 0


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("simulate", help="send simulated customer traffic")
    parser.add_argument("--target", choices=["http"], default="http")
    parser.add_argument("--ingest-url", default="http://127.0.0.1:8080")
    parser.add_argument("--credentials", default=".moments/dev-credentials.json")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2.0, help="events per second")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--forever", action="store_true")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(
        handler=lambda args: asyncio.run(run(args, json.loads(Path(args.credentials).read_text())))
    )
