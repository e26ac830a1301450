"""What operators receive on `ops.metrics`: one process's counters, every few seconds."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OpsSnapshot(BaseModel):
    """A periodic snapshot of one process's counters, published to `ops.metrics` by
    `services.plumbing.metrics.OpsReporter` (every service runs one)."""

    service: str = Field(description="ingest, signals or actions; also the message key.")
    instance: str | None = Field(
        default=None, description="host:pid of the process that sent it, when it says."
    )
    time: float = Field(description="When the snapshot was taken, in Unix seconds.")
    metrics: dict[str, float] = Field(
        description='Every `moments_*` Prometheus sample, as `name{label="value"}` -> value.'
    )
