"""The simulator's senders against a real ingest and broker: HTTP (single and batch) and
Kafka (`interactions.raw`, through ingest's raw gate), each reaching `interactions`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moments.simulate.domain.population import PurchaseHistory, TenureRecord, build_population
from moments.simulate.domain.simulation import Simulation
from moments.simulate.senders import HttpSender, KafkaSender
from schemas.topics import Topics
from tests.backends import Backend
from tests.harness import ServiceProcess, read_topic
from tests.integration.conftest import base_url


def simulated(run_id: str, seed: int, count: int) -> list[dict[str, Any]]:
    histories = [PurchaseHistory("00002", (11, 11, 40), (12.0, 77.0, 20.5))]
    tenures = [TenureRecord(8, "Month-to-month", False, 99.65, "Electronic check")]
    population = build_population(seed, 30, histories, tenures, prefix=f"sim{run_id}")
    simulation = Simulation(seed, population, datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    events = []
    for event in simulation.events():
        events.append(event.cloudevent(seed, "/channels/test"))
        if len(events) == count:
            return events
    return events


def ids_of(messages: list[Any]) -> set[str]:
    return {dict(m.headers)["ce_id"].decode() for m in messages}


async def test_http_sender_single_and_batch_reach_interactions(
    backend: Backend, topics: Topics, services: Callable[..., ServiceProcess], api_key: str,
    run_id: str,
) -> None:  # fmt: skip
    ingest = services("ingest")
    await ingest.wait_ready()
    events = simulated(run_id, 1, 25)
    sender = HttpSender(base_url(ingest), api_key, concurrency=2)
    await sender.start()
    try:
        single = await sender.send(events[:1])
        batch = await sender.send(events[1:])
    finally:
        await sender.close()
    assert (single.accepted, single.refused) == (1, 0)
    assert (batch.accepted, batch.refused) == (24, 0)
    messages = await read_topic(
        backend.bootstrap_servers, topics.interactions, lambda m: len(m) >= 25
    )
    assert ids_of(messages) == {e["id"] for e in events}
    assert all(m.key == dict(m.headers)["ce_subject"] for m in messages)


async def test_kafka_sender_passes_the_raw_gate_into_interactions(
    backend: Backend, topics: Topics, services: Callable[..., ServiceProcess], run_id: str
) -> None:
    ingest = services("ingest")
    await ingest.wait_ready()
    events = simulated(run_id, 2, 30)
    sender = KafkaSender(backend.bootstrap_servers, topics.prefix)
    await sender.start()
    try:
        delivered = await sender.send(events)
    finally:
        await sender.close()
    assert (delivered.accepted, delivered.refused) == (30, 0)
    messages = await read_topic(
        backend.bootstrap_servers, topics.interactions, lambda m: len(m) >= 30
    )
    assert ids_of(messages) == {e["id"] for e in events}
    dead = await read_topic(
        backend.bootstrap_servers, topics.interactions_dlq, lambda m: True, deadline_s=2
    )
    assert dead == []
