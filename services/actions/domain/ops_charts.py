"""The ops page's time series: every line chart's rates and percentiles, per window.

Counters become per-second rates and histograms percentiles (domain/operations.py) on a
grid of times over the last five minutes. Per-hop latency comes from the
`moments_*_at` stamps on Kafka headers (schemas/headers.py), which the ops feed observes
into `moments_actions_hop_seconds` (domain/hops.py). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.actions.domain.operations import Labels, MetricsHistory, quantiles, rates

END_TO_END = "moments_actions_event_to_push_seconds"
HOPS = "moments_actions_hop_seconds"
# (label, histogram, hop label or None), in the order an event travels.
HOP_ROWS = (
    ("ingest accept", "moments_ingest_accept_seconds", None),
    ("ingest → signals", HOPS, "signals"),
    ("signals → actions", HOPS, "actions"),
    ("actions → published", HOPS, "publish"),
    ("end to end (to desktop hub)", END_TO_END, None),
)


def dead_in_signals(labels: Labels) -> bool:  # signals counts its dead letters by outcome
    return labels.get("outcome") == "dead_lettered"


def dead_in_actions(labels: Labels) -> bool:  # actions' loops' stages (signals has its own count)
    return labels.get("stage", "").startswith("actions")


def rounded(values: Sequence[float | None], scale: float = 1.0) -> list[float | None]:
    return [None if v is None else round(v * scale, 3) for v in values]


def chart(
    title: str, unit: str, times: list[float], lines: Mapping[str, Sequence[float | None]]
) -> dict[str, Any]:
    # Three decimals are more than a chart can show, and half as much for the page to fetch.
    return {
        "title": title,
        "unit": unit,
        "times": [round(t, 1) for t in times],
        "lines": {
            name: [None if v is None else round(v, 3) for v in line] for name, line in lines.items()
        },
    }


def _zero_filled(lines: Mapping[str, Sequence[float | None]]) -> dict[str, list[float | None]]:
    """Counters that have never counted (no rejections yet) read 0 wherever another line
    of the same chart has data, so the chart says "none" rather than "unknown"."""
    known = [any(line[i] is not None for line in lines.values()) for i in range(_length(lines))]
    return {
        name: [v if v is not None or not known[i] else 0.0 for i, v in enumerate(line)]
        for name, line in lines.items()
    }


def _length(lines: Mapping[str, Sequence[float | None]]) -> int:
    return max((len(line) for line in lines.values()), default=0)


def hop_match(hop: str | None) -> Any:
    return None if hop is None else (lambda labels: labels.get("hop") == hop)


def charts(history: MetricsHistory, times: list[float], window_s: float, hold_s: float) -> Any:
    def per_s(name: str, **kw: Any) -> dict[str, list[float | None]]:
        return rates(history, name, times, window_s, hold_s=hold_s, **kw)

    def total(name: str, **kw: Any) -> list[float | None]:
        lines = per_s(name, **kw)
        return lines.get("", [None] * len(times)) if lines else [None] * len(times)

    def shown(labels: Labels) -> bool:
        return labels.get("holdout") == "false"

    decisions: dict[str, list[float | None]] = {
        "decisions": total(
            "moments_actions_signals_total", match=lambda x: x.get("outcome") == "new"
        )
    }
    decisions.update(per_s("moments_actions_recommendations_total", by="channel", match=shown))
    decisions["held out"] = total(
        "moments_actions_recommendations_total", match=lambda x: not shown(x)
    )
    end_to_end = quantiles(history, END_TO_END, (0.5, 0.95, 0.99), times, window_s, hold_s=hold_s)
    hops = {
        label: quantiles(
            history, name, (0.99,), times, window_s, match=hop_match(hop), hold_s=hold_s
        )[0.99]
        for label, name, hop in HOP_ROWS
    }
    at_ingest = per_s("moments_ingest_events_dead_lettered_total", by="path")
    dead = {
        "http": at_ingest.get("http", []),
        "kafka": at_ingest.get("kafka", []),
        "signals": total("moments_signals_events_total", match=dead_in_signals),
        "actions": total("moments_dead_lettered_total", match=dead_in_actions),
    }
    return {
        "events": chart(
            "Events per second, by outcome",
            "/s",
            times,
            _zero_filled(
                {
                    "accepted": total("moments_ingest_events_accepted_total"),
                    "rejected": total("moments_ingest_events_rejected_total"),
                    "dead-lettered": total("moments_ingest_events_dead_lettered_total"),
                }
            ),
        ),
        "events_by_type": chart(
            "Accepted events per second, by type",
            "/s",
            times,
            per_s("moments_ingest_events_accepted_by_type_total", by="type"),
        ),
        "signals": chart(
            "Signals per second, by kind",
            "/s",
            times,
            per_s("moments_signals_emitted_total", by="type"),
        ),
        "decisions": chart(
            "Decisions, and recommendations by channel, per second", "/s", times, decisions
        ),
        "latency": chart(
            "End-to-end latency, ingest to desktop hub",
            "ms",
            times,
            {f"p{round(q * 100)}": rounded(v, 1000) for q, v in end_to_end.items()},
        ),
        "hops": chart(
            "Latency per hop, p99", "ms", times, {k: rounded(v, 1000) for k, v in hops.items()}
        ),
        "dead_letters": chart(
            "Dead letters per second, by where",
            "/s",
            times,
            _zero_filled({k: v or [None] * len(times) for k, v in dead.items()}),
        ),
    }
