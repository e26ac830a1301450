"""The action catalogue: what can be recommended, for which signals, to whom.

Loaded from a TOML file (`[[action]]` tables) and validated on load; a bad entry stops
the service with an error naming the entry and the field. See `catalogue.toml`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.recommendations import ActionChannel
from schemas.signals import SignalType


class CatalogueEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$", description="e.g. retention.call")
    title: str = Field(min_length=1, max_length=120)
    script: str = Field(min_length=1, description="What to say or do.")
    triggers: list[SignalType] = Field(min_length=1, description="Signals it answers.")
    channel: ActionChannel = ActionChannel.desktop
    queue: str = Field(min_length=1, description="Contact-centre queue it goes to.")
    priority: int = Field(ge=0, le=100)
    expires_in_minutes: int = Field(gt=0, le=60 * 24 * 30)
    min_strength: float = Field(default=0.0, ge=0, le=1)
    requires_consent: Literal["service_contact", "marketing"] | None = "service_contact"
    skip_if_vulnerable: bool = Field(default=False, description="Never for vulnerable customers.")
    only_if_vulnerable: bool = Field(default=False, description="Only for vulnerable customers.")


class CatalogueInvalid(ValueError):
    pass


def parse_catalogue(text: str, origin: str = "catalogue") -> list[CatalogueEntry]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueInvalid(f"{origin}: not valid TOML: {error}") from None
    raw_entries = document.get("action")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise CatalogueInvalid(f"{origin}: needs at least one [[action]] table")
    entries: list[CatalogueEntry] = []
    for number, raw in enumerate(raw_entries, start=1):
        name = raw.get("code", "?") if isinstance(raw, dict) else "?"
        try:
            entries.append(CatalogueEntry.model_validate(raw))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(entry)'}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
            raise CatalogueInvalid(
                f"{origin}: action #{number} ({name!r}) is invalid: {problems}"
            ) from None
    first: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        if entry.code in first:
            raise CatalogueInvalid(
                f"{origin}: action #{number} ({entry.code!r}) is invalid: "
                f"code: already used by action #{first[entry.code]}"
            )
        first[entry.code] = number
    return entries


def load_catalogue(path: Path) -> list[CatalogueEntry]:
    return parse_catalogue(path.read_text(), str(path))


def queues(entries: list[CatalogueEntry]) -> list[str]:
    return sorted({e.queue for e in entries})
