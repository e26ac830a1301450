"""The ops feed without a broker: what it keeps of each message it reads, and what it
makes of the store's figures (a fake store), including the gauges Prometheus scrapes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas.topics import Topics
from services.actions.adapters.reports import ActionOutcomes
from services.actions.consumers.ops_feed import OpsFeed, dead_letter_of
from services.actions.domain.uplift import DecidedCustomer
from services.actions.settings import Settings

TOPICS = Topics("t-feed.")


class FakeStore:
    async def decided_customers(self) -> list[DecidedCustomer]:
        return [
            DecidedCustomer(f"c{i}", "care.x", i % 4 == 0, i % 3 != 0, False, False, 60.0)
            for i in range(200)
        ]

    async def health_distribution(self) -> list[int]:
        return [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]

    async def action_outcomes(self, since: datetime) -> list[ActionOutcomes]:
        return [ActionOutcomes("care.x", 40, {"accepted": 10, "declined": 5})]


def make_feed(now: list[float]) -> OpsFeed:
    settings = Settings(
        database_url="postgresql://unused",
        actions_id_secret="s" * 16,
        ops_consumer_groups={"moments-signals": ["interactions"]},
    )
    return OpsFeed(settings, TOPICS, FakeStore(), clock=lambda: now[0])  # type: ignore[arg-type]


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_feed_watches_actions_own_groups_and_the_configured_ones() -> None:
    feed = make_feed([0.0])
    assert feed.groups == {
        "moments-signals": ["t-feed.interactions"],
        "moments-actions": ["t-feed.signals"],
        "moments-actions-customers": ["t-feed.customers"],
        "moments-actions-outcomes": ["t-feed.outcomes"],
    }


def test_each_message_is_kept_for_what_it_tells() -> None:
    now = [1_800_000_000.0]
    feed = make_feed(now)
    snapshot = {
        "service": "ingest",
        "instance": "h:1",
        "time": now[0] - 1,
        "metrics": {"moments_x": 1},
    }
    feed.on_message(TOPICS.ops_metrics, json.dumps(snapshot).encode(), {})
    feed.on_message(TOPICS.ops_metrics, b"not json", {})  # skipped, not fatal
    assert [(p.service, p.instance, list(p.times)) for p in feed.history.of()] == [
        ("ingest", "h:1", [now[0] - 1])
    ]
    headers = {
        "dlq_reason": json.dumps([{"field": "data.channel", "reason": "unknown"}]).encode(),
        "dlq_path": b"http",
        "dlq_time": b"2026-11-30T10:00:00+00:00",
        "ce_type": b"contact.started",
    }
    feed.on_message(TOPICS.interactions_dlq, b"{secret customer data}", headers)
    assert feed.dead_letters[0].reasons == ("data.channel: unknown",)
    assert "secret" not in repr(feed.dead_letters[0])  # neither payload nor key is kept
    before = sample("moments_actions_hop_seconds_count", {"hop": "signals"})
    stamps = {"moments_ingested_at": b"1000", "moments_signalled_at": b"1010"}
    feed.on_message(TOPICS.recommendations("desktop"), b"{}", stamps)
    assert sample("moments_actions_hop_seconds_count", {"hop": "signals"}) == before + 1


def test_an_unreadable_reason_is_kept_as_text() -> None:
    kept = dead_letter_of({"dlq_reason": b"{not a list", "dlq_path": b"kafka"})
    assert kept.reasons == ("{not a list",) and kept.path == "kafka" and kept.type is None


async def test_the_store_figures_and_the_uplift_reach_the_view_and_the_gauges() -> None:
    now = [1_800_000_000.0]
    feed = make_feed(now)
    await feed._read_store()
    view: dict[str, Any] = feed.view()
    assert view["health"]["customers"] == 28
    assert view["actions"] == [
        {"action_code": "care.x", "shown": 40, "accepted": 10, "declined": 5, "snoozed": 0,
         "completed": 0}
    ]  # fmt: skip
    assert view["uplift"]["treated"] == 150 and view["uplift"]["holdout"] == 50
    assert sample("moments_ops_action_shown", {"action": "care.x"}) == 40
    assert sample("moments_ops_action_outcomes", {"action": "care.x", "outcome": "accepted"}) == 10
    assert sample("moments_ops_health_customers", {"low": "90"}) == 7
    retained = next(c for c in view["uplift"]["comparisons"] if c["metric"] == "retained")
    assert sample("moments_ops_uplift", {"metric": "retained", "bound": "difference"}) == (
        pytest.approx(retained["difference"])
    )
    first = feed.store
    now[0] += 10  # the uplift waits 30 s; the other figures are read again
    await feed._read_store()
    assert first is not None and feed.store is not None and feed.store is not first
    assert feed.store.uplift is first.uplift
