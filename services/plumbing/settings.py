"""Settings every service shares: where the broker and the database are.

Each service has its own `Settings` subclass that adds its ports and knobs. Variables are
read from the environment (see the configuration table in README.md).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="Idempotent producer; turn on for Apache Kafka (Tansu does not support it).",
    )
    kafka_topic_partitions: int = Field(
        default=6, ge=1, description="Partitions for topics the platform creates."
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="Replication factor for topics the platform creates."
    )
    kafka_session_timeout_s: float = Field(
        default=2.0,
        gt=0,
        description=(
            "How long a consumer group waits for a silent member (a crashed process) before"
            " handing its partitions on. Apache Kafka refuses less than the broker's"
            " `group.min.session.timeout.ms` (6 s by default): lower that, or set this to 6."
        ),
    )
    kafka_topic_prefix: str = Field(
        default="", description="Prefix for every topic name (tests use it to isolate runs)."
    )
    kafka_fetch_wait_ms: int = Field(
        default=20,
        ge=1,
        description="How long a fetch on the event path (ingest's raw feed, signals, actions,"
        " the desktop feed) may wait for data. Tansu answers only when the wait is over, so it"
        " is latency per hop (about 0.57 of it on median), and every empty fetch costs it CPU"
        " (bench.fetch_wait). Apache Kafka answers as soon as data arrives: set 500 there.",
    )
    kafka_background_fetch_wait_ms: int = Field(
        default=250,
        ge=1,
        description="The same for feeds nobody waits on: outcomes, the customers copy and the"
        " operations page's topics.",
    )

    @property
    def kafka_heartbeat_interval_s(self) -> float:
        """A third of the session timeout (Kafka's rule of thumb), at most a second."""
        return min(1.0, self.kafka_session_timeout_s / 3)


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        description="PostgreSQL URL. `moments run` sets it to the embedded server when unset."
    )
    database_pool_max: int = Field(default=10, ge=1, description="Connection pool size.")


class LoggingSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    log_level: str = Field(default="INFO", description="Python log level.")
    log_json: bool = Field(default=False, description="One JSON object per log line.")


class TracingSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint to export traces to (e.g. http://collector:4318);"
        " unset: traces are carried between hops but exported nowhere.",
    )
    otel_traces_sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="Share of new traces that are recorded."
    )
