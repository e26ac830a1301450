"""What the agent's cockpit reads: one customer, as `GET /v1/customers/{id}` answers.

The customer's profile, relationship health and live contact (from the latest
`CustomerRecord`), a timeline of what happened (moments, the signals found in them with
their evidence, and what came of earlier recommendations), and the customer's open
recommendations, the best first.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.customers import LiveContact, LostProduct, OpenIssue
from schemas.health import RelationshipHealth
from schemas.recommendations import DeclineReason, OutcomeKind, Recommendation, ScriptChoice
from schemas.signals import CustomerSnapshot, EventRef


class TimelineKind(StrEnum):
    moment = "moment"  # something that happened: an event, in plain words
    signal = "signal"  # what signals found in it, with the events behind it
    outcome = "outcome"  # what an agent or the customer did with a recommendation


class TimelineEntry(BaseModel):
    """One line of the customer's timeline."""

    model_config = ConfigDict(frozen=True)

    kind: TimelineKind = Field(description="moment, signal or outcome.")
    at: datetime = Field(description="When it happened.")
    type: str = Field(description="Event type, signal type or outcome (accepted, declined...).")
    summary: str = Field(description="One line in plain words.")
    event_id: str | None = Field(default=None, description="The event behind a moment.")
    sentiment: float | None = Field(default=None, description="-1 bad to +1 good, if known.")
    evidence: list[EventRef] = Field(
        default_factory=list, description="A signal's evidence: the events behind it."
    )
    recommendation_id: str | None = Field(default=None, description="An outcome's recommendation.")
    outcome: OutcomeKind | None = Field(default=None, description="An outcome's kind.")
    reason: DeclineReason | None = Field(default=None, description="Why it was declined.")
    note: str | None = Field(default=None, description="The agent's note.")
    path: list[ScriptChoice] = Field(
        default_factory=list, description="The way the agent took through the script."
    )
    agent_id: str | None = Field(default=None, description="Who recorded the outcome.")


class ShownRecommendation(Recommendation):
    """A recommendation as a desktop shows it: with its stream position and status."""

    seq: int = Field(description="Its desktop position (the stream's id), or insert order.")
    status: str = Field(description="open, or the latest outcome recorded for it.")


class CustomerView(BaseModel):
    """One customer for the agent on the line: `GET /v1/customers/{id}`."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(description="The customer.")
    profile: CustomerSnapshot | None = Field(
        default=None, description="Profile and consents; none until signals has a record."
    )
    health: RelationshipHealth | None = Field(
        default=None, description="Relationship health with its reasons and 90-day trend."
    )
    tenure_days: int | None = Field(default=None, description="Days since first seen or known.")
    live_contact: LiveContact | None = Field(default=None, description="The contact in progress.")
    on_call: bool = Field(description="True when the asking agent is on that contact.")
    open_issues: list[OpenIssue] = Field(default_factory=list, description="Issues still open.")
    lost_products: list[LostProduct] = Field(
        default_factory=list, description="Products cancelled in the last year."
    )
    timeline: list[TimelineEntry] = Field(
        default_factory=list, description="Moments, signals and outcomes, newest first."
    )
    open_recommendations: list[ShownRecommendation] = Field(
        default_factory=list,
        description="Open and unexpired, the best first (priority, then the newest).",
    )
    recent_recommendations: list[ShownRecommendation] = Field(
        default_factory=list, description="Recent ones with their status, newest first."
    )
    updated_at: datetime | None = Field(default=None, description="When the record last changed.")
