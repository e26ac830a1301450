"""The action catalogue: what may be recommended, when, to whom, and how it is worth it.

Loaded from TOML (`[[action]]` tables, and `[[new_customer_price]]` rows for the
loyalty-penalty rule) and validated on load: a bad entry stops the service with an
error naming the entry, the field and the reason. That covers each field's type and
range, the `eligible_when` expression (compiled against `eligibility.VOCABULARY`) and
the guide (a decision tree, see `scripts.py`). See `catalogue.toml` and the README's
"Writing a catalogue entry".
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import rule_engine
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.recommendations import ActionChannel, Script
from schemas.signals import SignalType
from services.actions.domain.decisioning.eligibility import ConditionInvalid, compile_condition
from services.actions.domain.decisioning.scripts import guide_problems, plain_guide


class ActionKind(StrEnum):
    service = "service"  # helps with what the customer came for
    retention = "retention"  # keeps a customer who may leave (an offer, a conversation)
    sales = "sales"  # sells something: never to a vulnerable customer


class OfferPrice(StrEnum):
    """The price an action offers for the product of the moment's renewal quote."""

    quoted = "quoted"  # the renewal price as quoted
    previous = "previous"  # last term's price
    new_customer = "new_customer"  # what a new customer pays (the catalogue's price)
    lowest = "lowest"  # the lowest of last term's and a new customer's


class CatalogueEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$", description="e.g. retention.call")
    title: str = Field(min_length=1, max_length=120)
    script: str = Field(default="", description="What to say or do; the guide's opening.")
    guide: Script | None = Field(default=None, description="The guided conversation.")
    triggers: list[SignalType] = Field(
        default_factory=list, description="Signals it answers; none for a follow-on only."
    )
    channel: ActionChannel = ActionChannel.desktop
    queue: str = Field(min_length=1, description="Contact-centre queue it goes to.")
    priority: int = Field(ge=0, le=100, description="Urgency 0-100: the arbitration lever.")
    expires_in_minutes: int = Field(gt=0, le=60 * 24 * 30)
    min_strength: float = Field(default=0.0, ge=0, le=1)
    requires_consent: Literal["service_contact", "marketing"] | None = "service_contact"
    skip_if_vulnerable: bool = Field(default=False, description="Never for vulnerable customers.")
    only_if_vulnerable: bool = Field(default=False, description="Only for vulnerable customers.")
    kind: ActionKind = ActionKind.service
    eligible_when: str | None = Field(default=None, description="A rule-engine condition.")
    value_to_customer: float = Field(default=0.5, ge=0, le=1, description="Saved, eased, spared.")
    value_to_business: float = Field(default=0.5, ge=0, le=1, description="Kept, earned.")
    propensity: float = Field(default=0.3, gt=0, lt=1, description="Prior acceptance rate.")
    prior_weight: float = Field(default=10.0, gt=0, le=1000, description="Prior's outcomes.")
    max_per_day: int | None = Field(default=None, ge=1, description="Per customer; else policy.")
    max_per_week: int | None = Field(default=None, ge=1, description="Per customer; else policy.")
    suppress_after_declines: int | None = Field(default=None, ge=1)
    suppress_for_days: float | None = Field(default=None, gt=0, le=365)
    offer_price: OfferPrice | None = Field(default=None, description="The price it offers.")

    @model_validator(mode="after")
    def _has_words(self) -> CatalogueEntry:
        if not self.script and self.guide is None:
            raise ValueError("script or guide: an action needs one of them")
        return self

    @property
    def opening(self) -> str:
        """What the agent reads first: the script, or the guide's first step."""
        if self.script:
            return self.script
        assert self.guide is not None
        return next(s.say for s in self.guide.steps if s.id == self.guide.start)

    @property
    def conversation(self) -> Script:
        """The guide, or a plain two-way one made from the script."""
        return self.guide or plain_guide(self.script)


class NewCustomerPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product: str = Field(min_length=1, description="As renewal quotes name it.")
    price: float = Field(gt=0, description="What a new customer pays, per the quote's period.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class CatalogueInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Catalogue:
    """The validated entries (iterable like a list), their compiled conditions, prices."""

    entries: tuple[CatalogueEntry, ...]
    conditions: dict[str, rule_engine.Rule] = field(default_factory=dict)
    prices: tuple[NewCustomerPrice, ...] = ()

    def __iter__(self) -> Iterator[CatalogueEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> CatalogueEntry:
        return self.entries[index]

    @classmethod
    def of(cls, entries: Sequence[CatalogueEntry]) -> Catalogue:
        """A catalogue of entries built in code (their conditions compiled here)."""
        conditions = {
            e.code: compile_condition(e.eligible_when) for e in entries if e.eligible_when
        }
        return cls(tuple(entries), conditions)

    def entry(self, code: str) -> CatalogueEntry | None:
        return next((e for e in self.entries if e.code == code), None)

    def new_customer_price(self, product: str, currency: str) -> float | None:
        wanted = product.strip().lower()
        return next(
            (
                p.price
                for p in self.prices
                if p.product.lower() == wanted and p.currency == currency
            ),
            None,
        )


def _errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(entry)'}: {e['msg']}"
        for e in error.errors(include_url=False)
    )


def _entries(raw_entries: Sequence[Any], origin: str) -> list[CatalogueEntry]:
    entries: list[CatalogueEntry] = []
    for number, raw in enumerate(raw_entries, start=1):
        name = raw.get("code", "?") if isinstance(raw, dict) else "?"
        try:
            entries.append(CatalogueEntry.model_validate(raw))
        except ValidationError as error:
            raise CatalogueInvalid(
                f"{origin}: action #{number} ({name!r}) is invalid: {_errors(error)}"
            ) from None
    return entries


def parse_catalogue(text: str, origin: str = "catalogue") -> Catalogue:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueInvalid(f"{origin}: not valid TOML: {error}") from None
    raw_entries = document.get("action")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise CatalogueInvalid(f"{origin}: needs at least one [[action]] table")
    entries = _entries(raw_entries, origin)

    def invalid(number: int, entry: CatalogueEntry, problem: str) -> CatalogueInvalid:
        return CatalogueInvalid(
            f"{origin}: action #{number} ({entry.code!r}) is invalid: {problem}"
        )

    first: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        if entry.code in first:
            raise invalid(number, entry, f"code: already used by action #{first[entry.code]}")
        first[entry.code] = number
    follow_ons = {
        step.follow_on for e in entries for step in e.conversation.steps if step.follow_on
    }
    conditions: dict[str, rule_engine.Rule] = {}
    for number, entry in enumerate(entries, start=1):
        if entry.guide is not None:
            problems = guide_problems(entry.guide, first, entry.code)
            if problems:
                raise invalid(number, entry, "; ".join(f"guide.{p}" for p in problems))
        if not entry.triggers and entry.code not in follow_ons:
            raise invalid(
                number, entry, "triggers: none given, and no guide leads to it as a follow-on"
            )
        if entry.eligible_when is not None:
            try:
                conditions[entry.code] = compile_condition(entry.eligible_when)
            except ConditionInvalid as error:
                raise invalid(number, entry, f"eligible_when: {error}") from None
    return Catalogue(tuple(entries), conditions, _prices(document, origin))


def _prices(document: dict[str, Any], origin: str) -> tuple[NewCustomerPrice, ...]:
    raw = document.get("new_customer_price", [])
    if not isinstance(raw, list):
        raise CatalogueInvalid(f"{origin}: new_customer_price must be [[new_customer_price]] rows")
    prices: list[NewCustomerPrice] = []
    for number, row in enumerate(raw, start=1):
        try:
            prices.append(NewCustomerPrice.model_validate(row))
        except ValidationError as error:
            raise CatalogueInvalid(
                f"{origin}: new_customer_price #{number} is invalid: {_errors(error)}"
            ) from None
    seen = [(p.product.lower(), p.currency) for p in prices]
    if len(set(seen)) != len(seen):
        raise CatalogueInvalid(f"{origin}: new_customer_price: a product is priced twice")
    return tuple(prices)


def load_catalogue(path: Path) -> Catalogue:
    return parse_catalogue(path.read_text(), str(path))


def queues(entries: Catalogue | Sequence[CatalogueEntry]) -> list[str]:
    return sorted({e.queue for e in entries})
