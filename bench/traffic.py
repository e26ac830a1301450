"""What the benchmark sends: `moments simulate`'s population as it comes (seed 2026).

`simulation(prefix, size)` is a fresh population with its own customer ids (each
configuration gets its own prefix, so no run sees another's customers).
`profile_messages()` folds some of that traffic through the real signals handler and
decision policy, for the raw broker baseline's message sizes and the memory benchmark's
customer states.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench.memory import realistic_states
from moments.simulate.datasets import purchase_histories, tenure_records
from moments.simulate.domain.population import build_population
from moments.simulate.domain.simulation import SimulatedEvent, Simulation
from moments.simulate.senders import kafka_message
from schemas.events import parse_event
from services.actions.domain.catalogue import load_catalogue
from services.actions.domain.policy import ContactPolicy, decide
from services.actions.settings import DEFAULT_CATALOGUE
from services.signals.handlers import SignalsHandler

SEED = 2026
START = datetime(2026, 1, 5, tzinfo=UTC)


def simulation(prefix: str, size: int) -> Simulation:
    population = build_population(SEED, size, purchase_histories(), tenure_records(), prefix)
    return Simulation(SEED, population, START.timestamp())


def take(events: Iterator[SimulatedEvent], count: int) -> Iterator[SimulatedEvent]:
    for number, event in enumerate(events):
        if number >= count:
            return
        yield event


def profile_messages() -> tuple[list[Any], dict[str, float], list[bytes]]:
    """Real message sizes per hop, and real customer states, from simulated traffic."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    events = list(take(simulation("size", 2_000).events(), 30_000))
    first_hop = [kafka_message(e.cloudevent(SEED)) for e in events[:5_000]]
    analyzer = SentimentIntensityAnalyzer()
    handler = SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    policy = ContactPolicy(6, 0.0, "bench", "bench-id-secret")
    signal_sizes: list[int] = []
    rec_sizes: list[int] = []
    record_sizes: list[int] = []  # what signals publishes on `customers` per event
    states: dict[str, bytes] = {}
    now = datetime.now(UTC)
    for event in events[:5_000]:
        parsed = parse_event(event.cloudevent(SEED))
        state, found, record = handler.handle(states.get(event.customer_id), parsed, now)
        if state is not None:
            states[event.customer_id] = state
        if record is not None:
            record_sizes.append(len(record.model_dump_json()))
        for finding in found:
            signal_sizes.append(len(finding.model_dump_json()))
            for rec in decide(finding, catalogue, policy, 0, now):
                rec_sizes.append(len(rec.model_dump_json()))
    sizes = {
        "interaction_value_bytes": statistics.fmean(len(m[1]) for m in first_hop),
        "interaction_header_bytes": statistics.fmean(
            sum(len(k) + len(v) for k, v in m[2]) for m in first_hop
        ),
        "signal_bytes": statistics.fmean(signal_sizes),
        "customer_record_bytes": statistics.fmean(record_sizes),
        "recommendation_bytes": statistics.fmean(rec_sizes),
        "signals_per_event": len(signal_sizes) / 5_000,
        "recommendations_per_event": len(rec_sizes) / 5_000,
    }
    active = realistic_states(iter(events), SEED, len(events))
    return first_hop, sizes, active
