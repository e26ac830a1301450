"""What ingest's OpenAPI description (`/docs`, `/openapi.json`) says beyond the code.

FastAPI derives most of it from the route; this module adds what it cannot see: the
three CloudEvents modes of `POST /v1/events` with an example, the `ce-*` headers of
binary mode, and every error status with its RFC 7807 problem document. schemathesis
checks the live service against it (tests/integration/test_ingest_openapi.py).
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.decoding import BATCH, STRUCTURED
from services.plumbing.problems import PROBLEM_JSON, ProblemResponse

DESCRIPTION = (
    "Channel systems send CloudEvents 1.0 here: structured, binary or batch mode. "
    "202 means the broker has acknowledged every accepted event. Errors are RFC 7807 "
    "problem documents naming each field path and reason."
)

EXAMPLE_EVENT = {
    "specversion": "1.0",
    "id": "ivr-7f3a",
    "source": "/channels/telephony/ivr-eu",
    "type": "cancellation.requested",
    "subject": "cust-1042",
    "time": "2026-11-23T10:15:00Z",
    "datacontenttype": "application/json",
    "data": {"channel": "ivr", "product": "broadband", "reason": "price"},
}
EVENT_SCHEMA = {"type": "object", "description": "A CloudEvent 1.0 (see schemas/json)."}

EVENTS_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemResponse, "description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in {
        400: "Bad JSON or invalid events; errors name each field path and reason",
        401: "Missing, unknown or revoked API key",
        403: "The key may not publish this type or source",
        413: "Body or batch over the limit",
        415: "Unsupported content type",
        422: "Bad query parameter",
        429: "Rate limit exceeded; see Retry-After",
        503: "Broker or database unavailable or slow; the events may have been stored:"
        " re-send them with the same ids after Retry-After",
    }.items()
}

EVENTS_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            STRUCTURED: {"schema": EVENT_SCHEMA, "example": EXAMPLE_EVENT},
            BATCH: {"schema": {"type": "array", "items": EVENT_SCHEMA}},
            "application/json": {
                "schema": {"type": "object", "description": "Binary mode: the data"}
            },
        },
    },
    "parameters": [
        {
            "name": f"ce-{name}",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": f"Binary mode: the {name} attribute",
        }
        for name in ("specversion", "id", "source", "type", "subject", "time")
    ],
}
