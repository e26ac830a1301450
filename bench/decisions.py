"""How fast actions decides: decisions per second and the latency of one decision.

In-process, with no broker or database. A seeded population lives through simulated
days; every event goes through the real signals handler, and every customer moment (the
signals of one event) is decided by the real decision code with the customer's history
as actions' store would hold it: the signals so far, the customer record, the
recommendations decided so far, and agents' answers drawn from each simulated
customer's latent propensity, which also feed the learned tallies. Those inputs are
recorded as the story plays, then decided again one at a time under a timer: what the
`moments_actions_decision_seconds` histogram measures inside actions, without the store.
Each decision is timed `--repeats` times: the first timings give decisions per second
and the latency quantiles; the median of each decision's timings gives them again with
the moments a busy machine gave the core to another process left out.

    python -m bench.decisions                      # 1,000 customers, 60 days, seed 1
    python -m bench.decisions --customers 300 --days 30 --json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from moments.simulate.datasets import purchase_histories, tenure_records
from moments.simulate.domain.population import build_population
from moments.simulate.domain.simulation import Simulation
from schemas.customers import CustomerRecord
from schemas.events import parse_event
from schemas.recommendations import OutcomeKind
from schemas.signals import Signal
from services.actions.domain.decisioning.catalogue import Catalogue, load_catalogue
from services.actions.domain.decisioning.contact_policy import ContactPolicy
from services.actions.domain.decisioning.context import (
    CustomerHistory,
    Moment,
    PastOutcome,
    PastRecommendation,
    Tally,
)
from services.actions.domain.decisioning.decide import decide
from services.actions.settings import DEFAULT_CATALOGUE
from services.plumbing.ids import keyed_id

START = datetime(2026, 1, 5, tzinfo=UTC)
SECRET = "bench-decisions-secret"
LOOKBACK = timedelta(days=120)


@dataclass(frozen=True)
class DecisionFigures:
    seed: int
    customers: int
    days: float
    events: int
    moments: int  # decisions timed
    recommendations: int  # what those decisions made
    mean_signals_in_history: float
    mean_recommendations_in_history: float
    decisions_per_s: float  # one after another, on one core (first timing of each)
    p50_ms: float  # of each decision's first timing
    p99_ms: float
    max_ms: float
    repeats: int  # each decision is timed this many times
    steady_p50_ms: float  # of each decision's median timing: the code's own cost, with
    steady_p99_ms: float  # the moments a busy machine took the core away left out


@dataclass
class _Customer:
    signals: list[Signal]
    recommendations: list[PastRecommendation]
    outcomes: list[PastOutcome]
    record: CustomerRecord | None = None


def _inputs(
    seed: int, customers: int, days: float, catalogue: Catalogue, policy: ContactPolicy
) -> tuple[list[tuple[Moment, CustomerHistory, dict[tuple[str, str], Tally]]], int]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from services.signals.handlers import SignalsHandler

    population = build_population(seed, customers, purchase_histories(), tenure_records(), "dec")
    simulation = Simulation(seed, population, START.timestamp())
    analyzer = SentimentIntensityAnalyzer()
    handler = SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))
    end = START.timestamp() + days * 86400
    states: dict[str, bytes] = {}
    people: dict[str, _Customer] = {}
    tallies: dict[tuple[str, str], Tally] = {}
    recorded = []
    events = 0
    for simulated in simulation.events():
        if simulated.at > end:
            break
        events += 1
        event = parse_event(simulated.cloudevent(seed))
        handled = handler.handle(states.get(simulated.customer_id), event, event.time)
        if handled.state is not None:
            states[simulated.customer_id] = handled.state
        person = people.setdefault(simulated.customer_id, _Customer([], [], []))
        if not handled.signals:
            person.record = handled.customer or person.record
            continue
        person.signals = [s for s in person.signals if s.occurred_at > event.time - LOOKBACK]
        person.signals += handled.signals
        moment = Moment.of(handled.signals)
        history = CustomerHistory(
            person.record,
            tuple(person.signals),
            tuple(person.recommendations),
            tuple(person.outcomes),
        )
        recorded.append((moment, history, dict(tallies)))
        rng = random.Random(keyed_id(SECRET, "draw", *(s.id for s in moment.signals)))
        decision = decide(moment, history, catalogue, policy, tallies, rng, moment.at)
        person.record = handled.customer or person.record
        for made in decision.made:
            rec = made.recommendation
            answer = simulation.answer(simulated.customer_id, rec.id, rec.action.code)
            person.recommendations.append(
                PastRecommendation(rec, answer, made.moment_at, made.open_until)
            )
            person.outcomes.append(
                PastOutcome(rec.id, rec.action.code, OutcomeKind(answer), None, made.moment_at)
            )
            old = tallies.get((rec.action.code, "all"), Tally())
            won = answer == "accepted"
            tallies[(rec.action.code, "all")] = Tally(old.successes + won, old.failures + (not won))
    return recorded, events


def _quantile(ordered: list[float], q: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


def measure(
    seed: int = 1, customers: int = 1000, days: float = 60.0, repeats: int = 3
) -> DecisionFigures:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    policy = ContactPolicy(6, 5.0, "bench", SECRET)
    recorded, events = _inputs(seed, customers, days, catalogue, policy)
    timings: list[list[float]] = [[] for _ in recorded]
    made = 0
    for round_number in range(repeats):
        for number, (moment, history, tallies) in enumerate(recorded):
            rng = random.Random(keyed_id(SECRET, "draw", *(s.id for s in moment.signals)))
            started = time.perf_counter()
            decision = decide(moment, history, catalogue, policy, tallies, rng, moment.at)
            timings[number].append(time.perf_counter() - started)
            if round_number == 0:
                made += len(decision.made)
    latencies = [t[0] for t in timings]
    ordered = sorted(latencies)
    steady = sorted(statistics.median(t) for t in timings)

    return DecisionFigures(
        seed=seed,
        customers=customers,
        days=days,
        events=events,
        moments=len(recorded),
        recommendations=made,
        mean_signals_in_history=round(statistics.fmean(len(h.signals) for _, h, _ in recorded), 2),
        mean_recommendations_in_history=round(
            statistics.fmean(len(h.recommendations) for _, h, _ in recorded), 2
        ),
        decisions_per_s=round(len(latencies) / sum(latencies), 1),
        p50_ms=_quantile(ordered, 0.50),
        p99_ms=_quantile(ordered, 0.99),
        max_ms=round(ordered[-1] * 1000, 3),
        repeats=repeats,
        steady_p50_ms=_quantile(steady, 0.50),
        steady_p99_ms=_quantile(steady, 0.99),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--days", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3, help="timings per decision")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.seed, args.customers, args.days, max(1, args.repeats))
    if args.json:
        print(json.dumps(asdict(figures)))
        return 0
    print(
        f"{figures.moments} customer moments from {figures.events} events "
        f"({figures.customers} customers, {figures.days:g} days, seed {figures.seed}), "
        f"{figures.recommendations} recommendations made\n"
        f"history per decision: {figures.mean_signals_in_history} signals, "
        f"{figures.mean_recommendations_in_history} recommendations\n"
        f"decisions per second (one core): {figures.decisions_per_s:,.0f}\n"
        f"latency per decision: p50 {figures.p50_ms} ms, p99 {figures.p99_ms} ms, "
        f"max {figures.max_ms} ms\n"
        f"median of {figures.repeats} timings per decision: p50 {figures.steady_p50_ms} ms, "
        f"p99 {figures.steady_p99_ms} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
