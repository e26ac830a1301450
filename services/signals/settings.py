"""signals' configuration, from the environment."""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field

from services.plumbing.settings import KafkaSettings, LoggingSettings, TracingSettings


class Settings(KafkaSettings, LoggingSettings, TracingSettings):
    signals_app_id: str = Field(
        default="moments-signals",
        description="Consumer group reading `interactions`, and the changelog topic's prefix.",
    )
    signals_web_host: str = Field(default="127.0.0.1", description="Address of signals' web port.")
    signals_web_port: int = Field(
        default=6066, description="Port of `/healthz`, `/readyz` and `/metrics`."
    )
    signals_processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        default="at_least_once",
        description="exactly_once puts a batch's sends and offsets in one Kafka transaction"
        " (needs a broker with transactions: Apache Kafka, not Tansu).",
    )
    signals_instance: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="This worker's name; with exactly_once, part of its transactional id.",
    )
    signals_rebalance_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a rebalance waits for members to rejoin."
    )
    signals_batch_max: int = Field(
        default=500, ge=1, description="Most `interactions` records folded in one batch."
    )
    ops_interval_s: float = Field(default=10.0, gt=0, description="ops.metrics period.")
