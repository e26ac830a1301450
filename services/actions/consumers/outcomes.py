"""The `outcomes` loop: the one path that learns from what agents and customers did.

Agents' outcomes (posted to actions, relayed by its outbox), channels' (posted to
`POST /v1/outcomes`, or produced straight to the topic) all arrive here. One consumer
group for all replicas (ACTIONS_GROUP + `-outcomes`); each batch is learned in one
transaction and its offsets committed after that, so a crash replays the batch, which
teaches nothing twice. An outcome that cannot be read, or that answers a recommendation
actions does not have, is dead-lettered with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from schemas.recommendations import Outcome
from schemas.topics import Topics
from services.actions.handlers import Actions
from services.actions.settings import Settings
from services.plumbing.consuming import CommitAfterWork, Record
from services.plumbing.kafka import dead_letter_as, make_consumer


def outcomes_loop(
    settings: Settings, topics: Topics, actions: Actions, producer: AIOKafkaProducer
) -> CommitAfterWork:
    async def work(records: Sequence[Record]) -> None:
        await actions.learn([Outcome.model_validate_json(r.value or b"") for r in records])

    return CommitAfterWork(
        "actions outcomes",
        # Not on the way to a desktop: a longer fetch wait batches more per request.
        make_consumer(
            settings,
            topics.outcomes,
            group_id=f"{settings.actions_group}-outcomes",
            fetch_max_wait_ms=settings.kafka_background_fetch_wait_ms,
        ),
        work,
        dead_letter_as(producer, topics.interactions_dlq, Outcome, "(outcome)", "actions"),
        max_records=500,
    )
