"""What the ops page draws: every chart's series, the bars, and the alerts, as JSON.

`dashboard(...)` turns the ops feed's state (snapshots per process, lag readings, the
latest dead letters, figures from the store) into the document `GET /v1/ops/dashboard`
answers. Every rate and percentile is over a trailing window (`Thresholds.window_s` for
alerts, a few snapshot intervals for the charts). Per-hop latency comes from the
`moments_*_at` stamps the services put on Kafka headers (schemas/headers.py), observed
by the ops feed into `moments_actions_hop_seconds`. Pure: `now` is passed in.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from schemas.reports import ActionUplift
from services.actions.domain.alerts import (
    EXPECTED_SERVICES,
    Figures,
    ServiceStatus,
    Thresholds,
    alerts,
)
from services.actions.domain.lag import LagHistory
from services.actions.domain.operations import (
    MetricsHistory,
    grid,
    increase,
    latest_gauges,
    quantiles,
)
from services.actions.domain.ops_charts import (
    END_TO_END,
    HOP_ROWS,
    chart,
    charts,
    dead_in_actions,
    dead_in_signals,
    hop_match,
    rounded,
)

SPAN_S = 300.0  # the charts show the last five minutes
HEALTH_BANDS = ("at_risk",) * 4 + ("strained",) * 2 + ("steady",) * 2 + ("strong",) * 2
LAG_NOTE = (
    "Lag is end offset minus committed offset. On Tansu 0.6 the end offset is the base "
    "offset of a partition's last record batch, so lag reads low by up to one batch."
)


@dataclass(frozen=True)
class DeadLetter:
    at: str  # dlq_time as sent (ISO 8601)
    path: str  # http, kafka, signals, actions
    type: str | None  # the event's CloudEvents type, when its headers say
    reasons: tuple[str, ...]  # "field: reason", as dlq_reason gives them


@dataclass(frozen=True)
class ActionFigures:
    action_code: str
    shown: int
    accepted: int
    declined: int
    snoozed: int
    completed: int


@dataclass(frozen=True)
class StoreFigures:
    """What the ops feed last read from PostgreSQL (refreshed every few seconds)."""

    read_at: float
    health_bands: Sequence[int]  # customers per 10 points of health
    actions: Sequence[ActionFigures]  # the last 24 h
    uplift: ActionUplift | None  # the overall uplift, refreshed less often


def _typical_interval(history: MetricsHistory) -> float:
    gaps = [p.interval_s for p in history.processes.values() if p.interval_s]
    return statistics.median(gaps) if gaps else 10.0


def service_statuses(
    history: MetricsHistory, now: float, thresholds: Thresholds
) -> list[ServiceStatus]:
    names = list(EXPECTED_SERVICES) + sorted(
        {p.service for p in history.of()} - set(EXPECTED_SERVICES)
    )
    statuses = []
    for name in names:
        processes = history.of(name)
        gaps = [p.interval_s for p in processes if p.interval_s] or [_typical_interval(history)]
        allowance = max(thresholds.silent_after_s, 3 * max(gaps))  # a snapshot may be late
        live = [p for p in processes if now - p.received_at <= allowance]
        failing = sorted(
            {
                key.removeprefix("check=")
                for p in live
                for key, value in latest_gauges(p, "moments_ready").items()
                if value < 1
            }
        )
        heard = max((p.received_at for p in processes), default=None)
        statuses.append(
            ServiceStatus(
                name,
                len(live),
                None if heard is None else max(0.0, now - heard),
                allowance,
                max(gaps),
                tuple(failing),
            )
        )
    return statuses


def dashboard(
    history: MetricsHistory,
    lag: LagHistory,
    dead_letters: Sequence[DeadLetter],
    store: StoreFigures | None,
    thresholds: Thresholds,
    now: float,
    feed_started_at: float,
) -> dict[str, Any]:
    interval = _typical_interval(history)
    statuses = service_statuses(history, now, thresholds)
    hold_s = max(thresholds.silent_after_s, 3 * interval)
    chart_window = max(10.0, 3 * interval)
    times = grid(now, SPAN_S, max(1.0, interval / 2))
    window = thresholds.window_s
    p99 = quantiles(history, END_TO_END, (0.99,), [now], window, hold_s=hold_s)[0.99][0]
    dead = (
        increase(history, "moments_ingest_events_dead_lettered_total", now, window, None, hold_s)
        + increase(history, "moments_signals_events_total", now, window, dead_in_signals, hold_s)
        + increase(history, "moments_dead_lettered_total", now, window, dead_in_actions, hold_s)
    )
    groups = lag.groups(now, window, thresholds.lag_records)
    figures = Figures(
        feed_age_s=now - feed_started_at,
        services=statuses,
        groups=groups,
        lag_read_s=None if lag.last_read is None else now - lag.last_read,
        p99_s=p99,
        latency_observations=increase(history, f"{END_TO_END}_count", now, window, None, hold_s),
        dead_letters=dead,
        events_received=increase(
            history, "moments_ingest_events_received_total", now, window, None, hold_s
        ),
    )
    hop_rows = []
    for label, name, hop in HOP_ROWS:
        q = quantiles(history, name, (0.5, 0.95, 0.99), [now], window, hop_match(hop), hold_s)
        hop_rows.append(
            {"hop": label, **{f"p{round(k * 100)}": rounded(v, 1000)[0] for k, v in q.items()}}
        )
    lag_times = grid(now, SPAN_S, 2.0)
    return {
        "now": now,
        "window_s": window,
        "chart_window_s": chart_window,
        "alerts": [asdict(a) for a in alerts(figures, thresholds)],
        "services": [asdict(s) for s in statuses],
        "charts": {
            **charts(history, times, chart_window, hold_s),
            "lag": chart(
                "Consumer lag, records waiting", "records", lag_times, lag.series(lag_times)
            ),
        },
        "hop_percentiles": hop_rows,
        "p99_target_ms": thresholds.p99_target_s * 1000,
        "lag": {
            "groups": [asdict(g) for g in groups],
            "partitions": [{**asdict(p), "lag": p.lag} for p in lag.partitions()],
            "note": LAG_NOTE,
        },
        "dead_letters": {
            "in_window": dead,
            "events_in_window": figures.events_received,
            "latest": [asdict(d) for d in dead_letters],
        },
        "actions": [asdict(a) for a in store.actions] if store else [],
        "health": (
            {
                "bands": [
                    {"low": 10 * i, "high": 10 * i + 10, "band": HEALTH_BANDS[i], "customers": n}
                    for i, n in enumerate(store.health_bands)
                ],
                "customers": sum(store.health_bands),
            }
            if store
            else None
        ),
        "uplift": store.uplift.model_dump(mode="json") if store and store.uplift else None,
        "store_read_s": None if store is None else now - store.read_at,
    }
