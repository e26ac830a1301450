"""Prometheus metrics for every process, and the periodic snapshot sent to `ops.metrics`.

Each process exposes its default registry at `/metrics`; `OpsReporter` also publishes a
JSON snapshot of the same counters every few seconds, keyed by service name, so operators
can watch the platform from Kafka without scraping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from schemas.ops import OpsSnapshot

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
READY = Gauge("moments_ready", "1 while a readiness check passes, 0 while it fails", ["check"])
_readiness: list[ReadinessCheck] = []


def watch_readiness(check: ReadinessCheck) -> None:
    """The process's /readyz checks, so that every snapshot and scrape carries them."""
    _readiness[:] = [check]


def record_readiness(results: dict[str, bool]) -> None:
    """Set `moments_ready{check}` from the checks' results."""
    for name, passed in results.items():
        READY.labels(name).set(1 if passed else 0)


async def refresh_readiness(timeout_s: float = 5.0) -> None:
    """Run the readiness checks and set `moments_ready{check}`; a hung check reads 0."""
    for check in _readiness:
        try:
            results = await asyncio.wait_for(check(), timeout_s)
        except Exception:  # a check that cannot answer is a check that fails
            results = {name: False for name in _known_checks()}
        record_readiness(results)


def _known_checks() -> list[str]:
    return [s.labels["check"] for f in READY.collect() for s in f.samples]


def snapshot(registry: CollectorRegistry = REGISTRY, prefix: str = "moments_") -> dict[str, float]:
    """The current value of every sample whose name starts with `prefix`."""
    values: dict[str, float] = {}
    for family in registry.collect():
        for sample in family.samples:
            if not sample.name.startswith(prefix) or sample.name.endswith("_created"):
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


class OpsReporter:
    """Publishes `snapshot()` to the ops topic every `interval_s` until stopped."""

    def __init__(
        self,
        producer: Callable[[], AIOKafkaProducer],
        topic: str,
        service: str,
        interval_s: float,
    ):
        # A callable, because a service may replace its producer while reconnecting.
        self.producer, self.topic, self.service, self.interval_s = (
            producer,
            topic,
            service,
            interval_s,
        )
        self._task: asyncio.Task[None] | None = None

    async def _message(self) -> dict[str, Any]:
        await refresh_readiness()
        return self.message()

    def message(self) -> dict[str, Any]:
        return OpsSnapshot(
            service=self.service,
            instance=f"{socket.gethostname()}:{os.getpid()}",
            time=time.time(),
            metrics=snapshot(),
        ).model_dump()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.producer().send(
                    self.topic,
                    json.dumps(await self._message()).encode(),
                    key=self.service.encode(),
                )
            except Exception:  # an ops snapshot must never take the service down
                log.warning("could not publish ops metrics", exc_info=True)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
