"""The uplift report's verdicts in plain words, from the always-valid interval.

"not enough data yet" while either group is below the minimum; "effect shown" (or "the
wrong way") only when the confidence sequence excludes 0; otherwise "no effect shown",
saying so when the single-look interval alone would have claimed an effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.reports import GroupFigure, Interval, Verdict


@dataclass(frozen=True)
class Outcome:
    metric: Literal["retained", "complaint", "repeat_contact", "health"]
    title: str
    kind: Literal["proportion", "mean"]
    better: Literal["higher", "lower"]


def _words(outcome: Outcome, d: float) -> str:
    if outcome.kind == "proportion":
        return f"{abs(d) * 100:.1f} percentage points"
    return f"{abs(d):.1f} health points"


def shown_value(kind: str, value: float | None) -> str:
    """A group's figure as a person reads it: a share in percent, or a mean."""
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if kind == "proportion" else f"{value:.1f}"


def _bounds(outcome: Outcome, interval: Interval) -> str:
    scale, unit = (100, " points") if outcome.kind == "proportion" else (1, "")
    return f"{interval.low * scale:+.1f} to {interval.high * scale:+.1f}{unit}"


def verdict_of(
    outcome: Outcome,
    treated: GroupFigure,
    holdout: GroupFigure,
    difference: float | None,
    interval: Interval | None,
    always_valid: Interval | None,
    min_group_size: int,
) -> tuple[Verdict, str]:
    """The verdict and its plain words; the verdict comes from the always-valid interval."""
    if (
        treated.customers < min_group_size
        or holdout.customers < min_group_size
        or difference is None
        or always_valid is None
        or interval is None
    ):
        return Verdict.not_enough_data, (
            f"Not enough data yet: {treated.customers} treated and {holdout.customers} "
            f"held-out customers; at least {min_group_size} in each group are needed."
        )
    groups = (
        f"({shown_value(outcome.kind, treated.value)} treated,"
        f" {shown_value(outcome.kind, holdout.value)} held out)"
    )
    if always_valid.low > 0 or always_valid.high < 0:
        good = (difference > 0) == (outcome.better == "higher")
        direction = "more" if difference > 0 else "less"
        lead = "Effect shown" if good else "Effect shown, the wrong way"
        return Verdict.effect_shown, (
            f"{lead}: {_words(outcome, difference)} {direction} when treated {groups}; "
            f"always-valid 95% interval {_bounds(outcome, always_valid)}."
        )
    words = (
        f"No effect shown: the difference, {_words(outcome, difference)} "
        f"{'more' if difference >= 0 else 'less'} when treated {groups}, could be chance "
        f"(always-valid 95% interval {_bounds(outcome, always_valid)})."
    )
    if interval.low > 0 or interval.high < 0:
        words += (
            f" The single-look interval ({_bounds(outcome, interval)}) excludes 0, but it is"
            " not valid for a report watched as it runs: keep collecting."
        )
    return Verdict.no_effect_shown, words
