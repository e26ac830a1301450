"""ingest's configuration, from the environment."""

from __future__ import annotations

from pydantic import Field

from services.plumbing.settings import (
    DatabaseSettings,
    KafkaSettings,
    LoggingSettings,
    TracingSettings,
)


class Settings(KafkaSettings, DatabaseSettings, LoggingSettings, TracingSettings):
    ingest_host: str = Field(default="127.0.0.1", description="Address ingest listens on.")
    ingest_port: int = Field(default=8080, description="Port ingest listens on.")
    ingest_max_batch_events: int = Field(default=1000, ge=1, description="Events per batch.")
    ingest_max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Body size cap.")
    ingest_broker_timeout_s: float = Field(
        default=5.0, gt=0, description="Wait this long for broker acks before answering 503."
    )
    ingest_request_timeout_s: float = Field(
        default=15.0, gt=0, description="Whole-request deadline."
    )
    ingest_rate_per_source: float = Field(
        default=1000.0, gt=0, description="Sustained events/s allowed per API key."
    )
    ingest_rate_burst: float = Field(default=2000.0, gt=0, description="Burst per API key.")
    ingest_key_cache_s: float = Field(
        default=5.0, ge=0, description="How long a key lookup is cached (revocation delay)."
    )
    ingest_raw_gate: bool = Field(
        default=True, description="Validate `interactions.raw` in this process."
    )
    ingest_raw_group: str = Field(
        default="moments-ingest-raw", description="Consumer group of the raw gate."
    )
    ops_interval_s: float = Field(default=10.0, gt=0, description="ops.metrics period.")
