"""One JSON Schema file per event type's `data`, per message, and for the envelope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.customers import CustomerRecord
from schemas.decisions import NextBestAction
from schemas.events import EVENT_DATA_MODELS, CloudEventEnvelope
from schemas.recommendations import ChannelOutcomeRequest, Outcome, OutcomeRequest, Recommendation
from schemas.signals import Signal
from tooling.contract import JSON_SCHEMA_DIALECT, Mode


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
    files["channel-outcome-request.json"] = _standalone(ChannelOutcomeRequest, "validation")
    files["next-best-action.json"] = _standalone(NextBestAction, "serialization")
    files["signal.json"] = _standalone(Signal, "serialization")
    files["recommendation.json"] = _standalone(Recommendation, "serialization")
    files["outcome.json"] = _standalone(Outcome, "serialization")
    files["customer.json"] = _standalone(CustomerRecord, "serialization")
    return files


# ---------------------------------------------------------------------------------------
