"""Stories of the customer's own life and voice: the CRM profile at the start, life
events (said outright or only in passing), feedback, messages and consent changes.
Pure: the caller passes the RNG, the customer's life and the simulated time; each
returns the story's steps.
"""

from __future__ import annotations

import random
from typing import Any

from moments.simulate.domain.stories.steps import DAY, HOUR, Life, Step, product_of
from moments.simulate.domain.wording import LIFE_EVENTS, phrase


def onboarding(rng: random.Random, life: Life, at: float) -> list[Step]:
    """The CRM's profile of the customer, sent before anything else about them."""
    c = life.customer
    return [
        Step(
            at,
            "profile.updated",
            "crm",
            {
                "channel": "crm",
                "name": c.name,
                "segment": c.segment,
                "value_tier": c.value_tier,
                "preferred_channel": c.preferred_channel,
                "timezone": c.timezone,
                "vulnerable": c.vulnerable,
                "consents": {
                    "service_contact": c.consents.service_contact,
                    "marketing": c.consents.marketing,
                    "profiling": c.consents.profiling,
                },
            },
        )
    ]


def life_event(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    kind = rng.choices(LIFE_EVENTS, weights=(1.0, 1.0, 2.0, 1.5, 1.2, 0.8, 0.8, 1.2))[0]
    text = phrase(rng, kind, product=product_of(rng, c))
    channel = rng.choice(("voice", "branch", "chat", "email"))
    steps: list[Step] = []
    if rng.random() < 0.7:
        steps.append(
            Step(
                at,
                "life_event.reported",
                channel,
                {"channel": channel, "kind": kind, "text": text},
                "life_event",
                about=kind,
            )
        )
    else:  # only said in passing: signals has to read it in the text
        steps.append(
            Step(
                at,
                "message.received",
                channel,
                {"channel": channel, "text": text},
                "life_event",
                about=kind,
            )
        )
    profile: dict[str, Any] = {}
    if kind in ("bereavement", "illness", "job_loss") and not life.vulnerable:
        profile["vulnerable"] = True
        life.vulnerable = True
    if kind == "job_loss":
        life.strained_until = at + 120 * DAY
    if kind == "relocation" and rng.random() < 0.3:
        profile["timezone"] = rng.choice(("Europe/Berlin", "Europe/Madrid", "Europe/London"))
    if kind in ("marriage", "divorce") and rng.random() < 0.5:
        profile["name"] = f"{c.name.split()[0]} {rng.choice(('Byrne', 'Meyer', 'Silva'))}"
    if profile:
        steps.append(Step(at + rng.uniform(1, 24) * HOUR, "profile.updated", "crm", profile))
    return steps


def feedback(rng: random.Random, life: Life, at: float) -> list[Step]:
    mood = life.mood.at_time(at)
    channel = rng.choice(("app", "email", "sms", "web"))
    nps = rng.random() < 0.6
    leaning = 8.5 - 2.5 * mood.pain + 1.5 * mood.goodwill + rng.gauss(0, 1.2)
    score = max(0, min(10, round(leaning)))
    data: dict[str, Any] = {"channel": channel, "scale": "nps" if nps else "csat"}
    data["score"] = score if nps else max(1, min(5, round(1 + score * 0.4)))
    high = score >= 9
    low = score <= 5
    if high and rng.random() < 0.6:
        data["text"] = phrase(rng, "thanks", product=product_of(rng, life.customer))
    elif low and rng.random() < 0.6:
        data["text"] = phrase(rng, "angry", product=product_of(rng, life.customer))
    return [Step(at, "feedback.submitted", channel, data, "praise" if high else None)]


def message(rng: random.Random, life: Life, at: float) -> list[Step]:
    mood = life.mood.at_time(at)
    if mood.pain > 1.2:
        situation = "angry"
    elif mood.goodwill > 0.5 and mood.pain < 0.3 and rng.random() < 0.5:
        situation = "thanks"
    else:
        situation = "question"
    channel = rng.choice(("chat", "email", "social", "sms", "app"))
    text = phrase(rng, situation, product=product_of(rng, life.customer))
    moment = "praise" if situation == "thanks" else None
    return [Step(at, "message.received", channel, {"channel": channel, "text": text}, moment)]


def consent_change(rng: random.Random, life: Life, at: float) -> list[Step]:
    life.marketing_consent = not life.marketing_consent
    channel = rng.choice(("app", "web"))
    return [
        Step(
            at,
            "profile.updated",
            channel,
            {"channel": channel, "consents": {"marketing": life.marketing_consent}},
        )
    ]
