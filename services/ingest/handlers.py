"""What ingest does with a request or a raw Kafka message, independent of FastAPI.

`submit` takes an authenticated HTTP request's parts and returns the accepted ids, or
raises `Problem` (rendered as RFC 7807). `gate_raw_batch` does the same validation for
messages from `interactions.raw` (consumers/raw.py runs it). Every event received ends
up counted once as accepted, rejected (refused, the sender still holds it) or
dead-lettered (invalid, kept on the DLQ).
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from prometheus_client import Counter, Histogram

from schemas.events import EventInvalid, FieldProblem, InteractionEvent, parse_event
from services.ingest.adapters.publisher import BrokerUnavailable
from services.ingest.domain.access import ApiKey, why_forbidden
from services.ingest.domain.decoding import RequestUndecodable, decode_request
from services.ingest.domain.rate_limit import RateLimits
from services.ingest.domain.raw_message import read_raw_message
from services.plumbing.problems import MAY_HAVE_BEEN_STORED, Problem
from services.plumbing.tracing import continuing

log = logging.getLogger(__name__)

RECEIVED = Counter("moments_ingest_events_received", "Events received", ["path"])
ACCEPTED = Counter("moments_ingest_events_accepted", "Events acknowledged by the broker", ["path"])
REJECTED = Counter(
    "moments_ingest_events_rejected", "Events refused; the sender keeps them", ["path", "reason"]
)
DEAD_LETTERED = Counter(
    "moments_ingest_events_dead_lettered", "Invalid events stored on the DLQ", ["path"]
)
# Per CloudEvents type (a bounded set: only valid events get here), for the ops page.
ACCEPTED_BY_TYPE = Counter(
    "moments_ingest_events_accepted_by_type", "Events acknowledged by the broker", ["type"]
)
ACCEPT_SECONDS = Histogram(
    "moments_ingest_accept_seconds",
    "From request start to broker acknowledgement",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


RawMessage: TypeAlias = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]


class KeyFinder(Protocol):
    """The API keys channel systems authenticate with (plumbing.api_keys.KeyStore)."""

    async def find(self, secret: str) -> ApiKey | None: ...


class Publisher(Protocol):
    async def publish(self, events: list[InteractionEvent]) -> None: ...

    async def dead_letter(
        self,
        value: bytes,
        key: bytes | None,
        headers: list[tuple[str, bytes]],
        problems: list[FieldProblem],
        path: str,
    ) -> None: ...


@dataclass(frozen=True)
class Submitted:
    accepted: list[str]
    rejected: list[dict[str, Any]]
    duplicates_in_request: int = 0


def _subject_key(candidate: Any) -> bytes | None:
    if isinstance(candidate, dict) and isinstance(candidate.get("subject"), str):
        return str(candidate["subject"]).encode(errors="backslashreplace")
    return None


def count_accepted(path: str, events: Sequence[InteractionEvent]) -> None:
    """Count accepted events on `path`, and by type (each type's label looked up once)."""
    ACCEPTED.labels(path).inc(len(events))
    for kind, count in collections.Counter(e.envelope.type for e in events).items():
        ACCEPTED_BY_TYPE.labels(kind).inc(count)


class Ingest:
    """The front door's logic; adapters are passed in (real ones from `app.bootstrap`)."""

    def __init__(self, publisher: Publisher, limits: RateLimits, max_batch_events: int):
        self.publisher, self.limits, self.max_batch_events = publisher, limits, max_batch_events

    async def _dead_letter_all(
        self,
        items: list[tuple[bytes, bytes | None, list[FieldProblem]]],
        headers: list[tuple[str, bytes]],
        path: str,
    ) -> None:
        for value, key, problems in items:
            try:
                await self.publisher.dead_letter(value, key, headers, problems, path)
            except BrokerUnavailable:
                # The sender gets the 4xx and still holds the event: refused, not lost.
                REJECTED.labels(path, "invalid_dlq_unavailable").inc()
                log.warning("dead-letter queue unavailable; invalid event refused only")
                continue
            DEAD_LETTERED.labels(path).inc()

    async def submit(
        self,
        key: ApiKey,
        content_type: str | None,
        headers: Mapping[str, str],
        body: bytes,
        atomic: bool,
    ) -> Submitted:
        started = time.perf_counter()
        kept_headers = [
            (name.lower(), value.encode())
            for name, value in headers.items()
            if name.lower().startswith("ce-") or name.lower() in ("content-type", "traceparent")
        ]
        try:
            request = decode_request(content_type, headers, body, self.max_batch_events)
        except RequestUndecodable as error:
            RECEIVED.labels("http").inc()
            problem = FieldProblem(field=error.field, reason=error.reason)
            if error.status == 400:
                await self._dead_letter_all([(body, None, [problem])], kept_headers, "http")
            else:
                REJECTED.labels("http", "undecodable").inc()
            raise Problem(
                error.status,
                "Unsupported request" if error.status != 400 else "Invalid request",
                str(error),
                [problem.model_dump()],
            ) from None

        RECEIVED.labels("http").inc(len(request.events))
        batch = request.mode == "batch"
        valid: list[tuple[int, InteractionEvent]] = []
        invalid: list[tuple[int, list[FieldProblem]]] = []
        forbidden: list[tuple[int, FieldProblem]] = []
        for index, candidate in enumerate(request.events):
            try:
                event = parse_event(candidate)
            except EventInvalid as error:
                invalid.append((index, error.problems))
                continue
            refusal = why_forbidden(key, event.envelope.source, event.envelope.type)
            if refusal:
                forbidden.append((index, FieldProblem(field=refusal[0], reason=refusal[1])))
            else:
                valid.append((index, event))

        def where(index: int, path: str) -> str:
            return f"[{index}].{path}" if batch else path

        errors = [
            {"index": i, "field": where(i, p.field), "reason": p.reason}
            if batch
            else {"field": p.field, "reason": p.reason}
            for i, problems in invalid
            for p in problems
        ] + [
            {"index": i, "field": where(i, p.field), "reason": p.reason, "status": 403}
            if batch
            else {"field": p.field, "reason": p.reason}
            for i, p in forbidden
        ]

        if forbidden:
            REJECTED.labels("http", "forbidden").inc(len(forbidden))
        if invalid:
            await self._dead_letter_all(
                [(request.raw_events[i], _subject_key(request.events[i]), p) for i, p in invalid],
                kept_headers,
                "http",
            )
        if not valid or (atomic and (invalid or forbidden)):
            if valid:
                REJECTED.labels("http", "atomic_batch").inc(len(valid))
            if forbidden and not invalid:
                raise Problem(403, "Forbidden", "this key may not publish these events", errors)
            detail = (
                "the batch was rejected as a whole (atomic=true)"
                if atomic and valid
                else "no event in the request is valid"
            )
            raise Problem(400 if invalid else 403, "Invalid events", detail, errors)

        wait = self.limits.take(key.id, len(valid), time.monotonic())
        if wait > 0:
            REJECTED.labels("http", "rate_limited").inc(len(valid))
            raise Problem(
                429,
                "Too many requests",
                f"rate limit for this key exceeded; retry in {wait:.1f}s",
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )

        # Within one request, the same source+id twice is one event.
        unique: dict[str, InteractionEvent] = {}
        for _, event in valid:
            unique.setdefault(event.key, event)
        try:
            with continuing(headers):  # the caller's trace, if its request carried one
                await self.publisher.publish(list(unique.values()))
        except BrokerUnavailable as error:
            REJECTED.labels("http", "broker_unavailable").inc(len(valid))
            raise Problem(
                503,
                "Broker unavailable",
                f"the broker did not acknowledge in time ({error}); {MAY_HAVE_BEEN_STORED}",
                headers={"Retry-After": "2"},
            ) from None
        count_accepted("http", [event for _, event in valid])
        ACCEPT_SECONDS.observe(time.perf_counter() - started)
        rejected = [
            {
                "index": e["index"],
                "field": e["field"],
                "reason": e["reason"],
                "status": e.get("status", 400),
            }
            for e in errors
        ]
        return Submitted(
            accepted=[event.envelope.id for _, event in valid],
            rejected=rejected,
            duplicates_in_request=len(valid) - len(unique),
        )

    async def gate_raw(
        self, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> bool:
        """Validate one `interactions.raw` message: True if forwarded, False if dead-lettered."""
        [forwarded] = await self.gate_raw_batch([(value, key, headers)])
        return forwarded

    async def gate_raw_batch(self, messages: Sequence[RawMessage]) -> list[bool]:
        """Forward a batch's valid messages to `interactions` and dead-letter the rest
        (`domain.raw_message`); for each message, True when forwarded.

        Raises BrokerUnavailable so the caller does not commit the offsets. Nothing is
        counted before every send was acknowledged, so a batch retried counts once.
        """
        readings = [read_raw_message(value, key, headers) for value, key, headers in messages]
        events = [r for r in readings if isinstance(r, InteractionEvent)]
        if events:
            await self.publisher.publish(events)
        for (value, key, headers), reading in zip(messages, readings, strict=True):
            if not isinstance(reading, InteractionEvent):
                await self.publisher.dead_letter(value or b"", key, headers, reading, "kafka")
        RECEIVED.labels("kafka").inc(len(messages))
        count_accepted("kafka", events)
        DEAD_LETTERED.labels("kafka").inc(len(messages) - len(events))
        return [isinstance(r, InteractionEvent) for r in readings]

    async def dead_letter_raw(
        self, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]], reason: str
    ) -> None:
        """Dead-letter a raw message whose handling failed for a reason of its own (the
        consumer loop's last resort), and count it like any other."""
        problems = [FieldProblem(field="(event)", reason=reason)]
        await self.publisher.dead_letter(value or b"", key, headers, problems, "kafka")
        RECEIVED.labels("kafka").inc()
        DEAD_LETTERED.labels("kafka").inc()
