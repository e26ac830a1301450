"""The ops page's alerts: the same five conditions as deploy/prometheus/alerts.yml.

`alerts(figures, thresholds)` is pure: the figures are computed from the ops.metrics
snapshots and the lag readings (domain/dashboard.py), the thresholds come from actions'
settings (OPS_*). Each alert says what is wrong, where, and since when, in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from services.actions.domain.lag import GroupLag

EXPECTED_SERVICES = ("ingest", "signals", "actions")


@dataclass(frozen=True)
class Thresholds:
    window_s: float = 60.0  # every rate and percentile an alert reads is over this window
    p99_target_s: float = 0.1  # the end-to-end p99 target
    min_latency_observations: int = 20  # fewer in the window: too few to judge a p99
    dead_letter_ratio: float = 0.01  # dead letters per event received
    min_dead_letters: float = 3  # in the window, so one poison event at low traffic is not
    lag_records: int = 1000  # a growing lag alerts above this many records waiting
    stalled_after_s: float = 15.0  # records waiting, no commit for this long: stopped
    silent_after_s: float = 10.0  # at least; else 3 snapshot intervals


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    processes: int  # processes heard from within their silence allowance
    silent_s: float | None  # since anything was heard from it; None: never
    allowance_s: float  # how long it may stay silent: 3 snapshot intervals, at least the floor
    interval_s: float  # the gap between its snapshots, as observed
    not_ready: tuple[str, ...] = ()  # readiness checks failing in its latest snapshot


@dataclass(frozen=True)
class Figures:
    feed_age_s: float  # how long the ops feed has been reading
    services: Sequence[ServiceStatus]
    groups: Sequence[GroupLag]
    lag_read_s: float | None  # since the last lag reading; None: none yet
    p99_s: float | None
    latency_observations: float
    dead_letters: float  # in the window
    events_received: float  # in the window


@dataclass(frozen=True)
class Alert:
    code: Literal[
        "service_not_ready", "consumer_stopped", "lag_growing", "latency_p99", "dead_letters"
    ]
    severity: Literal["critical", "warning"]
    title: str
    detail: str
    subject: str = field(default="")  # the service or group it is about


def _service_alerts(figures: Figures) -> list[Alert]:
    found = []
    for status in figures.services:
        name = status.service
        if status.silent_s is None:
            if figures.feed_age_s > status.allowance_s:
                found.append(
                    Alert(
                        "service_not_ready",
                        "critical",
                        f"{name}: not heard from",
                        f"no ops.metrics snapshot from {name} in the {figures.feed_age_s:.0f} s "
                        "this page's feed has been reading",
                        name,
                    )
                )
        elif status.processes == 0:
            found.append(
                Alert(
                    "service_not_ready",
                    "critical",
                    f"{name}: silent",
                    f"{name} has sent no ops.metrics snapshot for {status.silent_s:.0f} s "
                    f"(it sends one every {status.interval_s:.0f} s): stopped, "
                    "frozen or cut off from the broker",
                    name,
                )
            )
        elif status.not_ready:
            found.append(
                Alert(
                    "service_not_ready",
                    "critical",
                    f"{name}: not ready",
                    f"{name} reports failing readiness checks: {', '.join(status.not_ready)}",
                    name,
                )
            )
    return found


def _consumer_alerts(figures: Figures, thresholds: Thresholds) -> list[Alert]:
    found = []
    for group in figures.groups:
        if group.stalled_s >= thresholds.stalled_after_s:
            found.append(
                Alert(
                    "consumer_stopped",
                    "critical",
                    f"consumer group {group.group} stopped",
                    f"{group.lag} records waiting and no offset committed on "
                    f"{group.stalled_partition} for {group.stalled_s:.0f} s",
                    group.group,
                )
            )
        elif group.growing:
            found.append(
                Alert(
                    "lag_growing",
                    "warning",
                    f"consumer group {group.group} falling behind",
                    f"lag {group.lag} records (over {thresholds.lag_records}) and growing over the "
                    f"last {thresholds.window_s:.0f} s",
                    group.group,
                )
            )
    return found


def alerts(figures: Figures, thresholds: Thresholds) -> list[Alert]:
    """Every alert that holds now, the critical ones first."""
    found = _service_alerts(figures) + _consumer_alerts(figures, thresholds)
    if figures.lag_read_s is not None and figures.lag_read_s > 3 * thresholds.stalled_after_s:
        found.append(
            Alert(
                "consumer_stopped",
                "warning",
                "consumer lag unknown",
                f"no lag reading for {figures.lag_read_s:.0f} s: the broker does not answer "
                "the ops feed",
                "",
            )
        )
    if (
        figures.p99_s is not None
        and figures.latency_observations >= thresholds.min_latency_observations
        and figures.p99_s > thresholds.p99_target_s
    ):
        found.append(
            Alert(
                "latency_p99",
                "warning",
                "end-to-end p99 over target",
                f"p99 {figures.p99_s * 1000:.0f} ms over the last {thresholds.window_s:.0f} s "
                f"(target {thresholds.p99_target_s * 1000:.0f} ms, "
                f"{figures.latency_observations:.0f} recommendations)",
                "",
            )
        )
    if figures.dead_letters >= thresholds.min_dead_letters and (
        figures.dead_letters > thresholds.dead_letter_ratio * max(figures.events_received, 1.0)
    ):
        share = figures.dead_letters / max(figures.events_received, 1.0)
        found.append(
            Alert(
                "dead_letters",
                "warning",
                "dead-letter rate over threshold",
                f"{figures.dead_letters:.0f} dead letters per {figures.events_received:.0f} events "
                f"received in the last {thresholds.window_s:.0f} s ({share:.1%}; threshold "
                f"{thresholds.dead_letter_ratio:.1%})",
                "",
            )
        )
    return sorted(found, key=lambda a: a.severity != "critical")
