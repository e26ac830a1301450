"""Relationship health: a 0-100 measure of how a customer relationship stands, explained.

Computed by signals from the customer's moments (see services/signals/domain/health.py),
carried on every `Signal` and on the customer's record on the `customers` topic.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class HealthReason(BaseModel):
    """One contribution to the score, in words an agent can say back to the customer."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="Plain words, e.g. 'Three contacts about billing this week'.")
    impact: float = Field(description="Points this reason adds (+) or takes (-) from the score.")
    kind: str = Field(description="What kind of moment or fact it comes from, e.g. complaint.")


class HealthPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date = Field(description="The day (UTC).")
    score: float = Field(ge=0, le=100, description="The score at the end of that day.")


class RelationshipHealth(BaseModel):
    """A 0-100 measure of the relationship, with its reasons and its recent trend."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=0, le=100, description="0 (broken) to 100 (thriving).")
    band: str = Field(description="at_risk (< 40), strained (40-60), steady (60-80), strong.")
    reasons: list[HealthReason] = Field(
        default_factory=list, description="Top contributions, largest first."
    )
    trend: list[HealthPoint] = Field(
        default_factory=list, description="Daily scores over the last 90 days, oldest first."
    )
    change_30d: float = Field(default=0.0, description="Score now minus 30 days ago.")
    computed_at: datetime = Field(description="Event time the score was computed for.")
