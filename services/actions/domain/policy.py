"""One signal decided on its own, and the holdout: the v1 entry points, kept working.

actions decides customer moments (decisioning/decide.py) with the customer's history.
`decide(signal, catalogue, policy, recent_count, now)` decides a single signal as if the
customer had no history but `recent_count` recommendations in the last 24 hours, with
the learned propensities left at their priors' means (no exploring): what callers that
hold one signal and nothing else need (the benchmark's message sizes, for one).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from schemas.recommendations import Recommendation
from schemas.signals import Signal
from services.actions.domain.decisioning import decide as decisioning
from services.actions.domain.decisioning.catalogue import Catalogue, CatalogueEntry
from services.actions.domain.decisioning.contact_policy import ContactPolicy, Made
from services.actions.domain.decisioning.context import CustomerHistory, Moment
from services.actions.domain.decisioning.holdout import in_holdout

__all__ = ["ContactPolicy", "decide", "in_holdout"]


def decide(
    signal: Signal,
    catalogue: Catalogue | Sequence[CatalogueEntry],
    policy: ContactPolicy,
    recent_count: int,
    now: datetime,
) -> list[Recommendation]:
    """The recommendations this signal earns on its own, the highest priority first."""
    if recent_count >= policy.max_per_customer_per_day:
        return []
    known = catalogue if isinstance(catalogue, Catalogue) else Catalogue.of(catalogue)
    moment = Moment.of([signal])
    earlier = [Made("", "", moment.at - timedelta(seconds=1))] * recent_count
    decision = decisioning.decide(
        moment,
        CustomerHistory(signals=(signal,)),
        known,
        replace(policy, exploration=0.0),
        {},
        random.Random(0),
        now,
        counted=earlier,
    )
    made = [m.recommendation for m in decision.made]
    return sorted(made, key=lambda r: -r.priority)
