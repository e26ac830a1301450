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
from dataclasses import dataclass, field
from typing import Any

from moments.simulate.domain.mood import Mood
from moments.simulate.domain.population import Customer
from moments.simulate.domain.wording import LIFE_EVENTS, phrase

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

ASSISTED = ("voice", "chat", "branch")  # channels where an agent is with the customer
CONTACT_CHANNELS = ("voice", "chat", "email", "branch", "social", "sms")
REASONS = ("billing", "technical", "account", "moving", "upgrade")
JOURNEYS = (
    ("change_address", "postcode"),
    ("update_payment_details", "card_verification"),
    ("upgrade_plan", "eligibility_check"),
    ("report_fault", "line_test"),
    ("download_statement", "document_render"),
)
COMPLAINT_CATEGORIES = ("billing", "network", "service", "engineer_visit")
ADD_ONS = (
    "sports pack",
    "extra data bundle",
    "device upgrade",
    "movie rental",
    "wifi extender",
    "travel cover",
)
CURRENCY = "EUR"


@dataclass(frozen=True)
class Step:
    after: float  # seconds from the story's start
    type: str
    channel: str  # the channel system that sends the event (picks the source)
    data: dict[str, Any]
    moment: str | None = None  # a key of mood.MOMENTS the customer lives through
    scale: float = 1.0


@dataclass
class Life:
    """What the simulation remembers about one customer between stories."""

    customer: Customer
    mood: Mood = field(default_factory=Mood)
    onboarded: bool = False
    events: int = 0
    open_issue: str | None = None  # a problem not yet fixed: contacts repeat about it
    repeat_contacts: int = 0
    strained_until: float = 0.0  # money is tight (job loss) until then
    vulnerable: bool = False
    leaving_at: float | None = None  # asked to cancel; leaves then unless won back
    left: bool = False
    won_back: bool = False
    last_pain: str | None = None
    marketing_consent: bool = False

    def __post_init__(self) -> None:
        self.vulnerable = self.customer.vulnerable
        self.marketing_consent = self.customer.consents.marketing


def _agent(rng: random.Random, channel: str) -> str | None:
    return f"agent-{rng.randrange(1, 41):03d}" if channel in ASSISTED else None


def _contact_channel(rng: random.Random, customer: Customer) -> str:
    preferred = customer.preferred_channel
    if preferred in CONTACT_CHANNELS and rng.random() < 0.7:
        return preferred
    return rng.choice(("voice", "voice", "chat", "email"))


def _product(rng: random.Random, customer: Customer) -> str:
    return rng.choice(customer.products)


def _contact(
    rng: random.Random,
    customer: Customer,
    at: float,
    *,
    channel: str,
    reason: str,
    queue: str,
    outcome: str,
    wait: float,
    moment: str | None,
) -> list[Step]:
    agent = _agent(rng, channel) if outcome != "abandoned" else None
    started: dict[str, Any] = {"channel": channel, "queue": queue, "reason": reason}
    if agent:
        started["agent_id"] = agent
    handle = 0.0 if outcome == "abandoned" else rng.uniform(2, 20) * MINUTE
    ended: dict[str, Any] = {
        "channel": channel,
        "outcome": outcome,
        "wait_seconds": round(wait, 1),
        "reason": reason,
    }
    if handle:
        ended["handle_seconds"] = round(handle, 1)
    return [
        Step(at, "contact.started", channel, started),
        Step(at + wait + handle, "contact.ended", channel, ended, moment),
    ]


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


def routine_contact(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    channel = _contact_channel(rng, c)
    reason = life.open_issue or rng.choice(REASONS)
    wait = rng.expovariate(1 / (3 * MINUTE)) if channel != "email" else 0.0
    fixed = rng.random() < (0.8 if life.open_issue is None else 0.55)
    outcome = "resolved" if fixed else rng.choice(("unresolved", "transferred"))
    if life.open_issue:
        life.repeat_contacts += 1
    moment = "resolved_first_time" if fixed and not life.open_issue else None
    if not fixed:
        moment = "repeat_contact" if life.open_issue else "unresolved_contact"
    steps = _contact(
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
    steps = _contact(
        rng, c, at, channel="voice", reason=reason, queue="care", outcome="abandoned",
        wait=wait, moment="abandoned_contact",
    )  # fmt: skip
    if rng.random() < 0.6:  # most try again later the same day
        retry_at = steps[-1].after + rng.uniform(10, 90) * MINUTE
        fixed = rng.random() < 0.7
        steps += _contact(
            rng, c, retry_at, channel="voice", reason=reason, queue="care",
            outcome="resolved" if fixed else "unresolved", wait=rng.uniform(1, 12) * MINUTE,
            moment=None if fixed else "repeat_contact",
        )  # fmt: skip
        life.open_issue = None if fixed else reason
    return steps


def long_wait(rng: random.Random, life: Life, at: float) -> list[Step]:
    return _contact(
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
        steps += _contact(
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
    product = _product(rng, c)
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
        steps += _contact(
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


def life_event(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    kind = rng.choices(LIFE_EVENTS, weights=(1.0, 1.0, 2.0, 1.5, 1.2, 0.8, 0.8, 1.2))[0]
    text = phrase(rng, kind, product=_product(rng, c))
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
            )
        )
    else:  # only said in passing: signals has to read it in the text
        steps.append(
            Step(at, "message.received", channel, {"channel": channel, "text": text}, "life_event")
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


def missed_payment(rng: random.Random, life: Life, at: float) -> list[Step]:
    c = life.customer
    product = _product(rng, c)
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
        data["text"] = phrase(rng, "thanks", product=_product(rng, life.customer))
    elif low and rng.random() < 0.6:
        data["text"] = phrase(rng, "angry", product=_product(rng, life.customer))
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
    text = phrase(rng, situation, product=_product(rng, life.customer))
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
    product = _product(rng, c)
    reason = life.last_pain or rng.choice(("price", "service", "moving", "cost_of_living"))
    channel = "voice" if rng.random() < 0.6 else rng.choice(("email", "chat", "web"))
    request: dict[str, Any] = {"channel": channel, "product": product, "reason": reason}
    if rng.random() < 0.6:
        request["text"] = phrase(rng, "leaving", product=product)
    if channel != "voice":
        return [Step(at, "cancellation.requested", channel, request)]
    agent = _agent(rng, "voice")
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
