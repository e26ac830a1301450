"""What every story is made of: `Step`s, the customer's `Life`, and contacts.

A `Step` is one event a story leaves behind (offset from the story's start, type, the
channel system that sends it, data, and the moment the customer lives through). `Life`
is what the simulation remembers about a customer between stories. `contact` is the
started/ended pair of a contact with the service, which most stories include.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from moments.simulate.domain.mood import Mood
from moments.simulate.domain.population import Customer

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
    about: str | None = None  # what the moment is about, e.g. the kind of a life event


@dataclass(frozen=True)
class Offered:
    """A recommendation that reached the customer, and what they answered."""

    action_code: str
    channel: str
    at: float
    outcome: str


# How long a customer remembers what they lived through and what they were offered.
MEMORY_S = 30 * DAY


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
    # The moments of the last MEMORY_S, as (at, key): a key of mood.MOMENTS, and with
    # `about` as "moment:about" too (e.g. "life_event:divorce").
    lived: list[tuple[float, str]] = field(default_factory=list)
    offers: list[Offered] = field(default_factory=list)  # those of the last MEMORY_S

    def __post_init__(self) -> None:
        self.vulnerable = self.customer.vulnerable
        self.marketing_consent = self.customer.consents.marketing

    def remember(self, moment: str, at: float, about: str | None = None) -> None:
        self.lived = [m for m in self.lived if m[0] > at - MEMORY_S]
        self.lived.append((at, moment))
        if about:
            self.lived.append((at, f"{moment}:{about}"))

    def offered(self, offer: Offered) -> None:
        self.offers = [o for o in self.offers if o.at > offer.at - MEMORY_S]
        self.offers.append(offer)


def agent_for(rng: random.Random, channel: str) -> str | None:
    return f"agent-{rng.randrange(1, 41):03d}" if channel in ASSISTED else None


def contact_channel(rng: random.Random, customer: Customer) -> str:
    preferred = customer.preferred_channel
    if preferred in CONTACT_CHANNELS and rng.random() < 0.7:
        return preferred
    return rng.choice(("voice", "voice", "chat", "email"))


def product_of(rng: random.Random, customer: Customer) -> str:
    return rng.choice(customer.products)


def contact(
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
    agent = agent_for(rng, channel) if outcome != "abandoned" else None
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
