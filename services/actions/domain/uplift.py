"""Uplift against the holdout: did treated customers fare better than held-out ones?

Pure statistics over one row per decided customer (`DecidedCustomer`; the database
adapter `adapters/reports.py` builds them). For each outcome, treated minus holdout with:

- a fixed-sample 95% interval: Newcombe's hybrid score interval (his method 10, from two
  Wilson intervals) for shares, a percentile bootstrap (`scipy.stats.bootstrap`) for mean
  relationship health;
- an always-valid 95% confidence sequence (the normal-mixture sequential probability
  ratio test of Johari et al., "Always Valid Inference", 2017), which stays valid however
  often the report is looked at. The verdict is read from it, never from the first.

No clock and no I/O: the caller passes `now` and a seed, so a report is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import stats

from schemas.reports import ActionUplift, Comparison, GroupFigure, Interval, UpliftReport
from services.actions.domain.verdicts import Outcome, verdict_of

MIN_GROUP_SIZE = 30
BOOTSTRAP_RESAMPLES = 2000
# The mixture's spread: the size of effect the sequence is tuned to find soonest. Five
# percentage points for shares, five health points for the score.
MIXTURE_SD = {"proportion": 0.05, "mean": 5.0}
# How far apart two groups can possibly be: shares by 1, health scores (0-100) by 100. An
# interval is cut to that range, which keeps its coverage and drops impossible values.
REACH = {"proportion": 1.0, "mean": 100.0}

METHOD = (
    "A customer is in the holdout by a salted hash of their id (ACTIONS_HOLDOUT_PERCENT of "
    "customers, ACTIONS_HOLDOUT_SALT fixes who): held-out customers get decisions recorded "
    "but never shown. Each decided customer is counted once, by their first decision (the "
    "recommendation whose signal occurred first): treated if it was shown, holdout if not, "
    "and per action by that decision's action. Outcomes are what happened after the event "
    "behind it: retained means no product lost (cancellation.completed); complaint and "
    "repeat_contact mean at least one such signal; health is the relationship-health score "
    "now. Differences are treated minus holdout. 'interval' is a fixed-sample 95% interval "
    "(Newcombe's hybrid score interval for shares, a percentile bootstrap for health): "
    "right for one look at a fixed sample size, too narrow for a report watched as it runs. "
    "'always_valid' is a 95% confidence sequence (normal-mixture SPRT), valid at every look; "
    "the verdict is 'effect shown' only when it excludes 0, and 'not enough data yet' while "
    "either group has fewer than min_group_size customers."
)


@dataclass(frozen=True)
class DecidedCustomer:
    """One customer, by their first decision, and what happened after it."""

    customer_id: str
    action_code: str
    holdout: bool
    retained: bool
    complained: bool
    repeat_contact: bool
    health: float | None  # relationship health now; None when no record is kept


OUTCOMES = (
    Outcome(
        "retained", "Retained: no product lost after the first decision", "proportion", "higher"
    ),
    Outcome("complaint", "Complained after the first decision", "proportion", "lower"),
    Outcome("repeat_contact", "Contacted again and again after it", "proportion", "lower"),
    Outcome("health", "Relationship health now (0-100)", "mean", "higher"),
)


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a share: good at small n and near 0 or 1."""
    if n == 0:
        return 0.0, 1.0
    z, p = _z(confidence), successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval for p1 - p2 (method 10 of Newcombe, 1998)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    d = p1 - p2
    return Interval(
        low=d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        high=d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def bootstrap_interval(
    treated: Sequence[float], holdout: Sequence[float], confidence: float, seed: int
) -> Interval:
    """Percentile bootstrap of the difference of means (resampling each group)."""
    result = stats.bootstrap(
        (np.asarray(treated, dtype=float), np.asarray(holdout, dtype=float)),
        lambda a, b, axis: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        vectorized=True,
        paired=False,
        n_resamples=BOOTSTRAP_RESAMPLES,
        batch=200,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return Interval(low=float(low), high=float(high))


def confidence_sequence(
    difference: float, variance: float, confidence: float, mixture_sd: float
) -> Interval:
    """The always-valid interval: every θ the normal-mixture SPRT does not reject.

    With V the variance of the difference and τ the mixture's spread, the likelihood ratio
    of θ is sqrt(V / (V + τ²)) · exp(τ² (d - θ)² / (2 V (V + τ²))); Ville's inequality
    bounds the chance that it ever passes 1/alpha, so the set where it stays below holds θ
    at every look at once with probability at least 1 - alpha (for large groups: V is the
    usual normal approximation).
    """
    alpha, v, tau2 = 1 - confidence, max(variance, 1e-12), mixture_sd**2
    radius = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / alpha) + math.log((v + tau2) / v)))
    return Interval(low=difference - radius, high=difference + radius)


def _share_variance(successes: int, n: int) -> float:
    # (x + 1) / (n + 2) keeps the variance above 0 when a group is all one way.
    p = (successes + 1) / (n + 2)
    return p * (1 - p) / n


def compare(
    outcome: Outcome,
    treated: Sequence[float],
    holdout: Sequence[float],
    confidence: float = 0.95,
    min_group_size: int = MIN_GROUP_SIZE,
    seed: int = 0,
) -> Comparison:
    """One outcome: `treated` and `holdout` are 0/1 values for shares, else the values."""
    nt, nh = len(treated), len(holdout)
    t_fig = GroupFigure(customers=nt, value=float(np.mean(treated)) if nt else None)
    h_fig = GroupFigure(customers=nh, value=float(np.mean(holdout)) if nh else None)
    difference = interval = always_valid = None
    if nt >= 2 and nh >= 2 and t_fig.value is not None and h_fig.value is not None:
        difference = t_fig.value - h_fig.value
        if outcome.kind == "proportion":
            xt, xh = round(sum(treated)), round(sum(holdout))
            interval = newcombe_interval(xt, nt, xh, nh, confidence)
            variance = _share_variance(xt, nt) + _share_variance(xh, nh)
        else:
            interval = bootstrap_interval(treated, holdout, confidence, seed)
            variance = float(np.var(treated, ddof=1) / nt + np.var(holdout, ddof=1) / nh)
        reach = REACH[outcome.kind]
        unbounded = confidence_sequence(difference, variance, confidence, MIXTURE_SD[outcome.kind])
        always_valid = Interval(low=max(-reach, unbounded.low), high=min(reach, unbounded.high))
    verdict, summary = verdict_of(
        outcome, t_fig, h_fig, difference, interval, always_valid, min_group_size
    )
    return Comparison(
        metric=outcome.metric,
        title=outcome.title,
        kind=outcome.kind,
        better=outcome.better,
        treated=t_fig,
        holdout=h_fig,
        difference=difference,
        interval=interval,
        always_valid=always_valid,
        verdict=verdict,
        summary=summary,
    )


def _values(customers: Sequence[DecidedCustomer], metric: str) -> list[float]:
    if metric == "health":
        return [c.health for c in customers if c.health is not None]
    return [float(getattr(c, {"complaint": "complained"}.get(metric, metric))) for c in customers]


def action_uplift(
    action_code: str | None,
    customers: Sequence[DecidedCustomer],
    confidence: float = 0.95,
    min_group_size: int = MIN_GROUP_SIZE,
    seed: int = 0,
) -> ActionUplift:
    treated = [c for c in customers if not c.holdout]
    holdout = [c for c in customers if c.holdout]
    return ActionUplift(
        action_code=action_code,
        treated=len(treated),
        holdout=len(holdout),
        comparisons=[
            compare(
                outcome,
                _values(treated, outcome.metric),
                _values(holdout, outcome.metric),
                confidence,
                min_group_size,
                seed,
            )
            for outcome in OUTCOMES
        ],
    )


def uplift_report(
    customers: Sequence[DecidedCustomer],
    now: datetime,
    confidence: float = 0.95,
    min_group_size: int = MIN_GROUP_SIZE,
    seed: int = 0,
) -> UpliftReport:
    """Overall and per action of the first decision (largest action first)."""
    by_action: dict[str, list[DecidedCustomer]] = {}
    for customer in customers:
        by_action.setdefault(customer.action_code, []).append(customer)
    ranked = sorted(by_action.items(), key=lambda item: (-len(item[1]), item[0]))
    return UpliftReport(
        generated_at=now,
        confidence=confidence,
        min_group_size=min_group_size,
        overall=action_uplift(None, customers, confidence, min_group_size, seed),
        actions=[
            action_uplift(code, group, confidence, min_group_size, seed) for code, group in ranked
        ],
        method=METHOD,
    )
