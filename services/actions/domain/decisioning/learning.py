"""Learning from outcomes: a Beta-Bernoulli posterior per action and segment, and the
propensity drawn from it by Thompson sampling, with exploration kept within bounds.

Each action starts from its catalogue prior (`propensity`, worth `prior_weight`
outcomes). Every outcome on `outcomes` counts once per recommendation: accepted or
completed is a success, declined a failure; snoozed, and declines "not now" or "already
done" (about the moment, not the action), teach nothing. The segment is the customer's
value tier, used only with profiling consent: without it a customer gets, and teaches,
only the action's population-wide posterior ("all"), so no profiling-based score is made
for them. A segment's prior is the population posterior, so a segment starts from what
everyone taught and moves away as its own outcomes come in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from schemas.recommendations import DeclineReason, OutcomeKind
from schemas.signals import CustomerSnapshot
from services.actions.domain.decisioning.context import Tallies, Tally

EVERYONE = "all"
# Declines that say the moment was wrong, not the action.
_NOT_ABOUT_THE_ACTION = frozenset({DeclineReason.not_now, DeclineReason.already_done})


def reward(outcome: OutcomeKind, reason: DeclineReason | None = None) -> int | None:
    """1 for a taken-up action, 0 for a refused one, None for an outcome that teaches
    nothing about the action."""
    if outcome in (OutcomeKind.accepted, OutcomeKind.completed):
        return 1
    if outcome is OutcomeKind.declined and reason not in _NOT_ABOUT_THE_ACTION:
        return 0
    return None


def segment_of(profile: CustomerSnapshot) -> str | None:
    """The customer's learning segment, or None without profiling consent."""
    if not profile.consent_profiling:
        return None
    return f"tier:{profile.value_tier or 'unknown'}"


@dataclass(frozen=True)
class Posterior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def outcomes(self) -> float:
        return self.alpha + self.beta


def posterior(
    code: str, prior: float, prior_weight: float, segment: str | None, tallies: Tallies
) -> Posterior:
    """What the outcomes so far say about the action's acceptance rate for this segment."""
    everyone = tallies.get((code, EVERYONE), Tally())
    overall = Posterior(
        prior * prior_weight + everyone.successes,
        (1 - prior) * prior_weight + everyone.failures,
    )
    if segment is None:
        return overall
    own = tallies.get((code, segment), Tally())
    return Posterior(
        overall.mean * prior_weight + own.successes,
        (1 - overall.mean) * prior_weight + own.failures,
    )


def thompson(belief: Posterior, rng: random.Random, exploration: float) -> float:
    """A propensity drawn from the posterior, never further than `exploration` from its
    mean: 0 always takes the mean (no exploring), 1 the raw Thompson draw."""
    draw = rng.betavariate(belief.alpha, belief.beta)
    low, high = belief.mean - exploration, belief.mean + exploration
    return min(1.0, max(0.0, min(high, max(low, draw))))
