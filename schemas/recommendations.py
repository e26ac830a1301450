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


class OutcomeKind(StrEnum):
    accepted = "accepted"
    declined = "declined"
    snoozed = "snoozed"
    completed = "completed"


class ScriptAnswer(BaseModel):
    """One answer the customer may give at a step; the agent clicks it."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(min_length=1, max_length=120, description="The answer, as shown.")
    next: str = Field(description="Id of the step it leads to.")


class ScriptStep(BaseModel):
    """One step of a guided conversation: what to say or ask, then the answers; a step
    without answers is a leaf and ends the conversation with an outcome."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$", description="Unique within the script.")
    say: str = Field(min_length=1, description="What the agent says, asks or does here.")
    answers: list[ScriptAnswer] = Field(
        default_factory=list, description="The customer's possible answers; none on a leaf."
    )
    outcome: OutcomeKind | None = Field(
        default=None, description="On a leaf: the outcome it records (accepted, completed...)."
    )
    follow_on: str | None = Field(
        default=None, description="On a leaf: the code of an action to recommend next."
    )


class Script(BaseModel):
    """An action's script as a decision tree, from `start` to leaves that are outcomes."""

    model_config = ConfigDict(frozen=True)

    start: str = Field(description="Id of the first step.")
    steps: list[ScriptStep] = Field(min_length=1, description="Every step, the start first.")


class Action(BaseModel):
    """What to do, from the action catalogue."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Catalogue code, e.g. retention.ask_what_changed.")
    title: str = Field(description="Short title for the agent or the message.")
    script: str = Field(description="What to say or do, in plain words (the guide's opening).")
    guide: Script | None = Field(
        default=None, description="The script as a guided conversation (a decision tree)."
    )


class SignalRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The signal's id.")
    type: SignalType = Field(description="The signal's type.")


class Why(BaseModel):
    model_config = ConfigDict(frozen=True)

    signals: list[SignalRef] = Field(description="The signals behind the recommendation.")
    reasons: list[str] = Field(description="The reasons in plain words.")
    decision: str | None = Field(
        default=None,
        description="How it won, in plain words: its score, the parts of it, what it beat.",
    )


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
    issues: list[str] = Field(
        default_factory=list,
        description="The underlying issues it answers (`Signal.issue`); one open per issue.",
    )
    occurrences: int = Field(
        default=1,
        ge=1,
        description="How often its issue has come up; a repeat strengthens the open one.",
    )
    score: float | None = Field(
        default=None, ge=0, description="Its arbitration score when it won (see the README)."
    )
    updated_at: datetime | None = Field(
        default=None,
        description="When a repeat of its issue last strengthened it (same id, newer content).",
    )


class DeclineReason(StrEnum):
    not_relevant = "not_relevant"  # the recommendation does not fit this customer
    customer_not_interested = "customer_not_interested"
    already_done = "already_done"
    not_now = "not_now"  # the moment is wrong (busy, upset, another matter first)
    other = "other"


class ScriptChoice(BaseModel):
    """One step of the path an agent took through a script, and the answer clicked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: str = Field(max_length=40, description="The step's id.")
    answer: str | None = Field(
        default=None, max_length=120, description="The answer's label; none on the leaf."
    )


class OutcomeRequest(BaseModel):
    """Body of `POST /v1/recommendations/{id}/outcome`."""

    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeKind = Field(description="accepted, declined, snoozed or completed.")
    note: str | None = Field(default=None, max_length=2000, description="Free-text note.")
    reason: DeclineReason | None = Field(default=None, description="Why it was declined.")
    snooze_until: datetime | None = Field(
        default=None, description="Snoozed: when to show it again."
    )
    path: list[ScriptChoice] = Field(
        default_factory=list, max_length=50, description="The way taken through the script."
    )


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
    reason: DeclineReason | None = Field(default=None, description="Why it was declined.")
    snooze_until: datetime | None = Field(default=None, description="Snoozed until.")
    path: list[ScriptChoice] = Field(
        default_factory=list, description="The way taken through the script."
    )
    channel: ActionChannel | None = Field(
        default=None, description="The channel the outcome came from."
    )


class ChannelOutcomeRequest(BaseModel):
    """Body of `POST /v1/outcomes`: what a customer did with a recommendation sent to them
    by email, SMS or push, reported by that channel with its own API key."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=256,
        description="The channel's own id for this response: re-posting it is harmless.",
    )
    recommendation_id: str = Field(max_length=256, description="The recommendation answered.")
    outcome: OutcomeKind = Field(description="accepted, declined, snoozed or completed.")
    reason: DeclineReason | None = Field(default=None, description="Why it was declined.")
    note: str | None = Field(default=None, max_length=2000, description="Free-text note.")
    snooze_until: datetime | None = Field(default=None, description="Snoozed: until when.")
