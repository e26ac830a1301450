"""The start/stop lifecycle every service's runtime shares.

A runtime's `start()` returns at once: it spawns supervised tasks (`Lifecycle.spawn`)
that wait for what they need (with backoff, as long as it takes, so services start in
any order) and then run their loops. A task that ends unexpectedly stops the process
non-zero (`consuming.supervise`). `Lifecycle.stop` takes it all down in the order that
loses nothing: the ops reporter first (it sends through a producer), then the tasks (a
consumer loop stops its consumer in its own `finally`), then the producers, then the
database pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from services.plumbing.consuming import supervise
from services.plumbing.metrics import OpsReporter


class Lifecycle:
    """A runtime's supervised tasks, and how they and its clients are stopped."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    def spawn(
        self, work: Coroutine[Any, Any, None], name: str, may_finish: bool = False
    ) -> asyncio.Task[None]:
        """Run `work` as a task whose unexpected end (or, unless `may_finish`, any end)
        stops the process non-zero."""
        task = asyncio.create_task(work, name=name)
        supervise(task, name, may_finish)
        self.tasks.append(task)
        return task

    async def stop(
        self,
        ops: OpsReporter | None = None,
        producers: Iterable[AIOKafkaProducer] = (),
        pool: asyncpg.Pool | None = None,
    ) -> None:
        """Stop the ops reporter, cancel and await every task, stop the producers (a
        producer that never started may refuse: that is no reason to stop stopping),
        then close the pool."""
        if ops is not None:
            await ops.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        for producer in producers:
            with contextlib.suppress(Exception):
                await producer.stop()
        if pool is not None:
            await pool.close()
