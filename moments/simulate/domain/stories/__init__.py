"""Stories: what happens to a customer, as the channel events it leaves behind.

A story is a short sequence of `Step`s (offset from its start, event type, channel,
data, and the moment the customer lives through). The simulation picks a story for a
customer from weights that follow their mood and circumstances, then plays its steps
in time order. Each builder is pure: the caller passes the RNG, the customer's life and
the simulated time.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from moments.simulate.domain.stories.life import (
    consent_change,
    feedback,
    life_event,
    message,
    onboarding,
)
from moments.simulate.domain.stories.money import cancellation, missed_payment, purchase, renewal
from moments.simulate.domain.stories.service import (
    abandoned_contact,
    complaint,
    failed_self_service,
    long_wait,
    routine_contact,
)
from moments.simulate.domain.stories.steps import DAY, HOUR, MINUTE, Life, Step

__all__ = [
    "DAY",
    "HOUR",
    "MINUTE",
    "Life",
    "Step",
    "Story",
    "cancellation",
    "onboarding",
    "purchase",
    "renewal",
    "story_weights",
]

Story = Callable[[random.Random, Life, float], list[Step]]


def story_weights(life: Life, at: float) -> list[tuple[Story, float]]:
    """How likely each everyday story is for this customer now."""
    pain = min(2.0, life.mood.at_time(at).pain)  # a bounded pull, so pain cannot snowball
    strained = at < life.strained_until
    digital = life.customer.preferred_channel in ("app", "web")
    return [
        (routine_contact, 3.0 + (1.5 if life.open_issue else 0.0)),
        (abandoned_contact, 0.8 + 0.2 * pain),
        (long_wait, 0.5),
        (failed_self_service, 1.6 if digital else 0.9),
        (complaint, 0.15 + 0.25 * pain),
        (life_event, 0.25),
        (missed_payment, 0.2 + (1.5 if strained else 0.0)),
        (feedback, 0.8),
        (message, 0.9),
        (consent_change, 0.1),
    ]
