"""The arithmetic of the ops page: rates and percentiles from the `ops.metrics` snapshots.

Every process sends its counters and histogram buckets every OPS_INTERVAL_S
(schemas/ops.py). `MetricsHistory` keeps the last minutes of them per process; a
counter's rate at time t is its rise over the trailing window divided by the window, per
process (a restart's reset is folded in, as Prometheus' `rate` does) and summed over
processes; a percentile is `histogram_quantile` over the buckets' rise in the window.
Pure: times are passed in, nothing is read from a clock.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

_KEY = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Labels = Mapping[str, str]
Match = Callable[[Labels], bool]


def parse_key(key: str) -> tuple[str, dict[str, str]]:
    """`name{a="1",b="2"}` -> ("name", {"a": "1", "b": "2"})."""
    found = _KEY.match(key)
    if not found:
        return key, {}
    return found.group(1), dict(_LABEL.findall(found.group(2) or ""))


@dataclass
class ProcessHistory:
    """One process's snapshots, oldest first: (its own time, metrics)."""

    service: str
    instance: str
    times: deque[float] = field(default_factory=deque)
    # Per snapshot: metric name -> [(labels, value)], so a rate reads only its metric.
    metrics: deque[dict[str, list[tuple[dict[str, str], float]]]] = field(default_factory=deque)
    received_at: float = 0.0  # by the reader's clock: how long it has been silent

    @property
    def interval_s(self) -> float | None:
        """The gap between its last two snapshots: its OPS_INTERVAL_S, as observed."""
        return self.times[-1] - self.times[-2] if len(self.times) >= 2 else None

    def latest(self, name: str) -> list[tuple[dict[str, str], float]]:
        return self.metrics[-1].get(name, []) if self.metrics else []


class MetricsHistory:
    """The last `keep_s` seconds of every process's snapshots."""

    def __init__(self, keep_s: float = 900.0):
        self.keep_s = keep_s
        self.processes: dict[tuple[str, str], ProcessHistory] = {}

    def add(
        self,
        service: str,
        instance: str,
        at: float,
        metrics: Mapping[str, float],
        received_at: float,
    ) -> None:
        process = self.processes.setdefault((service, instance), ProcessHistory(service, instance))
        if process.times and at <= process.times[-1]:
            return  # a snapshot read twice (a replay on restart) or out of order
        process.times.append(at)
        by_name: dict[str, list[tuple[dict[str, str], float]]] = {}
        for key, value in metrics.items():
            name, labels = parse_key(key)
            by_name.setdefault(name, []).append((labels, value))
        process.metrics.append(by_name)
        process.received_at = max(process.received_at, received_at)
        while process.times and process.times[0] < at - self.keep_s:
            process.times.popleft()
            process.metrics.popleft()

    def forget_silent(self, now: float, after_s: float) -> None:
        """Drop processes silent for longer than `after_s` (replaced, scaled down)."""
        for key in [k for k, p in self.processes.items() if now - p.received_at > after_s]:
            del self.processes[key]

    def of(self, service: str | None = None) -> list[ProcessHistory]:
        return [p for p in self.processes.values() if service is None or p.service == service]


def _cumulative(values: list[float]) -> np.ndarray:
    """A counter's values with resets folded in: a drop means it restarted from 0."""
    out, offset, previous = [], 0.0, 0.0
    for value in values:
        if value < previous:
            offset += previous
        out.append(value + offset)
        previous = value
    return np.asarray(out, dtype=float)


def _series(
    process: ProcessHistory, name: str, match: Match | None, by: str | None
) -> dict[str, list[float]]:
    """Per value of label `by`, the sum of the matching samples at each snapshot."""
    groups: dict[str, list[float]] = {}
    for index, sample in enumerate(process.metrics):
        seen: dict[str, float] = {}
        for labels, value in sample.get(name, ()):
            if match is not None and not match(labels):
                continue
            group = labels.get(by, "") if by else ""
            seen[group] = seen.get(group, 0.0) + value
        for group, value in seen.items():
            groups.setdefault(group, [0.0] * index).append(value)
        for values in groups.values():
            if len(values) < index + 1:
                values.append(values[-1] if values else 0.0)
    return groups


def _rises(
    stamps: np.ndarray, counts: np.ndarray, times: np.ndarray, window_s: float, hold_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """How much a cumulative count rose in the window ending at each time, and over how
    many seconds of that window the process was heard (0 where unknown).

    A window reaching back before the first snapshot is cut at it; a time past the last
    snapshot ends the window there, for up to `hold_s` (about the gap between snapshots).
    """
    if len(stamps) < 2:
        return np.zeros(len(times)), np.zeros(len(times))
    ends = np.minimum(times, stamps[-1])
    starts = np.maximum(ends - window_s, stamps[0])
    covered = np.where((times <= stamps[-1] + hold_s) & (ends - starts >= 1.0), ends - starts, 0.0)
    rise = np.interp(ends, stamps, counts) - np.interp(starts, stamps, counts)
    return np.where(covered > 0, rise, 0.0), covered


def grid(now: float, span_s: float, step_s: float) -> list[float]:
    count = int(span_s // step_s)
    return [now - step_s * i for i in range(count, -1, -1)]


def rates(
    history: MetricsHistory,
    name: str,
    times: list[float],
    window_s: float,
    by: str | None = None,
    match: Match | None = None,
    hold_s: float = 30.0,
) -> dict[str, list[float | None]]:
    """Per label value, the summed per-second rate at each time (None: no data yet)."""
    at = np.asarray(times, dtype=float)
    sums: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for process in history.processes.values():
        stamps = np.asarray(process.times, dtype=float)
        for group, values in _series(process, name, match, by).items():
            rise, covered = _rises(stamps, _cumulative(values), at, window_s, hold_s)
            per_s = np.divide(rise, covered, out=np.zeros(len(at)), where=covered > 0)
            sums[group] = sums.get(group, np.zeros(len(at))) + per_s
            known[group] = known.get(group, np.zeros(len(at), dtype=bool)) | (covered > 0)
    return {
        group: [float(v) if k else None for v, k in zip(sums[group], known[group], strict=True)]
        for group in sorted(sums)
    }


def quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """Prometheus' histogram_quantile over (upper bound, cumulative count) pairs."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in ordered:
        if count >= rank:
            if math.isinf(upper):
                return lower  # in the overflow bucket: the largest finite bound
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return lower


def quantiles(
    history: MetricsHistory,
    name: str,
    qs: Iterable[float],
    times: list[float],
    window_s: float,
    match: Match | None = None,
    hold_s: float = 30.0,
) -> dict[float, list[float | None]]:
    """Each quantile of histogram `name` over the trailing window, at each time."""
    at = np.asarray(times, dtype=float)
    buckets: dict[float, np.ndarray] = {}
    for process in history.processes.values():
        stamps = np.asarray(process.times, dtype=float)
        for bound, values in _series(process, f"{name}_bucket", match, "le").items():
            upper = math.inf if bound == "+Inf" else float(bound)
            rise, _ = _rises(stamps, _cumulative(values), at, window_s, hold_s)
            buckets[upper] = buckets.get(upper, np.zeros(len(at))) + rise
    return {
        q: [quantile(q, ((b, float(c[i])) for b, c in buckets.items())) for i in range(len(at))]
        for q in qs
    }


def increase(
    history: MetricsHistory,
    name: str,
    now: float,
    window_s: float,
    match: Match | None = None,
    hold_s: float = 30.0,
) -> float:
    """How much counter `name` rose over the window ending now, summed over processes."""
    at = np.asarray([now], dtype=float)
    total = 0.0
    for process in history.processes.values():
        stamps = np.asarray(process.times, dtype=float)
        for values in _series(process, name, match, None).values():
            total += float(_rises(stamps, _cumulative(values), at, window_s, hold_s)[0][0])
    return total


def latest_gauges(process: ProcessHistory, name: str) -> dict[str, float]:
    """A gauge's latest values in one process, keyed by its labels as `k=v,...`."""
    return {
        ",".join(f"{k}={v}" for k, v in sorted(labels.items())): value
        for labels, value in process.latest(name)
    }
