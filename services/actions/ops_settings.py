"""The ops page's settings (part of actions' `Settings`): what it watches, when it alerts.

The thresholds are the defaults of deploy/prometheus/alerts.yml too; keep them in step.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.actions.domain.alerts import Thresholds

DEFAULT_GROUPS = {
    "moments-ingest-raw": ["interactions.raw"],
    "moments-signals": ["interactions", "erasures"],
}


class OpsPageSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    ops_consumer_groups: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_GROUPS.items()},
        description="JSON: consumer group -> topics it reads (unprefixed), whose lag the ops "
        "page shows; actions' own groups are always added.",
    )
    ops_lag_interval_s: float = Field(
        default=2.0, gt=0, description="How often the ops feed reads consumer lag."
    )
    ops_alert_window_s: float = Field(
        default=60.0, gt=0, description="Window of the rates and percentiles alerts read."
    )
    ops_p99_target_s: float = Field(
        default=0.1, gt=0, description="End-to-end p99 above this alerts."
    )
    ops_dead_letter_ratio: float = Field(
        default=0.01, ge=0, description="Dead letters per event received above this alerts."
    )
    ops_lag_alert_records: int = Field(
        default=1000, ge=0, description="A group's lag growing above this many records alerts."
    )
    ops_stalled_after_s: float = Field(
        default=15.0,
        gt=0,
        description="Records waiting with no offset committed for this long: consumer stopped.",
    )

    def thresholds(self) -> Thresholds:
        return Thresholds(
            window_s=self.ops_alert_window_s,
            p99_target_s=self.ops_p99_target_s,
            dead_letter_ratio=self.ops_dead_letter_ratio,
            lag_records=self.ops_lag_alert_records,
            stalled_after_s=self.ops_stalled_after_s,
        )
