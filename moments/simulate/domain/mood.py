"""A customer's latent mood and the churn hazard that follows from it.

Pain points (an abandoned call, a failed journey, a complaint, a price rise) add to
`pain`; good moments (a problem fixed first time, a purchase, a helpful action taken up)
add to `goodwill`. Both fade with time. The hazard of leaving is the customer's base
hazard (from the telco data) scaled by exp(PAIN_WEIGHT * pain - GOODWILL_WEIGHT *
goodwill). Everything takes `now` (simulated seconds); nothing reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

PAIN_HALF_LIFE_S = 21 * 86400.0
GOODWILL_HALF_LIFE_S = 45 * 86400.0
PAIN_WEIGHT = 0.7
GOODWILL_WEIGHT = 0.6
MAX_HAZARD_PER_DAY = 0.25  # even the angriest customer takes a few days to leave

# How much each moment hurts (positive) or helps (negative), before any scaling.
MOMENTS = {
    "abandoned_contact": 0.4,
    "long_wait": 0.25,
    "unresolved_contact": 0.3,
    "failed_self_service": 0.3,
    "repeat_contact": 0.35,
    "complaint": 0.8,
    "price_rise": 0.6,  # per 20% rise
    "missed_payment": 0.3,
    "life_event": 0.2,  # upheaval makes people review what they pay for
    "resolved_first_time": -0.2,
    "purchase": -0.3,
    "praise": -0.3,
    "action_taken_up": -0.6,
    # What the platform's own contacts do when they land badly (reception.py).
    "misfit": 0.1,  # an offer that answers nothing the customer lived through
    "nagged": 0.25,  # more contact than the customer welcomes
    "repeated_offer": 0.2,  # the same offer again, soon
    "sold_to_in_pain": 0.4,  # a sales pitch while they are hurting
    "harmed": 1.0,  # a vulnerable customer reached by a machine, not a person
}


@dataclass(frozen=True)
class Mood:
    pain: float = 0.0
    goodwill: float = 0.0
    at: float = 0.0  # simulated epoch seconds of the last update

    def at_time(self, now: float) -> Mood:
        """The mood at `now`, both feelings faded by their half-lives."""
        elapsed = max(0.0, now - self.at)
        return Mood(
            pain=self.pain * 0.5 ** (elapsed / PAIN_HALF_LIFE_S),
            goodwill=self.goodwill * 0.5 ** (elapsed / GOODWILL_HALF_LIFE_S),
            at=max(now, self.at),
        )

    def felt(self, moment: str, now: float, scale: float = 1.0) -> Mood:
        """The mood after living through `moment` (a key of MOMENTS) at `now`."""
        weight = MOMENTS[moment] * scale
        faded = self.at_time(now)
        if weight >= 0:
            return replace(faded, pain=faded.pain + weight)
        return replace(faded, goodwill=faded.goodwill - weight)

    def relieved(self, now: float, share: float) -> Mood:
        """An action taken up: part of the pain goes, and goodwill grows."""
        faded = self.at_time(now).felt("action_taken_up", now)
        return replace(faded, pain=faded.pain * (1 - share))


def hazard_per_day(base_per_day: float, mood: Mood, now: float) -> float:
    current = mood.at_time(now)
    scaled = base_per_day * math.exp(
        PAIN_WEIGHT * current.pain - GOODWILL_WEIGHT * current.goodwill
    )
    return min(MAX_HAZARD_PER_DAY, scaled)


def chance_of_leaving(base_per_day: float, mood: Mood, now: float, days: float) -> float:
    """Probability of leaving within the next `days`, at the current hazard."""
    return 1 - math.exp(-hazard_per_day(base_per_day, mood, now) * max(0.0, days))
