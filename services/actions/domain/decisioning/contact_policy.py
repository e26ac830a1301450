"""The contact policy: the rules that keep a next best action from nagging or harming.

Each rule is a pure function that returns the reason, in plain words, an action may not
go out now, or None. Times are event times (the moment's); the caller passes them.

- consent by purpose: service contact (assumed until withdrawn) or marketing (given);
- vulnerable customers: human channels only, never a sales action;
- quiet hours in the customer's own timezone for email, SMS and push;
- suppression after N declines of an action within D days;
- no loyalty penalty: never a renewal or retention price above a new customer's;
- caps per customer: all channels per day, per channel per day and week, per action.

One open recommendation per issue is the decision's own rule (see decide.py), on unless
`one_open_per_issue` is turned off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.recommendations import DeclineReason, OutcomeKind
from schemas.signals import CustomerSnapshot
from services.actions.domain.decisioning.catalogue import ActionKind, CatalogueEntry
from services.actions.domain.decisioning.context import PastOutcome

OUTBOUND_CHANNELS = frozenset({"email", "sms", "push"})
HUMAN_CHANNELS = frozenset({"desktop"})
DAY, WEEK = timedelta(days=1), timedelta(days=7)


@dataclass(frozen=True)
class ChannelCap:
    day: int
    week: int


DEFAULT_CHANNEL_CAPS: Mapping[str, ChannelCap] = {
    "desktop": ChannelCap(day=4, week=12),
    "email": ChannelCap(day=1, week=3),
    "sms": ChannelCap(day=1, week=2),
    "push": ChannelCap(day=1, week=3),
}


@dataclass(frozen=True)
class ContactPolicy:
    """The policy's settings (from actions' Settings; defaults as the README lists)."""

    max_per_customer_per_day: int
    holdout_percent: float
    holdout_salt: str
    id_secret: str  # ACTIONS_ID_SECRET: recommendation ids are keyed with it
    channel_caps: Mapping[str, ChannelCap] = field(default_factory=lambda: DEFAULT_CHANNEL_CAPS)
    action_max_per_day: int = 2
    action_max_per_week: int = 3
    suppress_after_declines: int = 2
    suppress_for_days: float = 30.0
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    default_timezone: str = "UTC"
    weight_customer: float = 0.6  # the business part weighs 1 - weight_customer
    exploration: float = 0.1
    # Off only to measure what it is worth (`moments evaluate`'s naive policy): then a
    # repeat of an issue adds a recommendation instead of strengthening the open one.
    one_open_per_issue: bool = True


def consent_refusal(entry: CatalogueEntry, profile: CustomerSnapshot) -> str | None:
    if entry.requires_consent == "service_contact" and not profile.consent_service_contact:
        return "The customer withdrew consent to service contact"
    if entry.requires_consent == "marketing" and not profile.consent_marketing:
        return "Needs marketing consent, which the customer has not given"
    return None


def vulnerability_refusal(entry: CatalogueEntry, profile: CustomerSnapshot) -> str | None:
    if profile.vulnerable:
        if entry.channel.value not in HUMAN_CHANNELS:
            return "The customer needs extra care: only a person contacts them, no " + (
                entry.channel.value
            )
        if entry.kind is ActionKind.sales:
            return "The customer needs extra care: never a sales action"
        if entry.skip_if_vulnerable:
            return "Not for customers who need extra care"
    elif entry.only_if_vulnerable:
        return "Only for customers who need extra care"
    return None


def _zone(name: str | None, default: str) -> ZoneInfo:
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def in_quiet_hours(local: time, quiet_from: time, quiet_until: time) -> bool:
    if quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= local < quiet_until
    return local >= quiet_from or local < quiet_until  # over midnight


def quiet_hours_refusal(
    channel: str, at: datetime, timezone: str | None, policy: ContactPolicy
) -> str | None:
    if channel not in OUTBOUND_CHANNELS:
        return None
    zone = _zone(timezone, policy.default_timezone)
    local = at.astimezone(zone)
    if not in_quiet_hours(local.time(), policy.quiet_from, policy.quiet_until):
        return None
    return (
        f"Quiet hours: {local:%H:%M} in {zone.key}, so no {channel} before "
        f"{policy.quiet_until:%H:%M}"
    )


def counted_decline(outcome: PastOutcome) -> bool:
    """A decline that counts towards suppression: any but "already done"."""
    return outcome.outcome is OutcomeKind.declined and outcome.reason is not (
        DeclineReason.already_done
    )


def suppression_refusal(
    entry: CatalogueEntry, outcomes: Sequence[PastOutcome], at: datetime, policy: ContactPolicy
) -> str | None:
    after = entry.suppress_after_declines or policy.suppress_after_declines
    days = entry.suppress_for_days or policy.suppress_for_days
    window = timedelta(days=days)
    declines = sorted(
        o.at
        for o in outcomes
        if o.action_code == entry.code and counted_decline(o) and at - window <= o.at <= at
    )
    if len(declines) < after:
        return None
    until = declines[-after] + window
    return (
        f"Declined {len(declines)} times in the last {days:g} days: not offered again "
        f"before {until:%Y-%m-%d}"
    )


@dataclass(frozen=True)
class Made:
    """A recommendation that counts towards the caps: made earlier, or won just now."""

    action_code: str
    channel: str
    at: datetime


def cap_refusal(
    entry: CatalogueEntry, at: datetime, made: Sequence[Made], policy: ContactPolicy
) -> str | None:
    """Counts every recommendation made (held-out ones too, so the holdout's record is
    what would have been shown) in the 24 hours and 7 days up to the moment."""
    day = [m for m in made if at - DAY < m.at <= at]
    week = [m for m in made if at - WEEK < m.at <= at]
    channel = entry.channel.value
    if len(day) >= policy.max_per_customer_per_day:
        return f"Contact limit: {len(day)} recommendations in 24 hours already"
    cap = policy.channel_caps.get(channel)
    if cap is not None:
        if sum(m.channel == channel for m in day) >= cap.day:
            return f"Cap: {cap.day} {channel} a day per customer, already reached"
        if sum(m.channel == channel for m in week) >= cap.week:
            return f"Cap: {cap.week} {channel} a week per customer, already reached"
    per_day = entry.max_per_day or policy.action_max_per_day
    per_week = entry.max_per_week or policy.action_max_per_week
    if sum(m.action_code == entry.code for m in day) >= per_day:
        return f"Cap: this action at most {per_day} a day per customer, already reached"
    if sum(m.action_code == entry.code for m in week) >= per_week:
        return f"Cap: this action at most {per_week} a week per customer, already reached"
    return None


@dataclass(frozen=True)
class Offer:
    """The price an action would put to the customer for a renewal's product."""

    product: str
    currency: str
    price: float | None
    new_customer_price: float | None
    quoted: float | None


def loyalty_refusal(offer: Offer | None) -> str | None:
    """Never renew or retain a customer at more than a new customer pays, where the
    catalogue knows that price."""
    if offer is None or offer.price is None or offer.new_customer_price is None:
        return None
    if offer.price <= offer.new_customer_price + 1e-9:
        return None
    return (
        f"Would price {offer.product} at {offer.price:.2f} {offer.currency}, above the "
        f"{offer.new_customer_price:.2f} a new customer pays"
    )
