"""Decisions: how actions chose the next best action for one customer moment.

Every decision ranks its candidates (catalogue actions its signals made relevant) by
score = propensity x relevance x value x lever, and names the winners per channel. Every
candidate keeps its score and the reason it won, lost or was not eligible, in plain
words. `GET /v1/customers/{id}/next-best-action` answers a `NextBestAction`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.recommendations import ActionChannel


class Verdict(StrEnum):
    won = "won"  # recommended (or, for a held-out customer, recorded)
    lost = "lost"  # eligible, but another action answered its issues on its channel first
    ineligible = "ineligible"  # a condition, consent, the contact policy or a cap ruled it out


class ScoreParts(BaseModel):
    """The four factors of a candidate's score, each 0-1; the score is their product."""

    model_config = ConfigDict(frozen=True)

    propensity: float = Field(ge=0, le=1, description="Drawn from the learned acceptance rate.")
    relevance: float = Field(ge=0, le=1, description="How strongly this moment calls for it.")
    value: float = Field(ge=0, le=1, description="w_customer x customer + w_business x business.")
    lever: float = Field(ge=0, le=1, description="The catalogue's priority / 100.")


class Candidate(BaseModel):
    """One catalogue action considered in a decision."""

    model_config = ConfigDict(frozen=True)

    action_code: str = Field(description="The catalogue code.")
    title: str = Field(description="The action's title.")
    channel: ActionChannel = Field(description="Where it would go.")
    queue: str = Field(description="The queue (team) it would go to.")
    verdict: Verdict = Field(description="won, lost or ineligible.")
    reason: str = Field(description="Why, in plain words.")
    score: float | None = Field(default=None, ge=0, description="Its score; none if ineligible.")
    parts: ScoreParts | None = Field(default=None, description="The factors of the score.")
    issues: list[str] = Field(default_factory=list, description="The issues it answers.")
    recommendation_id: str | None = Field(
        default=None, description="The recommendation it became, when it won."
    )


class NextBestAction(BaseModel):
    """The decision actions would make for a customer now, from their open issues and
    history: nothing is published or stored by asking."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(description="The customer.")
    at: datetime = Field(description="The time the decision is made for.")
    winners: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per channel, the winning action codes, best first: one per issue.",
    )
    candidates: list[Candidate] = Field(
        default_factory=list, description="Every candidate, the best score first."
    )
    explanation: list[str] = Field(
        default_factory=list, description="The decision in plain words, a line per point."
    )
