"""`moments topics`: create the platform's Kafka topics (KAFKA_* from the environment)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def add_parser(commands: Any) -> None:
    topics = commands.add_parser(
        "topics",
        help="create the platform's Kafka topics (idempotent)",
        description="Create every platform topic with KAFKA_TOPIC_PARTITIONS partitions and "
        "KAFKA_REPLICATION_FACTOR replicas on KAFKA_BOOTSTRAP_SERVERS; existing ones are kept.",
    )
    topics.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for the broker (default 60)"
    )
    topics.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
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
