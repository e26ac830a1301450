"""Turns an HTTP request's content type, headers and body into CloudEvent attribute dicts.

Pure: no I/O. Supports the three modes of the CloudEvents HTTP binding: structured
(`application/cloudevents+json`), binary (`ce-*` headers, JSON body) and batch
(`application/cloudevents-batch+json`). Problems are raised as `RequestUndecodable`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from schemas.events import MAX_NESTING, load_json

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
JSON = "application/json"


@dataclass(frozen=True)
class DecodedRequest:
    mode: str  # structured, binary or batch
    events: list[Any]  # one decoded JSON value per event, not yet validated
    raw_events: list[bytes]  # what to dead-letter for each event


class RequestUndecodable(ValueError):
    """The request as a whole cannot be read: wrong content type, bad JSON, too many events."""

    def __init__(self, field: str, reason: str, status: int = 400):
        self.field, self.reason, self.status = field, reason, status
        super().__init__(f"{field}: {reason}")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _load_json(body: bytes, what: str) -> Any:
    try:
        return load_json(body)
    except RecursionError:
        raise RequestUndecodable(
            "body", f"{what} is nested deeper than {MAX_NESTING} levels"
        ) from None
    except UnicodeDecodeError:
        raise RequestUndecodable("body", f"{what} is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise RequestUndecodable(
            "body",
            f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None


def decode_request(
    content_type: str | None, headers: Mapping[str, str], body: bytes, max_batch_events: int
) -> DecodedRequest:
    kind = media_type(content_type)
    has_ce_headers = any(name.lower().startswith("ce-") for name in headers)
    if kind == STRUCTURED:
        return DecodedRequest("structured", [_load_json(body, "the event")], [body])
    if kind == BATCH:
        events = _load_json(body, "the batch")
        if not isinstance(events, list):
            raise RequestUndecodable("body", "a batch must be a JSON array of CloudEvents")
        if not events:
            raise RequestUndecodable("body", "the batch is empty")
        if len(events) > max_batch_events:
            raise RequestUndecodable(
                "body", f"the batch has {len(events)} events; the limit is {max_batch_events}", 413
            )
        return DecodedRequest(
            "batch", events, [json.dumps(e, separators=(",", ":")).encode() for e in events]
        )
    if has_ce_headers:
        if kind not in (JSON, ""):
            raise RequestUndecodable(
                "content-type", f"binary mode needs application/json data, not {kind!r}", 415
            )
        attributes: dict[str, Any] = {
            name.lower()[3:]: unquote(value)
            for name, value in headers.items()
            if name.lower().startswith("ce-")
        }
        attributes["datacontenttype"] = JSON
        attributes["data"] = _load_json(body, "the data")
        return DecodedRequest("binary", [attributes], [body])
    raise RequestUndecodable(
        "content-type",
        f"expected {STRUCTURED}, {BATCH}, or ce-* headers with {JSON}; got {kind or 'nothing'!r}",
        415,
    )
