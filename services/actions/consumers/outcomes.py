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
from pydantic import ValidationError

from schemas.events import FieldProblem
from schemas.recommendations import Outcome
from schemas.topics import Topics
from services.actions.handlers import Actions
from services.actions.settings import Settings
from services.plumbing.consuming import CommitAfterWork, Record
from services.plumbing.kafka import dead_letter_headers, make_consumer


def read_outcome(record: Record) -> Outcome:
    return Outcome.model_validate_json(record.value or b"")


def outcomes_loop(
    settings: Settings, topics: Topics, actions: Actions, producer: AIOKafkaProducer
) -> CommitAfterWork:
    async def work(records: Sequence[Record]) -> None:
        await actions.learn([read_outcome(r) for r in records])

    async def dead_letter(record: Record, reason: str) -> None:
        try:
            read_outcome(record)
            problems = [FieldProblem(field="(outcome)", reason=reason)]
        except ValidationError as error:
            problems = [
                FieldProblem(field=".".join(map(str, e["loc"])) or "(outcome)", reason=e["msg"])
                for e in error.errors(include_url=False)
            ]
        await producer.send_and_wait(
            topics.interactions_dlq,
            record.value or b"",
            key=record.key,
            headers=dead_letter_headers(list(record.headers), problems, "actions"),
        )

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
        dead_letter,
        max_records=500,
    )
