"""actions' configuration, from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from services.actions.ops_settings import OpsPageSettings
from services.plumbing.settings import DatabaseSettings, KafkaSettings, LoggingSettings

DEFAULT_CATALOGUE = Path(__file__).with_name("catalogue.toml")


class Settings(KafkaSettings, DatabaseSettings, LoggingSettings, OpsPageSettings):
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
