"""actions' configuration, from the environment."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, SecretStr, field_validator

from services.actions.domain.decisioning import contact_policy
from services.actions.ops_settings import OpsPageSettings
from services.plumbing.settings import (
    DatabaseSettings,
    KafkaSettings,
    LoggingSettings,
    TracingSettings,
)

DEFAULT_CATALOGUE = Path(__file__).with_name("catalogue.toml")


class ChannelCapSetting(BaseModel):
    day: int = Field(ge=0, description="Most recommendations per customer per 24 hours.")
    week: int = Field(ge=0, description="Most per customer per 7 days.")


# The contact policy's defaults are the domain's (contact_policy.ContactPolicy), stated once.
DEFAULT_CHANNEL_CAPS = {
    channel: ChannelCapSetting(day=cap.day, week=cap.week)
    for channel, cap in contact_policy.DEFAULT_CHANNEL_CAPS.items()
}
POLICY: dict[str, Any] = {f.name: f.default for f in fields(contact_policy.ContactPolicy)}


class Settings(KafkaSettings, DatabaseSettings, LoggingSettings, TracingSettings, OpsPageSettings):
    actions_host: str = Field(default="127.0.0.1", description="Address actions listens on.")
    actions_port: int = Field(default=8081, description="Port actions listens on.")
    actions_catalogue: Path = Field(default=DEFAULT_CATALOGUE, description="Action catalogue.")
    actions_group: str = Field(
        default="moments-actions", description="Consumer group reading `signals`."
    )
    actions_id_secret: SecretStr = Field(
        min_length=16,
        description="Key of recommendation ids (HMAC): the same on every replica, kept secret.",
    )
    actions_holdout_percent: float = Field(
        default=5.0, ge=0, le=100, description="Share of customers held out, in percent."
    )
    actions_holdout_salt: str = Field(
        default="moments-holdout-v1", description="Changing it reshuffles the holdout group."
    )
    actions_max_per_customer_per_day: int = Field(
        default=6, ge=1, description="Contact limit: recommendations per customer per 24 h."
    )
    actions_channel_caps: dict[str, ChannelCapSetting] = Field(
        default_factory=lambda: dict(DEFAULT_CHANNEL_CAPS),
        description="Per channel, most recommendations per customer per day and week (JSON);"
        " channels left out keep their default.",
    )
    actions_action_max_per_day: int = Field(
        default=POLICY["action_max_per_day"],
        ge=1,
        description="Most times one action per customer per 24 h (default).",
    )
    actions_action_max_per_week: int = Field(
        default=POLICY["action_max_per_week"],
        ge=1,
        description="Most times one action per customer per 7 days (default).",
    )
    actions_suppress_after_declines: int = Field(
        default=POLICY["suppress_after_declines"],
        ge=1,
        description="An action declined this often is suppressed (default).",
    )
    actions_suppress_for_days: float = Field(
        default=POLICY["suppress_for_days"],
        gt=0,
        description="For this many days after those declines (default).",
    )
    actions_quiet_hours: str = Field(
        default=f"{POLICY['quiet_from']:%H:%M}-{POLICY['quiet_until']:%H:%M}",
        description="No email, SMS or push in these local hours of the customer (HH:MM-HH:MM).",
    )
    actions_default_timezone: str = Field(
        default=POLICY["default_timezone"],
        description="Timezone of customers whose profile names none.",
    )
    actions_weight_customer: float = Field(
        default=POLICY["weight_customer"],
        ge=0,
        le=1,
        description="Weight of the customer's value in the score; the business's is 1 minus it.",
    )
    actions_exploration: float = Field(
        default=POLICY["exploration"],
        ge=0,
        le=1,
        description="How far a Thompson draw may stray from the learned mean (0: never).",
    )
    actions_lookback_days: float = Field(
        default=120.0, gt=0, description="How far back a decision reads a customer's history."
    )
    actions_key_cache_s: float = Field(
        default=5.0, ge=0, description="How long a channel key lookup is cached (revocation delay)."
    )
    actions_desktop_poll_s: float = Field(
        default=2.0,
        gt=0,
        description="A desktop stream reads the store at least this often, rung or not.",
    )
    actions_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Other origins whose pages may open desktop WebSockets (JSON list).",
    )
    actions_stream_ticket_s: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="How long a desktop stream ticket may wait to be used (it opens one stream).",
    )
    ops_interval_s: float = Field(default=10.0, gt=0, description="ops.metrics period.")

    @field_validator("actions_catalogue")
    @classmethod
    def _catalogue_exists(cls, path: Path) -> Path:
        if not path.is_file():
            raise ValueError(f"catalogue file {path} does not exist")
        return path

    @field_validator("actions_channel_caps")
    @classmethod
    def _every_channel_capped(
        cls, caps: dict[str, ChannelCapSetting]
    ) -> dict[str, ChannelCapSetting]:
        unknown = set(caps) - set(DEFAULT_CHANNEL_CAPS)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}")
        return {**DEFAULT_CHANNEL_CAPS, **caps}

    @field_validator("actions_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        quiet_hours(value)
        return value

    @field_validator("actions_default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value


def quiet_hours(value: str) -> tuple[time, time]:
    """`21:00-08:00` as (from, until); equal times mean no quiet hours."""
    found = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", value.strip())
    if not found:
        raise ValueError("quiet hours must look like 21:00-08:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    return time(h1, m1), time(h2, m2)
