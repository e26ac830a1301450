"""The ops page's feed: what every actions replica reads to draw the page and alert.

Three loops, each retrying on its own so that operations never take actions down:

- topics, without a group, from the latest offset: `ops.metrics` (every process's
  snapshot, into `MetricsHistory`), `interactions.dlq` (the latest reasons; never the
  payload or the key) and every `recommendations.*` topic (the hop stamps on their
  headers, observed into `moments_actions_hop_seconds`);
- consumer lag: each watched group's committed offsets against the end offsets, every
  OPS_LAG_INTERVAL_S, into `LagHistory` and the `moments_consumer_*` gauges;
- the store: relationship-health bands and the last day's outcomes per action every
  10 s, the overall uplift every 30 s (less often when it is costly), also as
  `moments_ops_*` gauges for Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge, Histogram
from pydantic import ValidationError

from schemas.headers import DLQ_PATH_HEADER, DLQ_REASON_HEADER, DLQ_TIME_HEADER
from schemas.ops import OpsSnapshot
from schemas.reports import ActionUplift
from schemas.topics import RECOMMENDATION_CHANNELS, Topics
from services.actions.adapters.reports import ReportStore
from services.actions.domain.dashboard import ActionFigures, DeadLetter, StoreFigures, dashboard
from services.actions.domain.hops import hop_seconds
from services.actions.domain.lag import LagHistory, PartitionLag
from services.actions.domain.operations import MetricsHistory
from services.actions.domain.uplift import action_uplift
from services.actions.settings import Settings

log = logging.getLogger(__name__)

HOP_SECONDS = Histogram(
    "moments_actions_hop_seconds",
    "Time per hop, from the stamps on a recommendation's headers to this reader",
    ["hop"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LAG = Gauge("moments_consumer_lag", "Records not yet committed", ["group", "topic", "partition"])
COMMITTED = Gauge(
    "moments_consumer_committed_offset", "Committed offset", ["group", "topic", "partition"]
)
SHOWN = Gauge("moments_ops_action_shown", "Recommendations shown in the last 24 h", ["action"])
DONE = Gauge(
    "moments_ops_action_outcomes", "Outcomes recorded in the last 24 h", ["action", "outcome"]
)
HEALTH = Gauge("moments_ops_health_customers", "Customers per 10 points of health", ["low"])
UPLIFT = Gauge(
    "moments_ops_uplift",
    "Overall uplift, treated minus holdout, and its always-valid interval",
    ["metric", "bound"],
)
DEAD_LETTERS_KEPT = 20
STORE_EVERY_S, UPLIFT_EVERY_S = 10.0, 30.0
FORGET_AFTER_S = 600.0  # a process silent this long is gone, not just slow


def dead_letter_of(headers: dict[str, bytes]) -> DeadLetter:
    try:
        problems = json.loads(headers.get(DLQ_REASON_HEADER, b"[]"))
        reasons = tuple(f"{p.get('field')}: {p.get('reason')}" for p in problems)
    except (ValueError, AttributeError, TypeError):
        reasons = (headers.get(DLQ_REASON_HEADER, b"").decode(errors="replace")[:500],)
    kind = headers.get("ce_type") or headers.get("ce-type")
    return DeadLetter(
        at=headers.get(DLQ_TIME_HEADER, b"").decode(errors="replace"),
        path=headers.get(DLQ_PATH_HEADER, b"").decode(errors="replace"),
        type=kind.decode(errors="replace")[:100] if kind else None,
        reasons=reasons,
    )


class OpsFeed:
    def __init__(
        self,
        settings: Settings,
        topics: Topics,
        reports: ReportStore,
        clock: Callable[[], float] = time.time,
    ):
        self.settings, self.topics, self.reports, self.clock = settings, topics, reports, clock
        self.thresholds = settings.thresholds()
        self.history = MetricsHistory()
        self.lag = LagHistory()
        self.dead_letters: deque[DeadLetter] = deque(maxlen=DEAD_LETTERS_KEPT)
        self.store: StoreFigures | None = None
        self.uplift: ActionUplift | None = None
        self.started_at = clock()
        self._uplift_at, self._uplift_cost_s = 0.0, 0.0
        groups = dict(settings.ops_consumer_groups)
        groups.setdefault(settings.actions_group, ["signals"])
        groups.setdefault(f"{settings.actions_group}-customers", ["customers"])
        groups.setdefault(f"{settings.actions_group}-outcomes", ["outcomes"])
        self.groups = {g: [topics.prefix + t for t in names] for g, names in groups.items()}

    def view(self) -> dict[str, Any]:
        """The dashboard document, as of now."""
        now = self.clock()
        self.history.forget_silent(now, after_s=FORGET_AFTER_S)
        return dashboard(
            self.history,
            self.lag,
            list(self.dead_letters),
            self.store,
            self.thresholds,
            now,
            self.started_at,
        )

    def topics_read(self) -> list[str]:
        """What the page is fed from, read for it by consumers/feeds.py."""
        return [self.topics.ops_metrics, self.topics.interactions_dlq] + [
            self.topics.recommendations(c) for c in RECOMMENDATION_CHANNELS
        ]

    async def on_record(self, message: Any) -> None:
        self.on_message(message.topic, message.value, dict(message.headers))

    async def run(self) -> None:
        await asyncio.gather(
            self._forever("consumer lag", self._watch_lag, self.settings.ops_lag_interval_s),
            self._forever("ops store", self._read_store, STORE_EVERY_S),
        )

    async def _forever(self, what: str, work: Callable[[], Awaitable[None]], pause: float) -> None:
        failures = 0
        while True:
            try:
                await work()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the page may go stale; actions must go on
                failures += 1
                if failures == 1 or failures % 30 == 0:
                    log.warning("ops feed: %s failed (%s); retrying", what, error)
            await asyncio.sleep(pause)

    def on_message(self, topic: str, value: bytes | None, headers: dict[str, bytes]) -> None:
        now = self.clock()
        if topic == self.topics.ops_metrics:
            try:
                snapshot = OpsSnapshot.model_validate_json(value or b"")
            except ValidationError:
                return
            self.history.add(
                snapshot.service, snapshot.instance or "", snapshot.time, snapshot.metrics, now
            )
        elif topic == self.topics.interactions_dlq:
            self.dead_letters.appendleft(dead_letter_of(headers))
        else:
            for hop, seconds in hop_seconds(headers, now * 1000).items():
                HOP_SECONDS.labels(hop).observe(seconds)

    async def _watch_lag(self) -> None:
        servers = self.settings.kafka_bootstrap_servers
        admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=5000)
        ends = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None)
        await admin.start()
        try:
            await ends.start()
            while True:
                self.lag.add(self.clock(), await self._lag_readings(admin, ends))
                await asyncio.sleep(self.settings.ops_lag_interval_s)
        finally:
            with contextlib.suppress(Exception):
                await ends.stop()
            await admin.close()

    async def _lag_readings(
        self, admin: AIOKafkaAdminClient, ends: AIOKafkaConsumer
    ) -> list[PartitionLag]:
        topics = sorted({t for names in self.groups.values() for t in names})
        described = await admin.describe_topics(topics)
        partitions = {
            t["topic"]: [p["partition"] for p in t["partitions"]]
            for t in described
            if t["error_code"] == 0
        }
        every = [TopicPartition(t, p) for t in topics for p in partitions.get(t, [])]
        end = await ends.end_offsets(every) if every else {}
        readings = []
        for group, names in sorted(self.groups.items()):
            mine = [tp for tp in every if tp.topic in names]
            if not mine:
                continue
            # Explicit partitions: Tansu 0.6 closes the connection on "all of them".
            committed = await admin.list_consumer_group_offsets(group, partitions=mine)
            for tp in mine:
                offset = committed.get(tp)
                reading = PartitionLag(
                    group, tp.topic, tp.partition, offset.offset if offset else -1, end[tp]
                )
                readings.append(reading)
                labels = (group, tp.topic.removeprefix(self.topics.prefix), str(tp.partition))
                LAG.labels(*labels).set(reading.lag)
                COMMITTED.labels(*labels).set(reading.committed)
        return readings

    async def _read_store(self) -> None:
        now = self.clock()
        # Processes replaced long ago (restarts get new pids) are dropped even when
        # nobody opens the page.
        self.history.forget_silent(now, after_s=FORGET_AFTER_S)
        # Every 30 s, or less often when it is costly: at most 5% of the time, per replica.
        if now - self._uplift_at >= max(UPLIFT_EVERY_S, 20 * self._uplift_cost_s):
            started = time.monotonic()
            customers = await self.reports.decided_customers()
            self.uplift = await asyncio.to_thread(action_uplift, None, customers)
            self._uplift_at, self._uplift_cost_s = now, time.monotonic() - started
            for comparison in self.uplift.comparisons:
                if comparison.difference is not None and comparison.always_valid is not None:
                    UPLIFT.labels(comparison.metric, "difference").set(comparison.difference)
                    UPLIFT.labels(comparison.metric, "low").set(comparison.always_valid.low)
                    UPLIFT.labels(comparison.metric, "high").set(comparison.always_valid.high)
        bands = await self.reports.health_distribution()
        since = datetime.fromtimestamp(now, UTC) - timedelta(days=1)
        figures = [
            ActionFigures(
                a.action_code,
                a.shown,
                *(a.outcomes.get(k, 0) for k in ("accepted", "declined", "snoozed", "completed")),
            )
            for a in await self.reports.action_outcomes(since)
        ]
        for index, count in enumerate(bands):
            HEALTH.labels(str(index * 10)).set(count)
        for f in figures:
            SHOWN.labels(f.action_code).set(f.shown)
            for outcome in ("accepted", "declined", "snoozed", "completed"):
                DONE.labels(f.action_code, outcome).set(getattr(f, outcome))
        self.store = StoreFigures(now, bands, figures, self.uplift)
