"""Who the simulated customers are: drawn from real purchase histories and churn records.

Each simulated customer is built on one real CDNOW buyer (value, basket and purchase
rhythm) and one real telco subscriber (tenure, contract, how often such customers
leave). The rest of the profile (segment, preferred channel, consents, timezone,
vulnerability) and the latent response propensities are drawn from the seeded RNG, so
the same seed, size and data always give the same population.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

# CDNOW covers 78 weeks (1997-01-01 to 1998-06-30); values are annualised from that.
CDNOW_YEARS = 78 / 52
# What one CDNOW dollar of spend is worth as yearly customer value in this simulation: a
# CD shop's customer spends far less than a subscriber, so spend is scaled, not copied.
VALUE_PER_CDNOW_DOLLAR = 6.0
DAYS_PER_MONTH = 30.44

PRODUCTS = ("broadband", "mobile plan", "tv bundle", "home insurance")
CHANNEL_PREFERENCES = (
    ("voice", 0.30),
    ("chat", 0.20),
    ("email", 0.15),
    ("app", 0.15),
    ("web", 0.10),
    ("branch", 0.05),
    ("sms", 0.03),
    ("social", 0.02),
)
TIMEZONES = (
    ("Europe/Dublin", 0.35),
    ("Europe/London", 0.25),
    ("Europe/Berlin", 0.15),
    ("Europe/Madrid", 0.10),
    ("Europe/Paris", 0.10),
    ("Europe/Lisbon", 0.05),
)
VULNERABLE_SHARE = 0.06  # share flagged as needing extra care from the start

# How readily customers take up each catalogue action (before their own mood and
# traits shift it). Codes are the action catalogue's. These are the first catalogue's,
# drawn from the population's own stream in this order, so the population for a seed
# stays what it was; codes added since are in ADDED_PROPENSITY.
BASE_PROPENSITY = {
    "retention.ask_what_changed": 0.45,
    "care.bereavement_support": 0.85,
    "complaints.own_it": 0.60,
    "care.fix_first_time": 0.65,
    "digital.finish_for_them": 0.70,
    "retention.fair_renewal_price": 0.55,
    "collections.breathing_space": 0.60,
    "care.listen_and_reassure": 0.50,
    "care.thank_you": 0.80,
    "email.renewal_options": 0.30,
    "sms.payment_help": 0.35,
}
# Codes the catalogue gained later: drawn from each customer's own stream, so adding an
# action never reshuffles who the simulated customers are.
ADDED_PROPENSITY = {
    "retention.life_changed": 0.60,
    "care.life_events_team": 0.75,
    "care.separation_support": 0.70,
    "care.moving_home": 0.65,
    "care.new_child": 0.70,
    "collections.job_loss_breathing_space": 0.70,
    "care.illness_support": 0.75,
    "care.retirement_review": 0.55,
    "care.marriage_update": 0.60,
    "care.named_owner": 0.60,
    "renewal.confirm_quote": 0.30,
    "push.finish_in_app": 0.25,
    "sales.loyalty_upgrade": 0.20,
}


@dataclass(frozen=True)
class PurchaseHistory:
    """One real CDNOW buyer: every purchase's amount in dollars, and when (day number)."""

    buyer: str
    days: tuple[int, ...]
    amounts: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.amounts)

    @property
    def rhythm_days(self) -> float:
        """Mean days between purchases; one-off buyers get the whole observed span."""
        if len(self.days) < 2:
            return 78 * 7.0
        return max(1.0, (self.days[-1] - self.days[0]) / (len(self.days) - 1))


@dataclass(frozen=True)
class TenureRecord:
    """One real telco subscriber: how long they stayed, on what terms, and if they left."""

    tenure_months: int
    contract: str
    churned: bool
    monthly_charges: float
    payment_method: str


@dataclass(frozen=True)
class Consents:
    service_contact: bool
    marketing: bool
    profiling: bool


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    segment: str
    value: float  # yearly value in EUR, from the CDNOW buyer's spend
    value_tier: str  # low, medium, high, top: the value's place among all CDNOW buyers
    tenure_months: int
    contract: str
    monthly_bill: float
    preferred_channel: str
    consents: Consents
    timezone: str
    vulnerable: bool
    products: tuple[str, ...]
    purchase_rhythm_days: float
    basket: tuple[float, ...]  # the CDNOW buyer's purchase amounts, in dollars
    base_hazard_per_day: float  # churn hazard with no pain and no good moments
    propensities: dict[str, float] = field(repr=False)  # action code -> chance of taking it up
    buyer: str = ""  # the CDNOW customer id behind this customer

    def propensity(self, action_code: str) -> float:
        return self.propensities.get(action_code, 0.3)


@dataclass(frozen=True)
class ChurnTable:
    """Churn hazard per month by contract, estimated from the telco records.

    Hazard = customers who left / months of tenure observed (the exposure estimator).
    """

    per_month: dict[str, float]

    @classmethod
    def estimate(cls, records: Sequence[TenureRecord]) -> ChurnTable:
        left: dict[str, int] = {}
        exposure: dict[str, float] = {}
        for record in records:
            left[record.contract] = left.get(record.contract, 0) + int(record.churned)
            exposure[record.contract] = exposure.get(record.contract, 0.0) + max(
                1, record.tenure_months
            )
        return cls({c: left[c] / exposure[c] for c in exposure})

    def per_day(self, contract: str) -> float:
        return self.per_month.get(contract, max(self.per_month.values())) / DAYS_PER_MONTH


def value_cutoffs(histories: Sequence[PurchaseHistory]) -> tuple[float, float, float]:
    """The 40th, 75th and 95th percentile of spend: the medium, high and top tier floors."""
    totals = sorted(h.total for h in histories)

    def at(q: float) -> float:
        return totals[min(len(totals) - 1, int(q * len(totals)))]

    return at(0.40), at(0.75), at(0.95)


def value_tier(total: float, cutoffs: tuple[float, float, float]) -> str:
    return ("low", "medium", "high", "top")[bisect_right(cutoffs, total)]


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


FIRST_NAMES = (
    "Aoife", "Sean", "Maria", "Tom", "Priya", "Liam", "Sofia", "Jonas", "Emma", "Ahmed",
    "Niamh", "Lukas", "Chloe", "Mateo", "Hannah", "Oisin", "Fatima", "Paul", "Ines", "Grace",
)  # fmt: skip
LAST_NAMES = (
    "Murphy", "Kelly", "Schmidt", "Garcia", "Byrne", "Dubois", "Silva", "Walsh", "Novak",
    "Khan", "Ryan", "Rossi", "Doyle", "Meyer", "Costa", "Brennan", "Martin", "Lynch",
)  # fmt: skip


def propensities(
    rng: random.Random, vulnerable: bool, tier: str, own: random.Random | None = None
) -> dict[str, float]:
    """Latent chances of taking up each action: the base, shifted by who the customer is.
    `own` (the customer's own stream) draws the codes added to the catalogue later."""
    result = {}
    added = ADDED_PROPENSITY.items() if own is not None else ()
    for stream, (code, base) in [
        *((rng, item) for item in BASE_PROPENSITY.items()),
        *((own, item) for item in added),
    ]:
        assert stream is not None
        p = base + stream.gauss(0, 0.12)
        if vulnerable and code.startswith(("care.", "collections.")):
            p += 0.1  # a caring offer lands better with someone going through a hard time
        if tier in ("high", "top") and code.startswith("retention."):
            p += 0.05
        result[code] = min(0.97, max(0.03, p))
    return result


def build_population(
    seed: int,
    size: int,
    histories: Sequence[PurchaseHistory],
    tenures: Sequence[TenureRecord],
    prefix: str = "cust",
) -> list[Customer]:
    """`size` customers, each on a CDNOW buyer and a telco subscriber drawn with the seed."""
    if not histories or not tenures:
        raise ValueError("a population needs purchase histories and tenure records")
    rng = random.Random(f"population:{seed}")
    cutoffs = value_cutoffs(histories)
    churn = ChurnTable.estimate(tenures)
    width = max(6, len(str(size - 1)))
    customers = []
    for number in range(size):
        history = histories[rng.randrange(len(histories))]
        tenure = tenures[rng.randrange(len(tenures))]
        tier = value_tier(history.total, cutoffs)
        vulnerable = rng.random() < VULNERABLE_SHARE
        segment = (
            "small_business"
            if rng.random() < 0.12
            else ("premium" if tier == "top" else "consumer")
        )
        product_count = 1 + min(3, int(history.total // 150)) if tier != "low" else 1
        products = tuple(rng.sample(PRODUCTS, min(len(PRODUCTS), product_count)))
        customers.append(
            Customer(
                id=f"{prefix}-{number:0{width}d}",
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                segment=segment,
                value=round(history.total / CDNOW_YEARS * VALUE_PER_CDNOW_DOLLAR, 2),
                value_tier=tier,
                tenure_months=tenure.tenure_months,
                contract=tenure.contract,
                monthly_bill=round(tenure.monthly_charges, 2),
                preferred_channel=_weighted(rng, CHANNEL_PREFERENCES),
                consents=Consents(
                    service_contact=rng.random() < 0.97,
                    marketing=rng.random() < 0.45,
                    profiling=rng.random() < 0.6,
                ),
                timezone=_weighted(rng, TIMEZONES),
                vulnerable=vulnerable,
                products=products,
                purchase_rhythm_days=history.rhythm_days,
                basket=history.amounts,
                base_hazard_per_day=churn.per_day(tenure.contract),
                propensities=propensities(
                    rng, vulnerable, tier, random.Random(f"propensities:{seed}:{number}")
                ),
                buyer=history.buyer,
            )
        )
    return customers
