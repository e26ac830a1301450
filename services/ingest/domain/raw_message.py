"""Reads one message from `interactions.raw` into a validated event, or says why not.

Pure: no I/O. Accepts the CloudEvents Kafka binding's binary mode (`ce_` headers, JSON
value) and structured mode (`content-type: application/cloudevents+json`, the whole
event as the value), with the same validation as HTTP, and one rule of Kafka's own: the
message key must be the event's subject (the customer), or the event would land on
another customer's partition.
"""

from __future__ import annotations

from schemas.events import EventInvalid, FieldProblem, InteractionEvent, parse_event
from services.ingest.domain.decoding import RequestUndecodable, decode_request


def read_raw_message(
    value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
) -> InteractionEvent | list[FieldProblem]:
    """The event the message carries, or the problems that make it undeliverable."""
    header_map = {name.lower(): raw for name, raw in headers}
    try:
        content_type = header_map.get("content-type", b"").decode(errors="replace")
        if "ce_specversion" in header_map:
            request = decode_request(
                "application/json",
                {"ce-" + n[3:]: v.decode() for n, v in header_map.items() if n.startswith("ce_")},
                value or b"",
                1,
            )
        else:
            request = decode_request(
                content_type or "application/cloudevents+json", {}, value or b"", 1
            )
        event = parse_event(request.events[0])
    except RequestUndecodable as error:
        return [FieldProblem(field=error.field, reason=error.reason)]
    except EventInvalid as error:
        return list(error.problems)
    except UnicodeDecodeError:
        return [FieldProblem(field="headers", reason="ce_ headers must be UTF-8")]
    if key is not None and key.decode(errors="replace") != event.customer_id:
        return [FieldProblem(field="key", reason="the message key must be the subject")]
    return event
