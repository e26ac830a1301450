"""What ingest connects and runs, and how it starts and stops.

`Runtime.start()` returns at once: supervised tasks wait for PostgreSQL (the API keys)
and the broker as long as it takes, so ingest starts in any order and answers 503 until
both are there; `/readyz` says which is missing. Once the broker is there, the
`interactions.raw` gate (consumers/raw.py) runs, unless INGEST_RAW_GATE is off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from schemas.topics import Topics
from services.ingest.adapters.publisher import EventPublisher
from services.ingest.consumers.raw import raw_loop
from services.ingest.domain.rate_limit import RateLimits
from services.ingest.handlers import Ingest, KeyFinder
from services.ingest.settings import Settings
from services.plumbing.api_keys import KeyStore
from services.plumbing.database import database_reachable, pool_when_ready
from services.plumbing.kafka import broker_reachable, make_producer
from services.plumbing.lifecycle import Lifecycle
from services.plumbing.metrics import OpsReporter

log = logging.getLogger(__name__)


class Runtime:
    """What the lifespan connects; `ready()` answers /readyz."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.topics = Topics(settings.kafka_topic_prefix)
        self.pool: Any = None
        self.publisher = EventPublisher(
            make_producer(settings),
            self.topics.interactions,
            self.topics.interactions_dlq,
            settings.ingest_broker_timeout_s,
        )
        self.ingest = Ingest(
            self.publisher,
            RateLimits(settings.ingest_rate_per_source, settings.ingest_rate_burst),
            settings.ingest_max_batch_events,
        )
        self.keys: KeyFinder | None = None
        self.lifecycle = Lifecycle()
        self.connected = asyncio.Event()
        # A callable, because the producer is replaced while the broker is away.
        self.ops = OpsReporter(
            lambda: self.publisher.producer,
            self.topics.ops_metrics,
            "ingest",
            settings.ops_interval_s,
        )

    async def _connect_producer(self) -> None:
        """Keep trying to reach the broker; ingest answers 503 until it does."""
        while True:
            try:
                await self.publisher.producer.start()
                self.publisher.started = True
                self.connected.set()
                log.info("connected to broker %s", self.settings.kafka_bootstrap_servers)
                return
            except Exception as error:
                log.warning("broker not reachable yet: %s", error)
                with contextlib.suppress(Exception):
                    await self.publisher.producer.stop()
                self.publisher.producer = make_producer(self.settings)
                await asyncio.sleep(1.0)

    async def _connect_database(self) -> None:
        """Wait for PostgreSQL as long as it takes; until then requests get 503 Not ready."""
        settings = self.settings
        self.pool = await pool_when_ready(settings.database_url, settings.database_pool_max)
        self.keys = KeyStore(self.pool, settings.ingest_key_cache_s)
        log.info("connected to PostgreSQL")

    async def _run_raw_gate(self) -> None:
        """The raw gate forwards what it validates: it starts once the broker is there."""
        await self.connected.wait()
        await raw_loop(self.settings, self.topics, self.ingest).run()

    async def start(self) -> None:
        self.lifecycle.spawn(self._connect_database(), "ingest database", may_finish=True)
        self.lifecycle.spawn(self._connect_producer(), "ingest producer", may_finish=True)
        if self.settings.ingest_raw_gate:
            self.lifecycle.spawn(self._run_raw_gate(), "interactions.raw gate")
        self.ops.start()

    async def stop(self) -> None:
        await self.lifecycle.stop(self.ops, [self.publisher.producer], self.pool)

    async def ready(self) -> dict[str, bool]:
        broker = self.publisher.started and await broker_reachable(self.publisher.producer)
        database = self.pool is not None and await database_reachable(self.pool)
        return {"broker": broker, "database": database}
