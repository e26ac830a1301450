"""The Kafka headers the platform puts on its messages, beside the CloudEvents `ce_*` ones.

Per-hop timestamps (epoch milliseconds) let every hop measure latency without guessing;
the dead-letter headers say why, when and on which path a message was refused.
"""

from __future__ import annotations

from collections.abc import Iterable

INGESTED_AT_HEADER = "moments_ingested_at"  # ingest accepted the event
SIGNALLED_AT_HEADER = "moments_signalled_at"  # signals sent the finding
DECIDED_AT_HEADER = "moments_decided_at"  # actions decided the recommendation
SEQ_HEADER = "moments_seq"  # a recommendation's position in actions' store

DLQ_REASON_HEADER = "dlq_reason"  # JSON list of {field, reason}
DLQ_TIME_HEADER = "dlq_time"  # ISO 8601
DLQ_PATH_HEADER = "dlq_path"  # one of DLQ_PATHS
# Where a message was refused: ingest over HTTP or its Kafka raw gate, signals, actions.
DLQ_PATHS = ("http", "kafka", "signals", "actions")

HOP_HEADERS = (INGESTED_AT_HEADER, SIGNALLED_AT_HEADER, DECIDED_AT_HEADER)


def stamp_ms(headers: Iterable[tuple[str, bytes]], name: str) -> int | None:
    """A hop's time stamp header (epoch ms), if the message carries it."""
    for key, value in headers:
        if key == name:
            try:
                return int(value)
            except ValueError:
                return None
    return None
