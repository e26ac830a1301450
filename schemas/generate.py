"""Writes the JSON Schema files and the AsyncAPI 3.0 document from the pydantic models.

`python -m schemas.generate` (`make schemas`) rewrites `schemas/json/*.json` and
`schemas/asyncapi.yaml`; with `--check` it writes nothing and exits 1 listing every file
that differs from what it would write, for CI. Run it after changing a model in
`schemas/`, a topic in `services/plumbing/topics.py` or a header the services put on
Kafka messages, and commit the result: tests/unit/test_schemas_generated.py fails on
drift. The output is stable (sorted JSON keys, a fixed YAML order, a trailing newline),
so a diff shows only real changes.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from schemas.customers import CustomerRecord, ErasureRequest
from schemas.events import EVENT_DATA_MODELS, CloudEventEnvelope, FieldProblem
from schemas.recommendations import Outcome, OutcomeRequest, Recommendation
from schemas.signals import Signal
from services.actions.handlers import SEQ_HEADER
from services.actions.settings import Settings as ActionsSettings
from services.ingest.settings import Settings as IngestSettings
from services.plumbing.kafka import (
    DECIDED_AT_HEADER,
    INGESTED_AT_HEADER,
    SIGNALLED_AT_HEADER,
)
from services.plumbing.topics import RECOMMENDATION_CHANNELS, Topics
from services.signals.settings import Settings as SignalsSettings

ROOT = Path(__file__).resolve().parent
JSON_DIR = "json"
ASYNCAPI_FILE = "asyncapi.yaml"

# The version of the public contract (CONTRACT.md), not of the package: it grows a minor
# version when something is added and would grow a major one if anything were removed.
CONTRACT_VERSION = "1.0.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"
# The `path` that ingest (HTTP, Kafka raw gate) and signals give `dead_letter_headers`.
DLQ_PATHS = ("http", "kafka", "signals")

Mode = Literal["validation", "serialization"]


# The services still build this message as a plain dict; the model is here so that the
# contract has a schema for it (tests/unit/test_schemas_generated.py checks both agree).
class OpsSnapshot(BaseModel):
    """A periodic snapshot of one process's counters, published to `ops.metrics`.

    Written by `services.plumbing.metrics.OpsReporter.message` (ingest, actions) and by
    the signals worker's `report_ops` timer.
    """

    service: str = Field(description="ingest, signals or actions; also the message key.")
    instance: str | None = Field(
        default=None, description="host:pid of the process that sent it, when it says."
    )
    time: float = Field(description="When the snapshot was taken, in Unix seconds.")
    metrics: dict[str, float] = Field(
        description='Every `moments_*` Prometheus sample, as `name{label="value"}` -> value.'
    )


# ---------------------------------------------------------------------------------------
# JSON Schema files


def _standalone(model: type[BaseModel], mode: Mode) -> dict[str, Any]:
    return {"$schema": JSON_SCHEMA_DIALECT, **model.model_json_schema(mode=mode)}


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name in `schemas/json/` -> JSON Schema. What the platform receives is
    described as it is validated, what it publishes as it is serialized."""
    files = {
        f"{event_type}.data.json": _standalone(model, "validation")
        for event_type, model in EVENT_DATA_MODELS.items()
    }
    files["cloudevent.json"] = _standalone(CloudEventEnvelope, "validation")
    files["outcome-request.json"] = _standalone(OutcomeRequest, "validation")
    files["signal.json"] = _standalone(Signal, "serialization")
    files["recommendation.json"] = _standalone(Recommendation, "serialization")
    files["outcome.json"] = _standalone(Outcome, "serialization")
    files["customer.json"] = _standalone(CustomerRecord, "serialization")
    return files


# ---------------------------------------------------------------------------------------
# AsyncAPI


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


def _channel(address: str, description: str, messages: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {
            name: {"$ref": f"#/components/messages/{message}"} for name, message in messages
        },
        "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _channels(messages: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    topics = Topics()
    types = list(EVENT_DATA_MODELS)
    channels = {
        "interactions": _channel(
            topics.interactions,
            "Valid channel events, one message per event, keyed by customer. Written only by "
            "ingest, after validation and authorization.",
            [(t, f"interaction.{t}") for t in types],
        ),
        "interactions.raw": _channel(
            topics.interactions_raw,
            "Events that channel systems publish straight to Kafka, in CloudEvents binary or "
            "structured mode. Ingest validates each: valid ones go on to `interactions`, the "
            "rest to `interactions.dlq`.",
            [*((t, f"raw.{t}") for t in types), ("structured", "raw.structured")],
        ),
        "interactions.dlq": _channel(
            topics.interactions_dlq,
            "Everything that could not be accepted, with the reason: nothing is dropped silently.",
            [("deadLetter", "deadLetter")],
        ),
        "signals": _channel(
            topics.signals,
            "What the signals service finds, one message per finding. The same trigger "
            "always yields the same signal id, so a repeat can be dropped.",
            [("signal", "signal")],
        ),
    }
    for channel in RECOMMENDATION_CHANNELS:
        channels[f"recommendations.{channel}"] = _channel(
            topics.recommendations(channel),
            f"Recommendations whose channel is `{channel}`. The same signal never yields two "
            "recommendations for the same action; a repeat carries the same id.",
            [("recommendation", "recommendation")],
        )
    channels["outcomes"] = _channel(
        topics.outcomes,
        "What agents and customers did with recommendations.",
        [("outcome", "outcome")],
    )
    channels["customers"] = _channel(
        topics.customers,
        "Compacted: the latest record per customer (profile, relationship health, live "
        "contact), written by signals on every change; a tombstone when a customer is erased.",
        [("customer", "customer")],
    )
    channels["erasures"] = _channel(
        topics.erasures,
        "Operators' erasure requests, keyed by customer and partitioned like `interactions`,"
        " so the worker holding a customer's state is the one that forgets it.",
        [("erasure", "erasure")],
    )
    channels["ops.metrics"] = _channel(
        topics.ops_metrics,
        "Periodic snapshots for operations, keyed by service name.",
        [("opsSnapshot", "opsSnapshot")],
    )
    missing = set(topics.all()) - {c["address"] for c in channels.values()}
    if missing:
        raise ValueError(f"topics without a channel: {sorted(missing)}")
    for channel_spec in channels.values():
        for ref in channel_spec["messages"].values():
            if ref["$ref"].rsplit("/", 1)[1] not in messages:
                raise ValueError(f"no message {ref['$ref']}")
    return channels


def _group(default: str, variable: str) -> dict[str, Any]:
    return {
        "kafka": {
            "groupId": {
                "type": "string",
                "default": default,
                "description": f"Set with {variable}.",
            },
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _operations(channels: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    def operation(
        action: Literal["send", "receive"],
        channel: str,
        service: str | list[str],
        summary: str,
        bindings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        services = [service] if isinstance(service, str) else service
        spec: dict[str, Any] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": summary,
            "tags": [{"name": name} for name in services],
            "messages": [
                {"$ref": f"#/channels/{channel}/messages/{name}"}
                for name in channels[channel]["messages"]
            ],
        }
        if bindings:
            spec["bindings"] = bindings
        return spec

    def default(settings: type[Any], field: str) -> str:
        return str(settings.model_fields[field].default)

    operations = {
        "ingest.receiveRawInteractions": operation(
            "receive",
            "interactions.raw",
            "ingest",
            "Validate events published straight to Kafka (unless INGEST_RAW_GATE is false).",
            _group(default(IngestSettings, "ingest_raw_group"), "INGEST_RAW_GROUP"),
        ),
        "ingest.sendInteractions": operation(
            "send",
            "interactions",
            "ingest",
            "Publish valid events from HTTP and from `interactions.raw` (acks=all).",
        ),
        "ingest.sendDeadLetters": operation(
            "send", "interactions.dlq", "ingest", "Store invalid events with the reason."
        ),
        "signals.receiveInteractions": operation(
            "receive",
            "interactions",
            "signals",
            "Fold each event into the customer's state and look for signals.",
            _group(default(SignalsSettings, "signals_app_id"), "SIGNALS_APP_ID"),
        ),
        "signals.sendSignals": operation(
            "send", "signals", "signals", "Publish each finding before the state records it."
        ),
        "signals.sendDeadLetters": operation(
            "send", "interactions.dlq", "signals", "Store `interactions` messages it cannot read."
        ),
        "actions.receiveSignals": operation(
            "receive",
            "signals",
            "actions",
            "Decide on recommendations for each new signal.",
            _group(default(ActionsSettings, "actions_group"), "ACTIONS_GROUP"),
        ),
    }
    for channel in RECOMMENDATION_CHANNELS:
        operations[f"actions.send{channel.capitalize()}Recommendations"] = operation(
            "send",
            f"recommendations.{channel}",
            "actions",
            f"Publish recommendations for the {channel} channel once stored.",
        )
    operations["actions.receiveDesktopRecommendations"] = operation(
        "receive",
        "recommendations.desktop",
        "actions",
        "Push new desktop recommendations to connected agents. Every replica reads every "
        "message, from the latest offset, without a consumer group.",
    )
    operations["actions.sendOutcomes"] = operation(
        "send", "outcomes", "actions", "Publish each outcome an agent records."
    )
    operations["signals.sendCustomers"] = operation(
        "send",
        "customers",
        "signals",
        "Publish the customer's latest record whenever their state changes.",
    )
    operations["actions.sendErasures"] = operation(
        "send", "erasures", "actions", "Ask signals to forget an erased customer."
    )
    operations["signals.receiveErasures"] = operation(
        "receive",
        "erasures",
        "signals",
        "Delete the customer's state (a changelog tombstone) and tombstone `customers`.",
        _group(default(SignalsSettings, "signals_app_id"), "SIGNALS_APP_ID"),
    )
    operations["sendOpsMetrics"] = operation(
        "send",
        "ops.metrics",
        ["ingest", "signals", "actions"],
        "Every process publishes a snapshot of its counters every OPS_INTERVAL_S seconds.",
    )
    return operations


def asyncapi_document() -> dict[str, Any]:
    components = _Components()
    messages = _messages(components)
    channels = _channels(messages)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Small Moments",
            "version": CONTRACT_VERSION,
            "description": (
                "Kafka topics of Small Moments: channel events in, signals and "
                "recommendations out. Topic names are as shown, each preceded by "
                "KAFKA_TOPIC_PREFIX when that is set. Generated by `python -m "
                "schemas.generate` from the pydantic models in `schemas/`; do not edit."
            ),
            "license": {
                "name": "Apache-2.0",
                "url": "https://www.apache.org/licenses/LICENSE-2.0",
            },
            "tags": [
                {"name": "ingest", "description": "The front door: HTTP and Kafka in."},
                {"name": "signals", "description": "Finds signals in each customer's events."},
                {"name": "actions", "description": "Turns signals into recommendations."},
            ],
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The broker `moments run` starts; KAFKA_BOOTSTRAP_SERVERS "
                "points the services at another.",
            },
            "compose": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "Apache Kafka in docker-compose.yml (localhost:29092 from the "
                "host).",
            },
        },
        "channels": channels,
        "operations": _operations(channels),
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "messages": messages,
        },
    }


# ---------------------------------------------------------------------------------------
# Files


class _Dumper(yaml.SafeDumper):
    """Writes every repeated object out in full: anchors would make the document harder
    to read and to diff."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render() -> dict[str, str]:
    """Path relative to `schemas/` -> the file's full text."""
    files = {
        f"{JSON_DIR}/{name}": json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
        for name, schema in sorted(json_schemas().items())
    }
    document = yaml.dump(
        copy.deepcopy(asyncapi_document()),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    files[ASYNCAPI_FILE] = (
        "# Generated by `python -m schemas.generate` (make schemas): do not edit.\n" + document
    )
    return files


def _stale(root: Path, expected: dict[str, str]) -> list[str]:
    folder = root / JSON_DIR
    present = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [f"{JSON_DIR}/{p.name}" for p in present if f"{JSON_DIR}/{p.name}" not in expected]


def check(root: Path = ROOT) -> list[str]:
    """The files under `root` that differ from what `write` would produce, or should not
    be there; each with what is wrong."""
    expected = render()
    problems = []
    for name, text in expected.items():
        path = root / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{name}: differs")
    problems += [f"{name}: no longer generated" for name in _stale(root, expected)]
    return problems


def write(root: Path = ROOT) -> list[str]:
    """Write every file under `root`, remove JSON files no model produces; returns the
    names of the files that changed."""
    expected = render()
    changed = []
    (root / JSON_DIR).mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for name in _stale(root, expected):
        (root / name).unlink()
        changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schemas.generate",
        description="Write schemas/json/*.json and schemas/asyncapi.yaml from the models.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files that are out of date",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.root)
        if problems:
            print("Generated schemas are out of date (run `make schemas`):", file=sys.stderr)
            for problem in problems:
                print(f"  schemas/{problem}", file=sys.stderr)
            return 1
        print("Generated schemas are up to date.")
        return 0
    for name in write(args.root):
        print(f"wrote schemas/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
