"""The `signals` loop: decide, store, publish; offsets committed only after all of that.

Runs on `plumbing.consuming.CommitAfterWork`: a database or broker fault retries the same
batch without end; a signal whose content cannot be read or stored (a NUL that
PostgreSQL refuses, say) is dead-lettered to `interactions.dlq` with the reason, and the
signals behind it go on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from schemas.events import FieldProblem
from schemas.signals import Signal
from schemas.topics import Topics
from services.actions.handlers import Actions
from services.actions.settings import Settings
from services.plumbing.consuming import CommitAfterWork, Record
from services.plumbing.kafka import dead_letter_headers, make_consumer

log = logging.getLogger(__name__)


class UnreadableSignal(ValueError):
    def __init__(self, error: ValidationError):
        self.problems = [
            FieldProblem(field=".".join(map(str, e["loc"])) or "(signal)", reason=e["msg"])
            for e in error.errors(include_url=False)
        ]
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


def read_signal(record: Record) -> Signal:
    try:
        return Signal.model_validate_json(record.value or b"")
    except ValidationError as error:
        raise UnreadableSignal(error) from None


def signals_loop(
    settings: Settings,
    topics: Topics,
    actions: Actions,
    producer: AIOKafkaProducer,
    on_started: object = None,
) -> CommitAfterWork:
    async def work(records: Sequence[Record]) -> None:
        await actions.on_signals([(read_signal(r), list(r.headers)) for r in records])

    async def dead_letter(record: Record, reason: str) -> None:
        try:
            read_signal(record)
            problems = [FieldProblem(field="(signal)", reason=reason)]
        except UnreadableSignal as unreadable:
            problems = unreadable.problems
        await producer.send_and_wait(
            topics.interactions_dlq,
            record.value or b"",
            key=record.key,
            headers=dead_letter_headers(list(record.headers), problems, "actions"),
        )

    return CommitAfterWork(
        "actions",
        make_consumer(settings, topics.signals, group_id=settings.actions_group),
        work,
        dead_letter,
        on_started=on_started,  # type: ignore[arg-type]
    )
