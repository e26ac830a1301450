"""One batch of `interactions` (and erasure requests) through the signals handler.

`fold_batch` is pure: it takes the batch's records, a read-through view of the customer
table (`Staged`, whose changes are applied only after the changelog write is acked) and
the clock, and returns what the batch must send: signals, customer records and dead
letters. The consumer loop sends those, waits for every ack, writes the staged states,
waits again, and only then commits (see consumers/interactions.py). A customer who
appears several times in one batch is folded in order: each event sees the state the
previous one left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from schemas.events import FieldProblem
from schemas.headers import INGESTED_AT_HEADER, SIGNALLED_AT_HEADER
from schemas.signals import SignalType
from services.plumbing.changelog import Staged
from services.plumbing.kafka import dead_letter_headers
from services.signals.handlers import Handled, SignalsHandler, decode_interaction

# aiokafka's default max_request_size; a signal carries its evidence, so leave room for
# headers under it. An event whose signal would not fit is dead-lettered, not dropped.
MAX_REQUEST_BYTES = 1_048_576
MAX_SIGNAL_BYTES = MAX_REQUEST_BYTES - 64 * 1024

Headers = list[tuple[str, bytes]]


class Incoming(Protocol):
    """What the fold needs of a consumed record (aiokafka's ConsumerRecord fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class Outgoing:
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)


@dataclass
class Folded:
    """What a batch comes to; the counts feed the service's metrics."""

    signals: list[Outgoing] = field(default_factory=list)
    customers: list[Outgoing] = field(default_factory=list)  # latest record per customer
    dead_letters: list[Outgoing] = field(default_factory=list)
    processed: int = 0
    duplicates: int = 0
    erased: int = 0
    signal_types: list[SignalType] = field(default_factory=list)


def _dead_letter(record: Incoming, reason: str, limit: int = MAX_SIGNAL_BYTES) -> Outgoing:
    body = record.value or b""
    if len(body) > limit:
        reason += f"; the event's first {limit} of {len(body)} bytes are kept"
        body = body[:limit]
    problems = [FieldProblem(field="(event)", reason=reason)]
    headers = dead_letter_headers(list(record.headers), problems, "signals")
    return Outgoing(record.key, body, headers)


def fold_batch(
    records: Iterable[Incoming],
    staged: Staged,
    handler: SignalsHandler,
    now: datetime,
    erasures_topic: str,
    max_signal_bytes: int = MAX_SIGNAL_BYTES,
    traced: Callable[[Incoming], Headers] = lambda _: [],
) -> Folded:
    """`traced(record)`: the trace headers what the record yields carries on."""
    folded = Folded()
    customers: dict[bytes, Handled | None] = {}  # None: erased
    signalled_at = (SIGNALLED_AT_HEADER, str(int(time.time() * 1000)).encode())
    for record in records:
        if record.topic == erasures_topic:
            if record.key:
                staged.put(record.partition, record.key, None)
                customers[record.key] = None  # a tombstone
                folded.erased += 1
            continue
        headers = list(record.headers)
        try:
            event = decode_interaction(record.key, record.value, headers)
        except Exception as error:  # anything unreadable is dead-lettered, never dropped
            folded.dead_letters.append(_dead_letter(record, f"undecodable: {error}"))
            continue
        key = event.customer_id.encode()
        try:
            handled = handler.handle(staged.get(record.partition, key), event, now)
            values = [signal.model_dump_json().encode() for signal in handled.signals]
        except Exception as error:  # the rules are pure: a failure here is the content's
            folded.dead_letters.append(_dead_letter(record, f"unprocessable: {error!r}"))
            continue
        if handled.state is None:
            folded.duplicates += 1
            continue
        staged.put(record.partition, key, handled.state)  # seen, also when refused below
        customers[key] = handled
        oversized = [len(v) for v in values if len(v) > max_signal_bytes]
        if oversized:
            reason = f"its signal would be {max(oversized)} bytes; the limit is {max_signal_bytes}"
            folded.dead_letters.append(_dead_letter(record, reason))
            continue
        passed = [(n, v) for n, v in headers if n == INGESTED_AT_HEADER]
        passed.append(signalled_at)
        passed += traced(record)
        for signal, value in zip(handled.signals, values, strict=True):
            folded.signals.append(Outgoing(key, value, passed))
            folded.signal_types.append(signal.type)
        folded.processed += 1
    for key, latest in customers.items():
        made = latest.customer if latest is not None else None
        folded.customers.append(Outgoing(key, made.model_dump_json().encode() if made else None))
    return folded
