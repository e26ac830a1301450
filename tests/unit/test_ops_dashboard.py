"""The ops page's arithmetic and alerts, from synthetic ops.metrics snapshots and lag
readings: rates across processes and restarts, percentiles like Prometheus', consumers
that stop or fall behind, services that go silent, and the document the page draws."""

from __future__ import annotations

import json
import math

import pytest

from services.actions.domain.alerts import Figures, ServiceStatus, Thresholds, alerts
from services.actions.domain.dashboard import DeadLetter, StoreFigures, dashboard
from services.actions.domain.hops import hop_seconds
from services.actions.domain.lag import GroupLag, LagHistory, PartitionLag
from services.actions.domain.operations import (
    MetricsHistory,
    increase,
    parse_key,
    quantile,
    quantiles,
    rates,
)

T0 = 1_800_000_000.0
BUCKETS = ("0.01", "0.1", "1.0", "+Inf")


def feed(
    history: MetricsHistory,
    service: str,
    instance: str,
    start: float,
    end: float,
    metrics: dict[str, float],
    step: float = 2.0,
    ready: bool = True,
) -> None:
    """Snapshots every `step` s from `start` to `end`: each metric rises at its rate/s."""
    t = start
    while t <= end + 1e-9:
        values = {key: rate * (t - start) for key, rate in metrics.items()}
        values['moments_ready{check="broker"}'] = 1.0 if ready else 0.0
        history.add(service, instance, t, values, received_at=t)
        t += step


def latency_buckets(per_s: float, slow_share: float) -> dict[str, float]:
    """A histogram where (1 - slow_share) of observations take ~5 ms and the rest ~500 ms."""
    fast, slow = per_s * (1 - slow_share), per_s * slow_share
    counts = {"0.01": fast, "0.1": fast, "1.0": fast + slow, "+Inf": fast + slow}
    name = "moments_actions_event_to_push_seconds"
    made = {f'{name}_bucket{{le="{le}"}}': counts[le] for le in BUCKETS}
    made[f"{name}_count"] = per_s
    return made


def test_a_snapshot_key_is_split_into_name_and_labels() -> None:
    assert parse_key('moments_x_total{path="http",reason="a \\"b\\""}') == (
        "moments_x_total",
        {"path": "http", "reason": 'a \\"b\\"'},
    )
    assert parse_key("moments_ready") == ("moments_ready", {})


def test_rates_add_up_over_processes_and_survive_a_restart() -> None:
    history = MetricsHistory()
    key = 'moments_ingest_events_accepted_total{path="http"}'
    feed(history, "ingest", "a:1", T0, T0 + 120, {key: 5.0})
    feed(history, "ingest", "b:2", T0, T0 + 60, {key: 3.0})
    feed(history, "ingest", "b:2", T0 + 62, T0 + 120, {key: 3.0})  # restarted from 0
    line = rates(history, "moments_ingest_events_accepted_total", [T0 + 100], 20.0)[""]
    assert line[0] == pytest.approx(8.0)
    by_path = rates(history, "moments_ingest_events_accepted_total", [T0 + 100], 20, by="path")
    assert by_path["http"][0] == pytest.approx(8.0)
    assert increase(history, "moments_ingest_events_accepted_total", T0 + 100, 20.0) == (
        pytest.approx(160.0)
    )


def test_a_silent_process_stops_counting_after_its_allowance() -> None:
    history = MetricsHistory()
    key = "moments_signals_emitted_total"
    feed(history, "signals", "a:1", T0, T0 + 60, {f'{key}{{type="complaint"}}': 2.0})
    held = rates(history, key, [T0 + 65, T0 + 100], 10.0, by="type", hold_s=10.0)["complaint"]
    assert held[0] == pytest.approx(2.0)  # up to its last snapshot, 5 s ago
    assert held[1] is None  # 40 s later it no longer counts


def test_quantile_follows_prometheus_histogram_quantile() -> None:
    buckets = [(0.1, 50.0), (0.2, 100.0), (math.inf, 100.0)]
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.75, buckets) == pytest.approx(0.15)
    assert quantile(0.99, [(0.1, 10.0), (math.inf, 20.0)]) == pytest.approx(0.1)  # overflow
    assert quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]) is None


def test_p99_over_the_window_sees_the_slow_tail() -> None:
    history = MetricsHistory()
    feed(history, "actions", "a:1", T0, T0 + 120, latency_buckets(10.0, slow_share=0.05))
    p = quantiles(history, "moments_actions_event_to_push_seconds", (0.5, 0.99), [T0 + 120], 60)
    assert p[0.5][0] == pytest.approx(0.01 * 0.5 / 0.95)
    assert 0.1 < (p[0.99][0] or 0) < 1.0


def lag_round(history: LagHistory, at: float, committed: int, end: int, partition: int = 0) -> None:
    history.add(at, [PartitionLag("moments-signals", "interactions", partition, committed, end)])


def test_a_group_with_records_waiting_and_no_commit_has_stopped() -> None:
    lag = LagHistory()
    for i in range(10):  # healthy: commits keep up, lag is sometimes 1
        lag_round(lag, T0 + 2 * i, committed=10 * i, end=10 * i + (i % 2))
    assert lag.groups(T0 + 18, 60, 1000)[0].stalled_s == 0.0
    for i in range(10, 20):  # stopped at offset 90 while events keep arriving
        lag_round(lag, T0 + 2 * i, committed=90, end=90 + 5 * (i - 9))
    group = lag.groups(T0 + 38, 60, 1000)[0]
    assert group.lag == 50
    # Offset 90 was committed at T0+18 with one record already waiting: stuck since then.
    assert group.stalled_s == pytest.approx(20.0)
    assert group.stalled_partition == "interactions[0]"


def test_a_slow_consumer_that_commits_is_growing_not_stopped() -> None:
    lag = LagHistory()
    for i in range(30):
        lag_round(lag, T0 + 2 * i, committed=100 * i, end=100 * i + 1000 + 50 * i)
    group = lag.groups(T0 + 58, 60, 1000)[0]
    assert group.growing and group.stalled_s == 0.0
    assert lag.series([T0 - 1, T0 + 58])["moments-signals"] == [None, 1000 + 50 * 29]


def figures(**changes: object) -> Figures:
    healthy = {
        "feed_age_s": 300.0,
        "services": [ServiceStatus(s, 1, 1.0, 10.0, 2.0) for s in ("ingest", "signals")],
        "groups": [GroupLag("moments-signals", 0, False, 0.0, None)],
        "lag_read_s": 1.0,
        "p99_s": 0.05,
        "latency_observations": 500.0,
        "dead_letters": 0.0,
        "events_received": 6000.0,
    }
    return Figures(**{**healthy, **changes})  # type: ignore[arg-type]


def test_healthy_figures_raise_no_alert() -> None:
    assert alerts(figures(), Thresholds()) == []


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        (
            {"services": [ServiceStatus("signals", 0, 25.0, 10.0, 2.0)]},
            "service_not_ready",
            "signals has sent no ops.metrics snapshot for 25 s (it sends one every 2 s)",
        ),
        (
            {"services": [ServiceStatus("ingest", 1, 1.0, 10.0, 2.0, ("database",))]},
            "service_not_ready",
            "ingest reports failing readiness checks: database",
        ),
        (
            {"services": [ServiceStatus("actions", 0, None, 10.0, 2.0)]},
            "service_not_ready",
            "no ops.metrics snapshot from actions in the 300 s",
        ),
        (
            {"groups": [GroupLag("moments-signals", 120, False, 16.0, "interactions[3]")]},
            "consumer_stopped",
            "120 records waiting and no offset committed on interactions[3] for 16 s",
        ),
        (
            {"groups": [GroupLag("moments-signals", 5000, True, 0.0, None)]},
            "lag_growing",
            "lag 5000 records (over 1000) and growing",
        ),
        ({"p99_s": 0.25}, "latency_p99", "p99 250 ms over the last 60 s (target 100 ms"),
        ({"dead_letters": 90.0}, "dead_letters", "90 dead letters per 6000 events"),
    ],
)
def test_each_alert_says_what_is_wrong(changes: dict[str, object], code: str, words: str) -> None:
    raised = alerts(figures(**changes), Thresholds())
    assert [a.code for a in raised] == [code]
    assert words in raised[0].detail


def test_too_few_observations_or_dead_letters_do_not_alert() -> None:
    quiet = figures(p99_s=2.0, latency_observations=5.0, dead_letters=2.0, events_received=10.0)
    assert alerts(quiet, Thresholds()) == []


def test_hops_come_from_the_header_stamps() -> None:
    headers = {
        "moments_ingested_at": b"1000",
        "moments_signalled_at": b"1012",
        "moments_decided_at": b"1030",
    }
    assert hop_seconds(headers, 1041.0) == pytest.approx(
        {"signals": 0.012, "actions": 0.018, "publish": 0.011, "end_to_end": 0.041}
    )
    assert hop_seconds({"moments_decided_at": b"x"}, 1.0) == {}


def test_the_dashboard_document_shows_traffic_and_a_stopped_signals_worker() -> None:
    history = MetricsHistory()
    now = T0 + 200
    feed(
        history,
        "ingest",
        "i:1",
        T0,
        now,
        {
            'moments_ingest_events_received_total{path="http"}': 12.0,
            'moments_ingest_events_accepted_total{path="http"}': 10.0,
            'moments_ingest_events_accepted_by_type_total{type="contact.started"}': 6.0,
            'moments_ingest_events_accepted_by_type_total{type="complaint.filed"}': 4.0,
            'moments_ingest_events_dead_lettered_total{path="http"}': 2.0,
        },
    )
    feed(
        history,
        "signals",
        "s:1",
        T0,
        T0 + 150,
        {'moments_signals_emitted_total{type="complaint"}': 4.0},
    )
    feed(
        history,
        "actions",
        "a:1",
        T0,
        now,
        {
            'moments_actions_signals_total{outcome="new"}': 4.0,
            'moments_actions_recommendations_total{channel="desktop",holdout="false"}': 3.0,
            'moments_actions_recommendations_total{channel="desktop",holdout="true"}': 0.2,
            **latency_buckets(3.0, slow_share=0.0),
        },
    )
    lag = LagHistory()
    for i in range(26):  # from T0+150 to now, signals commits nothing
        lag_round(lag, T0 + 150 + 2 * i, committed=500, end=500 + 10 * i)
    store = StoreFigures(now - 3, [0, 0, 0, 1, 2, 5, 20, 30, 10, 2], [], None)
    dead = [
        DeadLetter("2026-11-30T10:00:00+00:00", "http", "contact.started", ("data.channel: bad",))
    ]
    view = dashboard(history, lag, dead, store, Thresholds(), now, feed_started_at=T0)
    json.dumps(view)  # the route answers it as JSON

    events = view["charts"]["events"]["lines"]
    assert events["accepted"][-1] == pytest.approx(10.0)
    assert events["rejected"][-1] == 0.0  # never counted: none, not unknown
    assert view["charts"]["events_by_type"]["lines"]["complaint.filed"][-1] == pytest.approx(4.0)
    decisions = view["charts"]["decisions"]["lines"]
    assert decisions["desktop"][-1] == pytest.approx(3.0)
    assert decisions["held out"][-1] == pytest.approx(0.2)
    assert view["charts"]["latency"]["lines"]["p99"][-1] < 10  # ms: all fast
    assert view["charts"]["lag"]["lines"]["moments-signals"][-1] == 250
    assert view["charts"]["signals"]["lines"]["complaint"][-1] is None  # silent for 50 s

    codes = {a["code"]: a for a in view["alerts"]}
    assert codes["service_not_ready"]["subject"] == "signals"
    assert codes["consumer_stopped"]["subject"] == "moments-signals"
    assert "dead_letters" in codes  # 2 of 12 received per second
    assert view["alerts"][0]["severity"] == "critical"
    signals = next(s for s in view["services"] if s["service"] == "signals")
    assert signals["processes"] == 0 and signals["silent_s"] == pytest.approx(50.0)
    assert view["health"]["customers"] == 70
    assert view["health"]["bands"][3] == {"low": 30, "high": 40, "band": "at_risk", "customers": 1}
    assert list(view["dead_letters"]["latest"][0]["reasons"]) == ["data.channel: bad"]
    assert view["dead_letters"]["in_window"] == pytest.approx(120.0)
    assert "Tansu 0.6" in view["lag"]["note"]
