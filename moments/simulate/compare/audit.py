"""The breach counters: what was sent, checked against what the customer told us.

Independent of the decision code, so a bug in it shows here. `Audit.told` reads the
consents and the care flag from the `profile.updated` events as the channel systems sent
them (not from signals' state or the decision's snapshot); `Audit.sent` checks one
recommendation that reached a customer against the shipped rules (`Rules.shipped`:
actions' default caps, the shipped catalogue's purposes and per-action caps), whatever
policy is being played:

- consent: an action for marketing (or a sale) without marketing consent given, or any
  action needing service contact after the customer withdrew it;
- caps: more recommendations in any 24 hours, or on a channel in 24 hours or 7 days, or
  of one action in 24 hours or 7 days, than the shipped caps allow;
- care: a customer flagged vulnerable reached on anything but a person's channel (the
  desktop), or offered a sale.

Counted per recommendation sent (a customer reached twice on SMS is two breaches) and,
for care, also as the number of customers it happened to. Pure: times are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DAY_S, WEEK_S = 86400.0, 7 * 86400.0
HUMAN_CHANNELS = frozenset({"desktop"})


@dataclass(frozen=True)
class ActionRules:
    purpose: str | None  # "marketing", "service_contact" or None
    sales: bool
    max_per_day: int
    max_per_week: int


@dataclass(frozen=True)
class Rules:
    max_per_customer_per_day: int
    channel_caps: Mapping[str, tuple[int, int]]  # channel -> (per 24 hours, per 7 days)
    actions: Mapping[str, ActionRules]
    default_action: ActionRules

    @classmethod
    def shipped(cls) -> Rules:
        """actions' defaults and the shipped catalogue: what every policy must keep to."""
        from services.actions.domain.decisioning.catalogue import ActionKind, load_catalogue
        from services.actions.settings import DEFAULT_CATALOGUE, Settings

        fields = Settings.model_fields
        per_day = int(fields["actions_action_max_per_day"].default)
        per_week = int(fields["actions_action_max_per_week"].default)
        caps = fields["actions_channel_caps"].default_factory()  # type: ignore[call-arg, misc]
        actions = {
            e.code: ActionRules(
                "marketing" if e.kind is ActionKind.sales else e.requires_consent,
                e.kind is ActionKind.sales,
                e.max_per_day or per_day,
                e.max_per_week or per_week,
            )
            for e in load_catalogue(DEFAULT_CATALOGUE)
        }
        return cls(
            max_per_customer_per_day=int(fields["actions_max_per_customer_per_day"].default),
            channel_caps={c: (cap.day, cap.week) for c, cap in caps.items()},
            actions=actions,
            default_action=ActionRules("service_contact", False, per_day, per_week),
        )


@dataclass
class Told:
    """What the customer told us, as the events said it."""

    service_contact: bool = True  # assumed until withdrawn
    marketing: bool = False  # only once given
    vulnerable: bool = False


@dataclass
class Breaches:
    consent: int = 0
    caps: int = 0
    vulnerable_not_human: int = 0  # recommendations
    sales_to_vulnerable: int = 0
    vulnerable_reached: set[str] = field(default_factory=set)  # customers, not by a person


class Audit:
    def __init__(self, rules: Rules):
        self.rules = rules
        self.customers: dict[str, Told] = {}
        self.sends: dict[str, list[tuple[float, str, str]]] = {}  # customer -> (at, code, channel)
        self.breaches = Breaches()

    def told(self, customer_id: str, event_type: str, data: Mapping[str, Any]) -> None:
        if event_type != "profile.updated":
            return
        told = self.customers.setdefault(customer_id, Told())
        if "vulnerable" in data:
            told.vulnerable = bool(data["vulnerable"])
        consents = data.get("consents") or {}
        if "service_contact" in consents:
            told.service_contact = bool(consents["service_contact"])
        if "marketing" in consents:
            told.marketing = bool(consents["marketing"])

    def sent(self, customer_id: str, action_code: str, channel: str, at: float) -> list[str]:
        """Check one recommendation that reached the customer at `at` (the event time of
        the moment it answers); returns the breaches it makes, in words."""
        told = self.customers.get(customer_id, Told())
        action = self.rules.actions.get(action_code, self.rules.default_action)
        found = []
        if action.purpose == "marketing" and not told.marketing:
            found.append("consent: marketing not given")
        if action.purpose == "service_contact" and not told.service_contact:
            found.append("consent: service contact withdrawn")
        if told.vulnerable and channel not in HUMAN_CHANNELS:
            found.append(f"care: vulnerable customer reached by {channel}")
            self.breaches.vulnerable_not_human += 1
            self.breaches.vulnerable_reached.add(customer_id)
        if told.vulnerable and action.sales:
            found.append("care: a sale to a vulnerable customer")
            self.breaches.sales_to_vulnerable += 1
        earlier = self.sends.setdefault(customer_id, [])
        earlier.append((at, action_code, channel))
        capped = self._caps(earlier, at, action_code, channel, action)
        found += capped
        self.breaches.consent += sum(f.startswith("consent") for f in found)
        self.breaches.caps += bool(capped)
        return found

    def _caps(
        self,
        sends: list[tuple[float, str, str]],
        at: float,
        code: str,
        channel: str,
        action: ActionRules,
    ) -> list[str]:
        day = [s for s in sends if at - DAY_S < s[0] <= at]  # this one included
        week = [s for s in sends if at - WEEK_S < s[0] <= at]
        found = []
        if len(day) > self.rules.max_per_customer_per_day:
            found.append(f"caps: {len(day)} recommendations in 24 hours")
        day_cap, week_cap = self.rules.channel_caps.get(channel, (None, None))
        if day_cap is not None and sum(s[2] == channel for s in day) > day_cap:
            found.append(f"caps: more than {day_cap} {channel} in 24 hours")
        if week_cap is not None and sum(s[2] == channel for s in week) > week_cap:
            found.append(f"caps: more than {week_cap} {channel} in 7 days")
        if sum(s[1] == code for s in day) > action.max_per_day:
            found.append(f"caps: {code} more than {action.max_per_day} times in 24 hours")
        if sum(s[1] == code for s in week) > action.max_per_week:
            found.append(f"caps: {code} more than {action.max_per_week} times in 7 days")
        del sends[: sum(s[0] <= at - WEEK_S for s in sends)]  # older than any window
        return found
