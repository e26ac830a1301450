"""The sustained-throughput search, as pure functions: no clock, no I/O.

A step offers a rate for a while and is judged `flat` when ingest took what was offered
and neither backlog grew (`backlogs_flat`, with each backlog's growth fitted by `slope`).
`next_rate` says which rate to offer next from the steps judged so far: upward by a
factor until a step is not flat, down by the factor squared if the very first is not,
then the geometric mean of the best flat rate and the lowest rate that was not, until
those two are within `close_enough` of each other or the steps run out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

ACCEPTED_SHARE = 0.93  # ingest must take this share of what is offered
GROWTH_SHARE = 0.03  # a backlog may grow by this share of its rate per second, no more
SETTLE_S = 3.0  # the first seconds of a step fill buffers: only the rest is judged


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (t, y): how fast a backlog grows, per second."""
    if len(points) < 3:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread if spread else 0.0


def backlogs_flat(
    offered: float,
    accepted_per_s: float,
    signals_per_s: float,
    signals_backlog_slope: float,
    actions_backlog_slope: float,
    failed_requests: int,
) -> bool:
    """The pipeline kept up with `offered` events/s: every request answered, at least
    93% accepted, and the backlogs in front of signals (events) and actions (signals)
    growing by under 3% of their rates per second (with a floor for small rates)."""
    return (
        failed_requests == 0
        and accepted_per_s >= ACCEPTED_SHARE * offered
        and signals_backlog_slope <= max(GROWTH_SHARE * offered, 20.0)
        and actions_backlog_slope <= max(GROWTH_SHARE * max(signals_per_s, 1.0), 10.0)
    )


def next_rate(
    judged: Sequence[tuple[float, bool]],
    first_rate: float,
    factor: float,
    max_steps: int,
    close_enough: float = 1.2,
) -> float | None:
    """The rate to offer next, given each step so far as (offered, flat); None when done."""
    if len(judged) >= max_steps:
        return None
    if not judged:
        return first_rate
    good = max((rate for rate, flat in judged if flat), default=None)
    bad = min((rate for rate, flat in judged if not flat), default=None)
    last = judged[-1][0]
    if bad is None:
        return last * factor
    if good is None:
        return last / factor**2
    if bad / good <= close_enough:
        return None
    return math.sqrt(good * bad)
