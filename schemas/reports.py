"""What `GET /v1/reports/uplift` and `moments report uplift` answer: treated against holdout.

Customers are compared by the first decision actions made for them: treated ones (shown
what was decided) against held-out ones (decided for, never shown), overall and per
action of that first decision, on what happened after it. See README "Proving it pays".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Verdict(StrEnum):
    not_enough_data = "not_enough_data"
    no_effect_shown = "no_effect_shown"
    effect_shown = "effect_shown"


class Interval(BaseModel):
    low: float = Field(description="Lower bound of the difference (treated minus holdout).")
    high: float = Field(description="Upper bound of the difference (treated minus holdout).")


class GroupFigure(BaseModel):
    customers: int = Field(ge=0, description="Customers in the group with a value for this.")
    value: float | None = Field(
        default=None, description="The group's share (0-1) or mean; null without customers."
    )


class Comparison(BaseModel):
    """One outcome, treated against holdout."""

    metric: Literal["retained", "complaint", "repeat_contact", "health"] = Field(
        description="retained: no product lost after the first decision; complaint, "
        "repeat_contact: at least one such signal after it; health: relationship health now."
    )
    title: str = Field(description="The outcome in plain words.")
    kind: Literal["proportion", "mean"] = Field(description="A share of customers, or a mean.")
    better: Literal["higher", "lower"] = Field(description="Which direction is good.")
    treated: GroupFigure = Field(description="Customers whose first decision was shown.")
    holdout: GroupFigure = Field(description="Customers whose first decision was held out.")
    difference: float | None = Field(
        default=None, description="Treated minus holdout (a share's difference is 0-1)."
    )
    interval: Interval | None = Field(
        default=None,
        description="Fixed-sample confidence interval of the difference: Newcombe's hybrid "
        "score interval for shares, a bootstrap for means. Valid for one look only.",
    )
    always_valid: Interval | None = Field(
        default=None,
        description="Confidence sequence of the difference: valid however often the report "
        "is looked at. The verdict is taken from it.",
    )
    verdict: Verdict = Field(description="not_enough_data, no_effect_shown or effect_shown.")
    summary: str = Field(description="The verdict in plain words.")


class ActionUplift(BaseModel):
    """Every outcome for one action (or for all of them)."""

    action_code: str | None = Field(
        description="The action of the customers' first decision; null for all customers."
    )
    treated: int = Field(ge=0, description="Treated customers.")
    holdout: int = Field(ge=0, description="Held-out customers.")
    comparisons: list[Comparison] = Field(description="One per outcome.")


class UpliftReport(BaseModel):
    generated_at: datetime = Field(description="When the report was computed.")
    confidence: float = Field(description="Confidence level of every interval, e.g. 0.95.")
    min_group_size: int = Field(
        description="Fewer customers than this in either group gives not_enough_data."
    )
    overall: ActionUplift = Field(description="All decided customers.")
    actions: list[ActionUplift] = Field(description="Per action of the first decision.")
    method: str = Field(description="How the groups are formed and compared, in plain words.")
