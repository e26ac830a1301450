"""signals' configuration, from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.plumbing.settings import KafkaSettings, LoggingSettings


class Settings(KafkaSettings, LoggingSettings):
    signals_app_id: str = Field(
        default="moments-signals", description="Faust app id: consumer group and table prefix."
    )
    signals_web_host: str = Field(default="127.0.0.1", description="Faust web address.")
    signals_web_port: int = Field(default=6066, description="Faust web port.")
    signals_data_dir: str = Field(default=".moments/signals", description="Faust data folder.")
    signals_processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        default="at_least_once", description="exactly_once needs a broker with transactions."
    )
    signals_rebalance_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a rebalance waits for members to rejoin."
    )
    signals_standby_replicas: int = Field(default=0, ge=0, description="Table standby replicas.")
    ops_interval_s: float = Field(default=10.0, gt=0, description="ops.metrics period.")
