"""Erasing a customer, as an operator asks for it: `CustomerErasure`.

`request` deletes the customer's rows in PostgreSQL and records the erasure in one
transaction, then publishes an `ErasureRequest` to `erasures` (keyed by the customer, so
the signals worker that holds the customer's state reads it). signals deletes that state
(a tombstone on its changelog) and tombstones the customer's record on `customers`; when
that tombstone comes back (consumers/customers.py), `confirmed` closes the erasure. `relay`
publishes what a crash left unpublished.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import Counter

from schemas.customers import ErasureRequest
from schemas.topics import Topics
from services.actions.adapters.erasure import Erasure, ErasureStore

ERASURES = Counter("moments_actions_erasures", "Customer erasures", ["stage"])


class Publisher(Protocol):
    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[object]: ...


class CustomerErasure:
    def __init__(
        self,
        store: ErasureStore,
        publisher: Publisher,
        topics: Topics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.store, self.publisher, self.topics, self.clock = store, publisher, topics, clock
        self._lock = asyncio.Lock()

    async def request(self, customer_id: str, operator_id: str) -> Erasure:
        erasure = await self.store.erase(
            f"era_{uuid.uuid4().hex[:24]}", customer_id, operator_id, self.clock()
        )
        ERASURES.labels("requested").inc()
        await self.relay()
        return await self.store.get(erasure.id) or erasure

    async def relay(self) -> int:
        """Publish every erasure not yet on `erasures`; returns how many."""
        published = 0
        async with self._lock:
            while pending := await self.store.unpublished():
                acks = []
                for erasure in pending:
                    assert erasure.customer_id is not None  # kept until confirmed
                    message = ErasureRequest(
                        customer_id=erasure.customer_id,
                        erasure_id=erasure.id,
                        requested_at=erasure.requested_at,
                    )
                    acks.append(
                        await self.publisher.send(
                            self.topics.erasures,
                            message.model_dump_json().encode(),
                            key=erasure.customer_id.encode(),
                        )
                    )
                await asyncio.gather(*acks)
                await self.store.mark_published([e.id for e in pending], self.clock())
                ERASURES.labels("published").inc(len(pending))
                published += len(pending)
        return published

    async def confirmed(self, customer_ids: Sequence[str]) -> None:
        """signals tombstoned these customers' records: their erasures are done."""
        ERASURES.labels("confirmed").inc(await self.store.confirm(customer_ids, self.clock()))
