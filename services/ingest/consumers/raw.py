"""The `interactions.raw` gate: what channel systems publish straight to Kafka, validated.

Runs on `plumbing.consuming.CommitAfterWork`, as every consumer loop does: each batch's
valid events go to `interactions` and the rest to `interactions.dlq` with their field
problems (`Ingest.gate_raw_batch`), and only then are the offsets committed. The broker
away (`BrokerUnavailable`) retries the same batch without end; a message whose handling
fails for any other reason is dead-lettered with that reason, and the messages behind
it go on.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.topics import Topics
from services.ingest.handlers import Ingest
from services.ingest.settings import Settings
from services.plumbing.consuming import CommitAfterWork, Record
from services.plumbing.kafka import make_consumer


def raw_loop(settings: Settings, topics: Topics, ingest: Ingest) -> CommitAfterWork:
    async def work(records: Sequence[Record]) -> None:
        await ingest.gate_raw_batch([(r.value, r.key, list(r.headers)) for r in records])

    async def dead_letter(record: Record, reason: str) -> None:
        await ingest.dead_letter_raw(record.value, record.key, list(record.headers), reason)

    return CommitAfterWork(
        "ingest raw",
        make_consumer(settings, topics.interactions_raw, group_id=settings.ingest_raw_group),
        work,
        dead_letter,
        max_records=500,
    )
