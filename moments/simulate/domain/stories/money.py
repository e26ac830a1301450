"""Stories of money and the contract: missed payments, renewal quotes, purchases, and
asking to cancel. Pure: the caller passes the RNG, the customer's life and the simulated
time; each returns the story's steps.
"""

from __future__ import annotations

import random
from typing import Any

from moments.simulate.domain.stories.steps import (
    ADD_ONS,
    CURRENCY,
    DAY,
    HOUR,
    MINUTE,
    Life,
    Step,
    agent_for,
    product_of,
)
from moments.simulate.domain.wording import phrase


def missed_payment(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    product = product_of(rng, c)
    amount = round(c.monthly_bill * rng.uniform(0.8, 1.2), 2)
    steps = [
        Step(
            at,
            "payment.missed",
            "billing",
            {
                "channel": "billing",
                "amount": amount,
                "currency": CURRENCY,
                "product": product,
                "days_overdue": rng.randint(3, 30),
            },
            "missed_payment",
        )
    ]
    if rng.random() < 0.4 or at < life.strained_until:
        channel = rng.choice(("chat", "email", "sms"))
        steps.append(
            Step(
                at + rng.uniform(2, 48) * HOUR,
                "message.received",
                channel,
                {"channel": channel, "text": phrase(rng, "struggling", product=product)},
            )
        )
    if at < life.strained_until and rng.random() < 0.5:
        steps.append(
            Step(
                at + 30 * DAY,
                "payment.missed",
                "billing",
                {
                    "channel": "billing",
                    "amount": amount,
                    "currency": CURRENCY,
                    "product": product,
                    "days_overdue": rng.randint(30, 60),
                },
                "missed_payment",
            )
        )
    return steps


def renewal(rng: random.Random, life: Life, at: float, product: str) -> list[Step]:
    c = life.customer
    previous = round(max(5.0, c.monthly_bill) * 12 / len(c.products), 2)
    band = rng.random()
    rise = (
        rng.uniform(0.0, 0.08)
        if band < 0.4
        else (rng.uniform(0.10, 0.30) if band < 0.85 else rng.uniform(0.30, 0.50))
    )
    quoted = round(previous * (1 + rise), 2)
    steps = [
        Step(
            at,
            "renewal.quoted",
            "billing",
            {
                "channel": "email",
                "product": product,
                "previous_price": previous,
                "quoted_price": quoted,
                "currency": CURRENCY,
            },
            "price_rise" if rise >= 0.05 else None,
            scale=rise / 0.2,
        )
    ]
    if rise >= 0.15 and rng.random() < 0.5:
        channel = rng.choice(("email", "chat"))
        steps.append(
            Step(
                at + rng.uniform(1, 3) * DAY,
                "message.received",
                channel,
                {
                    "channel": channel,
                    "text": phrase(
                        rng, "price_outrage", product=product, percent=round(rise * 100)
                    ),
                },
            )
        )
    return steps


def purchase(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    channel = rng.choice(("app", "web", "branch"))
    spent = [a for a in c.basket if a > 0]  # CDNOW has a few $0 rows (returns)
    amount = round(rng.choice(spent), 2) if spent else round(c.monthly_bill, 2)
    return [
        Step(
            at,
            "purchase.completed",
            channel,
            {
                "channel": channel,
                "product": rng.choice(ADD_ONS),
                "amount": amount,
                "currency": CURRENCY,
            },
            "purchase",
        )
    ]


def cancellation(rng: random.Random, life: Life, at: float) -> list[Step]:
    """The customer asks to leave, on the phone to retention or in writing."""
    c = life.customer
    product = product_of(rng, c)
    reason = life.last_pain or rng.choice(("price", "service", "moving", "cost_of_living"))
    channel = "voice" if rng.random() < 0.6 else rng.choice(("email", "chat", "web"))
    request: dict[str, Any] = {"channel": channel, "product": product, "reason": reason}
    if rng.random() < 0.6:
        request["text"] = phrase(rng, "leaving", product=product)
    if channel != "voice":
        return [Step(at, "cancellation.requested", channel, request)]
    agent = agent_for(rng, "voice")
    return [
        Step(
            at,
            "contact.started",
            "voice",
            {"channel": "voice", "queue": "retention", "reason": "cancellation", "agent_id": agent},
        ),
        Step(at + rng.uniform(1, 4) * MINUTE, "cancellation.requested", "voice", request),
        Step(
            at + rng.uniform(8, 20) * MINUTE,
            "contact.ended",
            "voice",
            {
                "channel": "voice",
                "outcome": "resolved",
                "wait_seconds": round(rng.uniform(10, 240), 1),
                "handle_seconds": round(rng.uniform(300, 900), 1),
                "reason": "cancellation",
            },
        ),
    ]
