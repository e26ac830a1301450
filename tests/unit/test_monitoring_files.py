"""deploy/prometheus and deploy/grafana are valid and agree with the code: the rules and
the dashboard parse, have the shape Prometheus and Grafana load, name only metrics the
services export, and alert at the ops page's thresholds.

There is no promtool here, so expressions are checked by a small PromQL tokenizer:
strings, label matchers, ranges, grouping clauses, numbers and Grafana variables are
removed, and what remains that is not a function or a keyword is a metric name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import services.actions.adapters.push
import services.actions.consumers.customers
import services.actions.consumers.desktops
import services.actions.consumers.ops_feed
import services.actions.handlers
import services.ingest.handlers
import services.plumbing.consuming
import services.plumbing.metrics
import services.signals.consumers.interactions  # noqa: F401  (each defines metrics)
from services.actions.domain.alerts import Thresholds
from services.actions.ops_settings import OpsPageSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
PROMETHEUS_OWN = {"up"}  # what Prometheus records about every scrape itself
ALERTS = {
    "MomentsServiceDown",
    "MomentsServiceNotReady",
    "MomentsConsumerStopped",
    "MomentsConsumerLagGrowing",
    "MomentsLatencyP99OverTarget",
    "MomentsDeadLetterRateHigh",
}


def exported_metrics() -> set[str]:
    """Every sample name the services' metrics can produce."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    names: set[str] = set()
    for family in REGISTRY.collect():
        if not family.name.startswith("moments_"):
            continue
        names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    text = re.sub(r"(?<![\w:])\d+(ms|[smhdwy])(?!\w)", " ", text)  # durations, as in offset 5m
    text = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?", " ", text)
    found = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        if text[match.end() :].lstrip().startswith("(") or match.group().lower() in KEYWORDS:
            continue  # a function, or an operator word
        found.add(match.group())
    return found


def test_the_tokenizer_finds_metrics_and_only_metrics() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, hop)"
        ' (rate(moments_x_bucket{a="b c"}[$__rate_interval]))) > 1e-3'
        ' and on (group) (up{job=~"m.*"} or vector(0)) / moments_y_total offset 5m'
    )
    assert metric_names(expr) == {"moments_x_bucket", "up", "moments_y_total"}


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    assert set(loaded) == {"groups"}
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_the_rules_file_has_the_shape_prometheus_loads(rules: list[dict[str, Any]]) -> None:
    loaded = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    for group in loaded["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"]
    names = [rule["alert"] for rule in rules]
    assert sorted(names) == sorted(ALERTS)  # once each: the five conditions, down and not ready
    for rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_every_rule_names_metrics_the_services_export(rules: list[dict[str, Any]]) -> None:
    known = exported_metrics() | PROMETHEUS_OWN
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= known, f"{rule['alert']}: {sorted(names - known)}"


def test_the_rules_alert_at_the_ops_pages_thresholds(rules: list[dict[str, Any]]) -> None:
    page = OpsPageSettings().thresholds()
    assert page == Thresholds()  # the settings' defaults are the domain's
    by_name = {rule["alert"]: " ".join(rule["expr"].split()) for rule in rules}
    assert f"> {page.p99_target_s}" in by_name["MomentsLatencyP99OverTarget"]
    assert f">= {page.min_latency_observations}" in by_name["MomentsLatencyP99OverTarget"]
    assert f"> {page.dead_letter_ratio}" in by_name["MomentsDeadLetterRateHigh"]
    assert f"> {page.lag_records}" in by_name["MomentsConsumerLagGrowing"]


def test_prometheus_scrapes_each_service_under_the_job_the_rules_expect() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job["dns_sd_configs"][0] for job in config["scrape_configs"]}
    assert {name: (sd["names"], sd["port"]) for name, sd in jobs.items()} == {
        "moments-ingest": (["ingest"], 8080),
        "moments-signals": (["signals"], 6066),
        "moments-actions": (["actions"], 8081),
    }  # the services and ports of docker-compose.yml


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana" / "small-moments.json").read_text())
    return loaded


def test_the_dashboard_has_the_shape_grafana_imports(board: dict[str, Any]) -> None:
    assert board["uid"] == "small-moments-ops" and board["title"]
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 36
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert set(grid) == {"x", "y", "w", "h"} and grid["x"] + grid["w"] <= 24
        assert panel["type"] in {"timeseries", "stat", "bargauge", "alertlist"}
        if panel["type"] == "alertlist":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]


def test_every_dashboard_query_names_metrics_the_services_export(board: dict[str, Any]) -> None:
    known = exported_metrics()
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            names = metric_names(target["expr"])
            assert names and names <= known, f"{panel['title']}: {sorted(names - known)}"


def test_the_dashboard_shows_what_the_ops_page_shows(board: dict[str, Any]) -> None:
    queried = {
        name
        for panel in board["panels"]
        for target in panel.get("targets", [])
        for name in metric_names(target["expr"])
    }
    assert {
        "moments_ingest_events_accepted_by_type_total",  # events by type
        "moments_ingest_events_dead_lettered_total",  # and by outcome
        "moments_signals_emitted_total",  # signals by kind
        "moments_actions_recommendations_total",  # recommendations by channel
        "moments_actions_event_to_push_seconds_bucket",  # end-to-end percentiles
        "moments_actions_hop_seconds_bucket",  # per hop
        "moments_consumer_lag",  # per group and partition
        "moments_ops_action_outcomes",  # acceptance and decline per action
        "moments_ops_health_customers",  # relationship-health distribution
        "moments_ops_uplift",  # the uplift summary
        "moments_ready",
    } <= queried
