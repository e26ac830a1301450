"""The `customers` loop: keep actions' copy of each customer's latest record.

One consumer group for all replicas (ACTIONS_GROUP + `-customers`): each batch is stored
in one statement, as the JSON signals wrote (PostgreSQL reads the columns it indexes out
of it; nothing is parsed here), tombstones (erased customers) delete the row, and offsets
are committed after that. A record that cannot be read is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from schemas.customers import CustomerRecord
from schemas.topics import Topics
from services.actions.adapters.customers import CustomerStore
from services.actions.settings import Settings
from services.plumbing.consuming import CommitAfterWork, Record
from services.plumbing.kafka import dead_letter_as, make_consumer

CUSTOMERS = Counter("moments_actions_customer_records", "Customer records stored", ["kind"])


def customers_loop(
    settings: Settings,
    topics: Topics,
    store: CustomerStore,
    producer: AIOKafkaProducer,
    on_erased: Callable[[Sequence[str]], Awaitable[None]] | None = None,
) -> CommitAfterWork:
    async def work(records: Sequence[Record]) -> None:
        # Per customer (the key), in order: the last record wins, and a tombstone before
        # it (an erasure, then new events) deletes first, so the new record's fresh
        # version is not refused as older than the erased one's.
        latest: dict[str, bytes] = {}
        erased: list[str] = []
        for record in records:
            customer = (record.key or b"").decode(errors="replace")
            if record.value is None:
                latest.pop(customer, None)
                if customer:
                    erased.append(customer)
            else:
                latest[customer] = record.value
        await store.forget(erased)
        await store.save_raw(list(latest.values()))
        if erased and on_erased is not None:
            await on_erased(erased)
        CUSTOMERS.labels("record").inc(len(latest))
        CUSTOMERS.labels("tombstone").inc(len(erased))

    return CommitAfterWork(
        "actions customers",
        # Not on the way to a desktop: a longer fetch wait batches more per request.
        make_consumer(
            settings,
            topics.customers,
            group_id=f"{settings.actions_group}-customers",
            fetch_max_wait_ms=settings.kafka_background_fetch_wait_ms,
        ),
        work,
        dead_letter_as(producer, topics.interactions_dlq, CustomerRecord, "(customer)", "actions"),
        max_records=500,
    )
