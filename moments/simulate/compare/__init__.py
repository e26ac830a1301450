"""Offline comparison of decision policies on the seeded simulator (`moments evaluate`).

`compare(seed, customers, days)` plays every policy of `policies.py` on the same seeded
population (`player.py`: the real signals and actions handlers, on an in-memory store,
answered by the simulated customers) and returns an `Evaluation`: per policy,
retention, contacts, answers, complaints, breaches (audit.py) and relationship health.
`chart.py` draws it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moments.simulate.compare.player import PolicyResult, play
from moments.simulate.compare.policies import Policy, policies

__all__ = ["Evaluation", "PolicyResult", "compare"]


@dataclass(frozen=True)
class Evaluation:
    seed: int
    customers: int
    days: float
    results: list[PolicyResult]


def compare(
    seed: int,
    customers: int,
    days: float,
    tick: Callable[[str, float], None] = lambda policy, day: None,
    chosen: Sequence[Policy] | None = None,
) -> Evaluation:
    """Every policy (or `chosen`) on the same population; `tick(policy, day)` as each
    simulated day of a policy's run ends."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from services.actions.domain.decisioning.catalogue import load_catalogue
    from services.actions.settings import DEFAULT_CATALOGUE

    analyzer = SentimentIntensityAnalyzer()

    def sentiment(text: str) -> float:
        return float(analyzer.polarity_scores(text)["compound"])

    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    results = []
    for policy in chosen if chosen is not None else policies():

        def ticked(day: float, name: str = policy.name) -> None:
            tick(name, day)

        played = play(policy, catalogue, seed, customers, days, sentiment, ticked)
        results.append(asyncio.run(played))
    return Evaluation(seed, customers, days, results)
