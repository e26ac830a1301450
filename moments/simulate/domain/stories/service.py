"""Stories of the service: contacts fixed or not, waits, abandoned calls, self-service that
fails, and complaints chased with repeat contacts. Pure: the caller passes the RNG, the
customer's life and the simulated time; each returns the story's steps.
"""

from __future__ import annotations

import random

from moments.simulate.domain.stories.steps import (
    COMPLAINT_CATEGORIES,
    DAY,
    HOUR,
    JOURNEYS,
    MINUTE,
    REASONS,
    Life,
    Step,
    contact,
    contact_channel,
    product_of,
)
from moments.simulate.domain.wording import phrase


def routine_contact(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    channel = contact_channel(rng, c)
    reason = life.open_issue or rng.choice(REASONS)
    wait = rng.expovariate(1 / (3 * MINUTE)) if channel != "email" else 0.0
    fixed = rng.random() < (0.8 if life.open_issue is None else 0.55)
    outcome = "resolved" if fixed else rng.choice(("unresolved", "transferred"))
    if life.open_issue:
        life.repeat_contacts += 1
    moment = "resolved_first_time" if fixed and not life.open_issue else None
    if not fixed:
        moment = "repeat_contact" if life.open_issue else "unresolved_contact"
    steps = contact(
        rng, c, at, channel=channel, reason=reason, queue="care", outcome=outcome,
        wait=wait, moment=moment,
    )  # fmt: skip
    life.open_issue = None if fixed else reason
    if fixed:
        life.repeat_contacts = 0
    if wait >= 10 * MINUTE and fixed:  # fixed, but only after a long wait: that is what stays
        ended = steps[-1]
        steps[-1] = Step(ended.after, ended.type, ended.channel, ended.data, "long_wait")
    return steps


def abandoned_contact(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    reason = life.open_issue or rng.choice(REASONS)
    wait = rng.uniform(5, 30) * MINUTE
    steps = contact(
        rng, c, at, channel="voice", reason=reason, queue="care", outcome="abandoned",
        wait=wait, moment="abandoned_contact",
    )  # fmt: skip
    if rng.random() < 0.6:  # most try again later the same day
        retry_at = steps[-1].after + rng.uniform(10, 90) * MINUTE
        fixed = rng.random() < 0.7
        steps += contact(
            rng, c, retry_at, channel="voice", reason=reason, queue="care",
            outcome="resolved" if fixed else "unresolved", wait=rng.uniform(1, 12) * MINUTE,
            moment=None if fixed else "repeat_contact",
        )  # fmt: skip
        life.open_issue = None if fixed else reason
    return steps


def long_wait(rng: random.Random, life: Life, at: float) -> list[Step]:
    return contact(
        rng, life.customer, at, channel="voice", reason=rng.choice(REASONS), queue="care",
        outcome="resolved", wait=rng.uniform(11, 35) * MINUTE, moment="long_wait",
    )  # fmt: skip


def failed_self_service(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    journey, step = rng.choice(JOURNEYS)
    channel = "app" if c.preferred_channel == "app" or rng.random() < 0.4 else "web"
    steps = [
        Step(
            at,
            "selfservice.failed",
            channel,
            {
                "channel": channel,
                "journey": journey,
                "step": step,
                "error_code": f"E{rng.randrange(100, 600)}",
            },
            "failed_self_service",
        )
    ]
    if rng.random() < 0.3:
        steps.append(
            Step(
                at + rng.uniform(1, 4) * MINUTE,
                "message.received",
                "chat",
                {
                    "channel": "chat",
                    "text": phrase(rng, "failed_journey", journey=journey.replace("_", " ")),
                },
            )
        )
    if rng.random() < 0.7:  # then they call, which is the moment to finish it for them
        steps += contact(
            rng, c, at + rng.uniform(5, 45) * MINUTE, channel="voice", reason=journey,
            queue="care", outcome="resolved", wait=rng.uniform(0.5, 8) * MINUTE, moment=None,
        )  # fmt: skip
    return steps


def complaint(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    category = rng.choice(COMPLAINT_CATEGORIES)
    pain = life.mood.at_time(at).pain
    severity = "high" if pain > 1.5 else ("medium" if pain > 0.5 else rng.choice(("low", "medium")))
    channel = rng.choice(("email", "voice", "social", "branch"))
    product = product_of(rng, c)
    steps = [
        Step(
            at,
            "complaint.filed",
            channel,
            {
                "channel": channel,
                "category": category,
                "severity": severity,
                "text": phrase(rng, "complaint", product=product),
            },
            "complaint",
        )
    ]
    life.open_issue = category
    when = at
    for _ in range(rng.randint(1, 3)):  # chasing the same issue
        when += rng.uniform(0.5, 3) * DAY
        steps += contact(
            rng, c, when, channel=rng.choice(("voice", "chat", "voice")), reason=category,
            queue="complaints", outcome="unresolved", wait=rng.uniform(1, 20) * MINUTE,
            moment="repeat_contact",
        )  # fmt: skip
    if rng.random() < 0.6:
        steps.append(
            Step(
                when + rng.uniform(1, 6) * HOUR,
                "message.received",
                "email",
                {"channel": "email", "text": phrase(rng, "angry", product=product)},
            )
        )
    return steps
