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

from schemas.signals import Signal
from schemas.topics import Topics
from services.actions.handlers import Actions
from services.actions.settings import Settings
from services.plumbing.consuming import CommitAfterWork, Record
from services.plumbing.kafka import dead_letter_as, make_consumer

log = logging.getLogger(__name__)


def signals_loop(
    settings: Settings,
    topics: Topics,
    actions: Actions,
    producer: AIOKafkaProducer,
    on_started: object = None,
) -> CommitAfterWork:
    async def work(records: Sequence[Record]) -> None:
        # A signal that does not validate raises ValidationError, the content's fault: the
        # loop retries the batch one by one and dead-letters it, naming its fields.
        signals = [Signal.model_validate_json(r.value or b"") for r in records]
        await actions.on_signals(
            [(s, list(r.headers)) for s, r in zip(signals, records, strict=True)]
        )

    return CommitAfterWork(
        "actions",
        make_consumer(settings, topics.signals, group_id=settings.actions_group),
        work,
        dead_letter_as(producer, topics.interactions_dlq, Signal, "(signal)", "actions"),
        on_started=on_started,  # type: ignore[arg-type]
    )
