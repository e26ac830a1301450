"""The customer record: who the customer is and how the relationship stands, kept live.

signals publishes one `CustomerRecord` per customer to the compacted `customers` topic
(keyed by customer id) whenever the customer's state changes, and the same
`RelationshipHealth` rides on every `Signal`. actions and any channel can read the latest
record per customer from that topic; an erased customer is a tombstone (a null value).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.health import RelationshipHealth
from schemas.signals import CustomerSnapshot


class LiveContact(BaseModel):
    model_config = ConfigDict(frozen=True)

    agent_id: str | None = Field(default=None, description="Agent on the contact, if any.")
    queue: str | None = Field(default=None, description="Queue of the contact.")
    channel: str | None = Field(default=None, description="Channel of the contact.")
    started_at: datetime | None = Field(default=None, description="When it started.")
    event_id: str | None = Field(default=None, description="Id of the contact.started event.")


class Moment(BaseModel):
    """One thing that happened to the customer, for the agent's timeline."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="Event type or signal type, e.g. complaint.filed.")
    at: datetime = Field(description="When it happened.")
    summary: str = Field(description="One line in plain words.")
    event_id: str | None = Field(default=None, description="The event behind it, if any.")
    sentiment: float | None = Field(default=None, description="-1 bad to +1 good, if known.")


class OpenIssue(BaseModel):
    """An underlying issue still inside its cool-down window (see `Signal.issue`)."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="e.g. complaint:billing or life_event:divorce.")
    occurrences: int = Field(ge=1, description="How often it came up in its window.")
    last_at: datetime = Field(description="When it last came up.")


class LostProduct(BaseModel):
    """A product the customer cancelled (a `cancellation.completed`)."""

    model_config = ConfigDict(frozen=True)

    product: str = Field(description="The product.")
    at: datetime = Field(description="When the cancellation went through.")


class CustomerRecord(BaseModel):
    """Latest profile, relationship health and live contact of one customer."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(description="The customer.")
    profile: CustomerSnapshot = Field(description="Profile and consents as signals knows them.")
    health: RelationshipHealth = Field(description="Relationship health now.")
    live_contact: LiveContact | None = Field(
        default=None, description="The contact in progress, if any (screen-pop)."
    )
    moments: list[Moment] = Field(
        default_factory=list, description="Recent moments, newest last (bounded)."
    )
    tenure_days: int | None = Field(default=None, description="Days since first seen or known.")
    open_issues: list[OpenIssue] = Field(
        default_factory=list, description="Issues inside their cool-down window, oldest first."
    )
    lost_products: list[LostProduct] = Field(
        default_factory=list, description="Products cancelled in the last year, oldest first."
    )
    updated_at: datetime = Field(description="Event time of the last change.")
    version: int = Field(default=0, ge=0, description="Grows with every change of the record.")


class ErasureRequest(BaseModel):
    """An operator's request to forget a customer, on the `erasures` topic (keyed by the
    customer id): signals deletes the customer's state and tombstones its record."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(description="The customer to forget.")
    erasure_id: str = Field(description="The erasure it belongs to (actions' erasure record).")
    requested_at: datetime = Field(description="When the operator asked.")
