"""What actions connects and runs, and how it starts and stops.

`Runtime.start()` returns at once: a supervised task waits for PostgreSQL and the broker
(with backoff, as long as it takes, so services start in any order), publishes what a
previous run stored but did not publish, then runs the consumer loops. `/readyz` says
what is missing meanwhile. A loop that ends unexpectedly stops the process non-zero.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from schemas.topics import Topics
from services.actions.adapters.customers import CustomerStore
from services.actions.adapters.erasure import ErasureStore
from services.actions.adapters.history import CustomerHistory
from services.actions.adapters.people import People
from services.actions.adapters.publisher import KafkaPublisher
from services.actions.adapters.push import DesktopHub
from services.actions.adapters.reports import ReportStore
from services.actions.adapters.repository import Repository
from services.actions.adapters.tickets import StreamTickets
from services.actions.consumers.customers import customers_loop
from services.actions.consumers.desktops import DesktopFeed
from services.actions.consumers.feeds import Handler, follow_feeds
from services.actions.consumers.ops_feed import OpsFeed
from services.actions.consumers.outcomes import outcomes_loop
from services.actions.consumers.screen_pop import ScreenPops
from services.actions.consumers.signals import signals_loop
from services.actions.domain.decisioning.catalogue import load_catalogue
from services.actions.domain.decisioning.contact_policy import ChannelCap, ContactPolicy
from services.actions.erasure import CustomerErasure
from services.actions.handlers import Actions
from services.actions.settings import Settings, quiet_hours
from services.plumbing.api_keys import KeyStore
from services.plumbing.consuming import is_transient
from services.plumbing.database import (
    database_reachable,
    pool_when_ready,
)
from services.plumbing.kafka import broker_reachable, make_producer, wait_for_broker
from services.plumbing.lifecycle import Lifecycle
from services.plumbing.metrics import OpsReporter

log = logging.getLogger(__name__)


def contact_policy(settings: Settings) -> ContactPolicy:
    quiet_from, quiet_until = quiet_hours(settings.actions_quiet_hours)
    return ContactPolicy(
        max_per_customer_per_day=settings.actions_max_per_customer_per_day,
        holdout_percent=settings.actions_holdout_percent,
        holdout_salt=settings.actions_holdout_salt,
        id_secret=settings.actions_id_secret.get_secret_value(),
        channel_caps={
            channel: ChannelCap(cap.day, cap.week)
            for channel, cap in settings.actions_channel_caps.items()
        },
        action_max_per_day=settings.actions_action_max_per_day,
        action_max_per_week=settings.actions_action_max_per_week,
        suppress_after_declines=settings.actions_suppress_after_declines,
        suppress_for_days=settings.actions_suppress_for_days,
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        default_timezone=settings.actions_default_timezone,
        weight_customer=settings.actions_weight_customer,
        exploration=settings.actions_exploration,
    )


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topics = Topics(settings.kafka_topic_prefix)
        self.catalogue = load_catalogue(settings.actions_catalogue)
        self.policy = contact_policy(settings)
        self.hub = DesktopHub()
        self.producer = make_producer(settings)
        self.producer_started = False
        self.pool: Any = None
        self.repository: Repository | None = None
        self.people: People | None = None
        self.customers: CustomerStore | None = None
        self.erasure: CustomerErasure | None = None
        self.tickets: StreamTickets | None = None
        self.history: CustomerHistory | None = None
        self.channel_keys: KeyStore | None = None
        self.actions: Actions | None = None
        self.reports: ReportStore | None = None
        self.ops_feed: OpsFeed | None = None
        self.lifecycle = Lifecycle()
        self.consuming_signals = asyncio.Event()
        self.feeding_desktops = asyncio.Event()
        self.popping_screens = asyncio.Event()
        self.ops = OpsReporter(
            lambda: self.producer, self.topics.ops_metrics, "actions", settings.ops_interval_s
        )

    async def start(self) -> None:
        self._spawn(self._connect_and_run(), "actions startup", may_finish=True)

    def _spawn(self, work: Any, name: str, may_finish: bool = False) -> None:
        self.lifecycle.spawn(work, name, may_finish)

    async def _connect_and_run(self) -> None:
        settings = self.settings
        log.info("waiting for PostgreSQL and the broker")
        self.pool = await pool_when_ready(settings.database_url, settings.database_pool_max)
        self.repository = Repository(self.pool)
        self.people = People(self.pool)
        self.customers = CustomerStore(self.pool)
        self.tickets = StreamTickets(self.pool, settings.actions_stream_ticket_s)
        self.history = CustomerHistory(self.pool)
        self.reports = ReportStore(self.pool)
        self.channel_keys = KeyStore(self.pool, settings.actions_key_cache_s)
        await wait_for_broker(settings.kafka_bootstrap_servers, deadline_s=None)
        await self.producer.start()
        self.producer_started = True
        self.actions = Actions(
            self.repository,
            KafkaPublisher(self.producer),
            self.topics,
            self.catalogue,
            self.policy,
            lookback=timedelta(days=settings.actions_lookback_days),
        )
        await self.actions.relay()  # what a previous run stored but did not publish
        self.erasure = CustomerErasure(
            ErasureStore(self.pool, settings.actions_id_secret.get_secret_value()),
            self.producer,
            self.topics,
        )
        await self.erasure.relay()
        loop = signals_loop(
            settings, self.topics, self.actions, self.producer, self.consuming_signals.set
        )
        self._spawn(loop.run(), "signals consumer")
        self._spawn(
            customers_loop(
                settings, self.topics, self.customers, self.producer, self.erasure.confirmed
            ).run(),
            "customers consumer",
        )
        self._spawn(
            outcomes_loop(settings, self.topics, self.actions, self.producer).run(),
            "outcomes consumer",
        )
        self._spawn(self._wake_snoozed(), "snooze clock")
        self.ops_feed = OpsFeed(settings, self.topics, self.reports)
        self._spawn(self.ops_feed.run(), "ops feed")
        pops = ScreenPops(self.hub, self.customers)
        ops: dict[str, list[Handler]] = {
            t: [self.ops_feed.on_record] for t in self.ops_feed.topics_read()
        }
        desktop_topic = self.topics.recommendations("desktop")
        desktop: dict[str, list[Handler]] = {
            desktop_topic: [DesktopFeed(self.hub).on_message, *ops.pop(desktop_topic)],
            self.topics.customers: [pops.on_message],
        }
        self._spawn(
            follow_feeds(
                settings,
                desktop,
                [self.feeding_desktops, self.popping_screens],
                settings.kafka_fetch_wait_ms,
            ),
            "desktop and screen-pop feed",
        )
        self._spawn(
            follow_feeds(settings, ops, [], settings.kafka_background_fetch_wait_ms),
            "ops page's feed",
        )
        self.ops.start()
        log.info("actions started")

    async def _wake_snoozed(self) -> None:
        """Every ACTIONS_DESKTOP_POLL_S, open again what was snoozed until now (every
        replica may: the update hands each recommendation to one of them)."""
        assert self.actions is not None
        while True:
            await asyncio.sleep(self.settings.actions_desktop_poll_s)  # the clock's period
            try:
                await self.actions.wake_snoozed()
            except Exception as error:
                if not is_transient(error):
                    raise
                log.warning("snoozed recommendations not woken yet: %s", error)

    async def stop(self) -> None:
        producers = [self.producer] if self.producer_started else []
        await self.lifecycle.stop(self.ops, producers, self.pool)
        self.consuming_signals.clear()

    async def ready(self) -> dict[str, bool]:
        broker = self.producer_started and await broker_reachable(self.producer)
        database = self.pool is not None and await database_reachable(self.pool)
        return {
            "broker": broker,
            "database": database,
            "consuming_signals": self.consuming_signals.is_set(),
            "feeding_desktops": self.feeding_desktops.is_set(),
            "popping_screens": self.popping_screens.is_set(),
        }
