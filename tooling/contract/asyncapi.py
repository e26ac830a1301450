"""The AsyncAPI 3.0 document: every topic a channel, every producer and consumer an operation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from schemas.events import EVENT_DATA_MODELS
from schemas.topics import RECOMMENDATION_CHANNELS, Topics
from services.actions.settings import Settings as ActionsSettings
from services.ingest.settings import Settings as IngestSettings
from services.signals.settings import Settings as SignalsSettings
from tooling.contract import CONTRACT_VERSION, KAFKA_BINDING_VERSION
from tooling.contract.messages import _Components, _messages


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
                "tooling.contract` from the pydantic models in `schemas/`; do not edit."
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
