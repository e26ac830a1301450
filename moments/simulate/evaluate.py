"""`moments evaluate-health`: does relationship health see what the simulator hides?

    moments evaluate-health --seed 1                       # 1,000 customers, 120 days
    moments evaluate-health --seed 1 --customers 300 --days 60 --json

A seeded population lives through simulated days and every event goes through the real
signals handler (VADER for sentiment, as the worker runs it). At the end, each customer
still with us gets their relationship health at that moment, and the simulator's latent
churn hazard at the same moment. Reported: Spearman's rank correlation between the two
(it should be clearly negative: the likelier to leave, the lower the score), the mean
score per hazard quintile, and the same correlation against the part of the hazard
that moments drive (hazard / the customer's base hazard from their contract, which no
event reveals). Nothing is sent anywhere: the same arguments give the same figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from moments.simulate.domain.mood import hazard_per_day
from moments.simulate.domain.population import Customer
from moments.simulate.domain.simulation import Simulation

EVALUATION_START = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Quintile:
    hazard_from: float  # per day
    hazard_to: float
    customers: int
    mean_health: float


@dataclass(frozen=True)
class HealthEvaluation:
    seed: int
    customers: int
    days: float
    events: int
    scored: int  # customers still active at the end, with a score
    spearman: float
    p_value: float
    spearman_moment_driven: float  # against hazard / base hazard
    quintiles: list[Quintile]


def quintiles(pairs: list[tuple[float, float]]) -> list[Quintile]:
    """(hazard, health) pairs cut into five groups of rising hazard."""
    ordered = sorted(pairs)
    size = len(ordered)
    groups = [ordered[i * size // 5 : (i + 1) * size // 5] for i in range(5)]
    return [
        Quintile(
            hazard_from=round(group[0][0], 5),
            hazard_to=round(group[-1][0], 5),
            customers=len(group),
            mean_health=round(statistics.fmean(h for _, h in group), 1),
        )
        for group in groups
        if group
    ]


def evaluate(seed: int, customers: int, days: float) -> HealthEvaluation:
    from scipy.stats import spearmanr
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from moments.simulate.datasets import purchase_histories, tenure_records
    from moments.simulate.domain.population import build_population
    from schemas.events import parse_event
    from services.signals.domain.health import relationship_health
    from services.signals.domain.state import CustomerState
    from services.signals.handlers import SignalsHandler

    population = build_population(seed, customers, purchase_histories(), tenure_records(), "eval")
    start = EVALUATION_START.timestamp()
    simulation = Simulation(seed, population, start)
    analyzer = SentimentIntensityAnalyzer()
    handler = SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))
    end = start + days * 86400
    states: dict[str, bytes] = {}
    events = 0
    for simulated in simulation.events():
        if simulated.at > end:
            break
        event = parse_event(simulated.cloudevent(seed))
        handled = handler.handle(states.get(simulated.customer_id), event, event.time)
        if handled.state is not None:
            states[simulated.customer_id] = handled.state
        events += 1
    at = datetime.fromtimestamp(end, UTC)
    people: dict[str, Customer] = {c.id: c for c in population}
    rows = []
    for customer_id, life in simulation.lives.items():
        if life.left:
            continue
        state = CustomerState.load(states.get(customer_id))
        health = relationship_health(
            state.health, state.profile.get("value_tier"), state.first_seen, state.history, at
        )
        base = people[customer_id].base_hazard_per_day
        hazard = hazard_per_day(base, life.mood, end)
        rows.append((hazard, hazard / base, health.score))
    rho = spearmanr([r[0] for r in rows], [r[2] for r in rows])
    rho_moments = spearmanr([r[1] for r in rows], [r[2] for r in rows])
    return HealthEvaluation(
        seed=seed,
        customers=customers,
        days=days,
        events=events,
        scored=len(rows),
        spearman=round(float(rho.statistic), 3),
        p_value=float(f"{float(rho.pvalue):.3g}"),
        spearman_moment_driven=round(float(rho_moments.statistic), 3),
        quintiles=quintiles([(r[0], r[2]) for r in rows]),
    )


def report(result: HealthEvaluation) -> str:
    lines = [
        f"relationship health against latent churn hazard (seed {result.seed}, "
        f"{result.customers} customers, {result.days:g} simulated days, {result.events} events)",
        f"customers scored (still active at the end): {result.scored}",
        f"Spearman rank correlation, health vs hazard: {result.spearman:+.3f} "
        f"(p = {result.p_value:.3g})",
        f"  vs the moment-driven part of the hazard (hazard / base): "
        f"{result.spearman_moment_driven:+.3f}",
        "mean health per hazard quintile (lowest hazard first):",
    ]
    for number, q in enumerate(result.quintiles, 1):
        lines.append(
            f"  Q{number}  hazard {q.hazard_from:.5f}-{q.hazard_to:.5f}/day  "
            f"{q.customers:5d} customers  mean health {q.mean_health:5.1f}"
        )
    return "\n".join(lines)


def handle(args: argparse.Namespace) -> int:
    result = evaluate(args.seed, args.customers, args.days)
    print(json.dumps(asdict(result), indent=2) if args.json else report(result))
    return 0


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "evaluate-health",
        help="check relationship health against the simulator's latent churn hazard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=1, help="population and stories")
    parser.add_argument("--customers", type=int, default=1000, help="population size")
    parser.add_argument("--days", type=float, default=120.0, help="simulated days to play")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    parser.set_defaults(handler=handle)
