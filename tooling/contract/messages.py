"""The AsyncAPI document's messages: payloads from the models, headers from the bindings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.customers import CustomerRecord, ErasureRequest
from schemas.events import EVENT_DATA_MODELS, CloudEventEnvelope, FieldProblem
from schemas.headers import (
    DECIDED_AT_HEADER,
    DLQ_PATHS,
    INGESTED_AT_HEADER,
    SEQ_HEADER,
    SIGNALLED_AT_HEADER,
)
from schemas.ops import OpsSnapshot
from schemas.recommendations import Outcome, Recommendation
from schemas.signals import Signal
from tooling.contract import KAFKA_BINDING_VERSION, Mode


class _Components:
    """Collects the schemas that message payloads and headers point at."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}

    def add(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        existing = self.schemas.get(name)
        if existing is not None and existing != schema:
            raise ValueError(f"two different schemas are both called {name}")
        self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def model(self, model: type[BaseModel], mode: Mode) -> dict[str, str]:
        # AsyncAPI resolves `$ref` against the whole document, so pydantic's `#/$defs/X`
        # must become `#/components/schemas/X`.
        schema = model.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            self.add(name, definition)
        return self.add(model.__name__, schema)


def _field_as_header(schema: dict[str, Any]) -> dict[str, Any]:
    """A CloudEvents attribute's JSON Schema as a Kafka header's: a string, never null."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "default")}
    variants = [v for v in schema.pop("anyOf", []) if v.get("type") != "null"]
    if len(variants) == 1:
        schema = {**variants[0], **schema}
    return schema


def _epoch_ms(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": "^[0-9]+$", "description": description}


HOP_HEADERS = {
    INGESTED_AT_HEADER: _epoch_ms("When ingest accepted the event, in Unix milliseconds."),
    SIGNALLED_AT_HEADER: _epoch_ms("When signals made the finding, in Unix milliseconds."),
    DECIDED_AT_HEADER: _epoch_ms("When actions made the recommendation, in Unix milliseconds."),
}


def _cloudevent_headers(validated: bool) -> dict[str, Any]:
    """Headers of the CloudEvents Kafka binding, binary mode: `ce_<attribute>`, plus
    `content-type` for `datacontenttype`. `validated` is what `interactions` carries."""
    attributes = CloudEventEnvelope.model_json_schema()["properties"]
    properties: dict[str, Any] = {
        f"ce_{name}": _field_as_header(attributes[name])
        for name in ("specversion", "id", "source", "type", "subject", "time", "dataschema")
    }
    properties["content-type"] = _field_as_header(attributes["datacontenttype"])
    required = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject"]
    if validated:
        properties["ce_time"]["description"] = "When it happened (RFC 3339), or when ingest got it."
        properties[INGESTED_AT_HEADER] = HOP_HEADERS[INGESTED_AT_HEADER]
        required += ["ce_time", "content-type", INGESTED_AT_HEADER]
    return {
        "type": "object",
        "description": (
            "CloudEvents attributes as Kafka headers (CloudEvents Kafka protocol binding, "
            "binary mode); header values are UTF-8 strings."
            + (" Validated by ingest." if validated else " Not yet validated.")
        ),
        "properties": properties,
        "patternProperties": {
            "^ce_[a-z0-9]{1,20}$": {
                "type": "string",
                "description": "A CloudEvents extension attribute, passed on unchanged.",
            }
        },
        "required": required,
    }


def _kafka_key(description: str) -> dict[str, Any]:
    return {
        "kafka": {
            "key": {"type": "string", "description": description},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


CUSTOMER_KEY = "The customer id (for channel events: the CloudEvents `subject`)."


def _with_type(headers_ref: dict[str, str], event_type: str) -> dict[str, Any]:
    return {
        "allOf": [
            headers_ref,
            {"properties": {"ce_type": {"const": event_type}}, "required": ["ce_type"]},
        ]
    }


def _messages(components: _Components) -> dict[str, dict[str, Any]]:
    validated = components.add("InteractionHeaders", _cloudevent_headers(validated=True))
    raw = components.add("RawInteractionHeaders", _cloudevent_headers(validated=False))
    messages: dict[str, dict[str, Any]] = {}
    for event_type, model in EVENT_DATA_MODELS.items():
        payload = components.model(model, "validation")
        messages[f"interaction.{event_type}"] = {
            "name": event_type,
            "title": f"{event_type} (validated)",
            "summary": f"A valid `{event_type}` event: attributes in headers, data as value.",
            "contentType": "application/json",
            "headers": _with_type(validated, event_type),
            "payload": payload,
            "bindings": _kafka_key(CUSTOMER_KEY),
        }
        messages[f"raw.{event_type}"] = {
            "name": f"raw.{event_type}",
            "title": f"{event_type} (binary mode, not yet validated)",
            "summary": f"A `{event_type}` event as a channel system publishes it in binary mode.",
            "contentType": "application/json",
            "headers": _with_type(raw, event_type),
            "payload": payload,
            "bindings": _kafka_key(
                CUSTOMER_KEY + " A key other than the subject sends the event to the DLQ."
            ),
        }
    messages["raw.structured"] = {
        "name": "raw.structured",
        "title": "Any event type (structured mode, not yet validated)",
        "summary": "The whole CloudEvent as JSON in the value; its `data` must fit its `type`.",
        "contentType": "application/cloudevents+json",
        "headers": {
            "type": "object",
            "properties": {
                "content-type": {"type": "string", "const": "application/cloudevents+json"}
            },
        },
        "payload": components.model(CloudEventEnvelope, "validation"),
        "bindings": _kafka_key(CUSTOMER_KEY),
    }
    problem = components.model(FieldProblem, "serialization")
    messages["deadLetter"] = {
        "name": "deadLetter",
        "title": "A refused event",
        "summary": "What could not be accepted, byte for byte, with why, when and where.",
        "description": (
            "The value is the refused message as received: an HTTP body or one event of a "
            "batch (path `http`), an `interactions.raw` message (path `kafka`), or an "
            "`interactions` message that signals could not read (path `signals`). The "
            "original headers are kept (for HTTP: `ce-*`, `content-type`, `traceparent`)."
        ),
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "properties": {
                "dlq_reason": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "description": (
                        "JSON array of {field, reason} objects "
                        f"(`{problem['$ref']}`): every problem found."
                    ),
                    "examples": ['[{"field": "data.channel", "reason": "Field required"}]'],
                },
                "dlq_time": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it was refused (RFC 3339, UTC).",
                },
                "dlq_path": {
                    "type": "string",
                    "enum": list(DLQ_PATHS),
                    "description": "Where it was refused.",
                },
            },
            "required": ["dlq_reason", "dlq_time", "dlq_path"],
            "additionalProperties": {"type": "string"},
        },
        "payload": {"description": "The refused message's value as received; may be empty."},
        "bindings": _kafka_key(
            "The key as received: the original message's key, or for HTTP the event's "
            "`subject` when it could be read; absent otherwise."
        ),
    }
    messages["signal"] = {
        "name": "signal",
        "title": "Signal",
        "summary": "A finding about one customer, with its evidence.",
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                INGESTED_AT_HEADER: HOP_HEADERS[INGESTED_AT_HEADER],
                SIGNALLED_AT_HEADER: HOP_HEADERS[SIGNALLED_AT_HEADER],
            },
            "required": [SIGNALLED_AT_HEADER],
        },
        "payload": components.model(Signal, "serialization"),
        "bindings": _kafka_key(CUSTOMER_KEY),
    }
    messages["recommendation"] = {
        "name": "recommendation",
        "title": "Recommendation",
        "summary": "The next best action for one customer, for one channel and queue.",
        "description": (
            "The hop timestamps are present when the recommendation was published as the "
            "signal arrived, absent when it was republished after a restart."
        ),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                **HOP_HEADERS,
                SEQ_HEADER: {
                    "type": "string",
                    "pattern": "^[0-9]+$",
                    "description": (
                        "Position in actions' store; what desktops resume from (SSE Last-Event-ID)."
                    ),
                },
            },
            "required": [SEQ_HEADER],
        },
        "payload": components.model(Recommendation, "serialization"),
        "bindings": _kafka_key(CUSTOMER_KEY),
    }
    messages["outcome"] = {
        "name": "outcome",
        "title": "Outcome",
        "summary": "What an agent or customer did with a recommendation.",
        "contentType": "application/json",
        "payload": components.model(Outcome, "serialization"),
        "bindings": _kafka_key(CUSTOMER_KEY),
    }
    messages["customer"] = {
        "name": "customer",
        "title": "Customer record",
        "summary": "Latest profile, relationship health and live contact of one customer.",
        "contentType": "application/json",
        "payload": components.model(CustomerRecord, "serialization"),
        "bindings": _kafka_key(CUSTOMER_KEY + " A null value is a tombstone: erased."),
    }
    messages["erasure"] = {
        "name": "erasure",
        "title": "Erasure request",
        "summary": "Forget a customer: signals deletes their state and tombstones their record.",
        "contentType": "application/json",
        "payload": components.model(ErasureRequest, "serialization"),
        "bindings": _kafka_key(CUSTOMER_KEY),
    }
    messages["opsSnapshot"] = {
        "name": "opsSnapshot",
        "title": "Operations snapshot",
        "summary": "One process's counters, every OPS_INTERVAL_S seconds.",
        "contentType": "application/json",
        "payload": components.model(OpsSnapshot, "serialization"),
        "bindings": _kafka_key("The service name: ingest, signals or actions."),
    }
    return messages
