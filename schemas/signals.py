"""Signals: what the signals service found about a customer, with its evidence.

One `Signal` per finding, keyed by customer on the `signals` topic. Its `id` is derived
from the finding's type, the customer and the event that triggered it, so a replayed or
re-sent event yields the same id and consumers can drop the repeat.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.health import RelationshipHealth


class SignalType(StrEnum):
    cancellation_risk = "cancellation_risk"
    complaint = "complaint"
    repeat_contact = "repeat_contact"
    failed_self_service = "failed_self_service"
    life_event = "life_event"
    price_shock = "price_shock"
    payment_difficulty = "payment_difficulty"
    negative_sentiment = "negative_sentiment"
    abandoned_contact = "abandoned_contact"
    positive_moment = "positive_moment"


class EventRef(BaseModel):
    """Points at a channel event: `source` + `id` identify it."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The event's CloudEvents source.")
    id: str = Field(description="The event's CloudEvents id.")
    type: str = Field(description="The event's type.")
    time: datetime = Field(description="When the event happened.")


class CustomerSnapshot(BaseModel):
    """What signals knows about the customer when the finding is made."""

    model_config = ConfigDict(frozen=True)

    name: str | None = Field(default=None, description="Display name, if known.")
    segment: str | None = Field(default=None, description="Business segment.")
    value_tier: str | None = Field(default=None, description="low, medium, high or top.")
    preferred_channel: str | None = Field(default=None, description="Preferred channel.")
    timezone: str | None = Field(default=None, description="IANA timezone.")
    vulnerable: bool = Field(default=False, description="Needs extra care.")
    consent_service_contact: bool = Field(
        default=True, description="Service contact allowed (assumed until withdrawn)."
    )
    consent_marketing: bool = Field(
        default=False, description="Offers allowed (not assumed until given)."
    )
    consent_profiling: bool = Field(default=False, description="Personalisation allowed.")
    live_agent_id: str | None = Field(
        default=None, description="Agent on a live contact with the customer now, if any."
    )
    live_queue: str | None = Field(default=None, description="Queue of that live contact.")
    live_channel: str | None = Field(default=None, description="Channel of that live contact.")


class Signal(BaseModel):
    """A finding about one customer: a pain point or a small moment."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id: the same trigger never yields two ids.")
    type: SignalType = Field(description="What was found.")
    customer_id: str = Field(description="The customer it is about.")
    strength: float = Field(ge=0, le=1, description="How strong the evidence is, 0-1.")
    reasons: list[str] = Field(description="Why, in plain words, for the person who acts.")
    evidence: list[EventRef] = Field(description="The events behind the finding, newest last.")
    details: dict[str, str | float | int | bool | None] = Field(
        default_factory=dict, description="Type-specific facts, e.g. price_rise_percent."
    )
    customer: CustomerSnapshot = Field(description="The customer's profile at detection.")
    occurred_at: datetime = Field(description="Time of the triggering event.")
    detected_at: datetime = Field(description="When signals made the finding.")
    issue: str | None = Field(
        default=None,
        description=(
            "Stable key of the underlying issue, e.g. `complaint:billing` or "
            "`failed_self_service:web:payment`: repeats of one issue share it, so a repeat "
            "strengthens what is open instead of adding another."
        ),
    )
    occurrences: int = Field(
        default=1, ge=1, description="How many times this issue has come up in its window."
    )
    health: RelationshipHealth | None = Field(
        default=None, description="The customer's relationship health after this event."
    )
