"""Recommendations and their outcomes: what actions decided, and what people did with it.

A `Recommendation` goes to `recommendations.<channel>` and, for the desktop, live to the
agents' streams. Its id is derived from the signal and the action, so one signal never
yields two recommendations for the same action. An `Outcome` goes to `outcomes`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.signals import SignalType


class ActionChannel(StrEnum):
    desktop = "desktop"
    email = "email"
    sms = "sms"
    push = "push"


class Action(BaseModel):
    """What to do, from the action catalogue."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Catalogue code, e.g. retention.ask_what_changed.")
    title: str = Field(description="Short title for the agent or the message.")
    script: str = Field(description="What to say or do, in plain words.")


class SignalRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The signal's id.")
    type: SignalType = Field(description="The signal's type.")


class Why(BaseModel):
    model_config = ConfigDict(frozen=True)

    signals: list[SignalRef] = Field(description="The signals behind the recommendation.")
    reasons: list[str] = Field(description="The reasons in plain words.")


class Recommendation(BaseModel):
    """The next best action for one customer, for one channel and queue."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id derived from the signal and the action.")
    customer_id: str = Field(description="The customer it is for.")
    action: Action
    why: Why
    priority: int = Field(ge=0, le=100, description="0-100; higher goes first.")
    channel: ActionChannel = Field(description="The channel that should act on it.")
    queue: str = Field(description="The contact-centre queue it is for.")
    agent_id: str | None = Field(
        default=None, description="Agent on a live contact with the customer, who gets it too."
    )
    holdout: bool = Field(
        default=False, description="True when the customer is in the holdout group: not shown."
    )
    created_at: datetime = Field(description="When it was made.")
    expires_at: datetime = Field(description="When it stops being useful.")


class OutcomeKind(StrEnum):
    accepted = "accepted"
    declined = "declined"
    snoozed = "snoozed"
    completed = "completed"


class OutcomeRequest(BaseModel):
    """Body of `POST /v1/recommendations/{id}/outcome`."""

    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeKind = Field(description="accepted, declined, snoozed or completed.")
    note: str | None = Field(default=None, max_length=2000, description="Free-text note.")


class Outcome(BaseModel):
    """What an agent or customer did with a recommendation."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Outcome id.")
    recommendation_id: str = Field(description="The recommendation it answers.")
    customer_id: str = Field(description="The customer.")
    action_code: str = Field(description="The recommended action.")
    outcome: OutcomeKind
    note: str | None = Field(default=None, description="Free-text note.")
    agent_id: str | None = Field(default=None, description="Who recorded it.")
    recorded_at: datetime = Field(description="When it was recorded.")
