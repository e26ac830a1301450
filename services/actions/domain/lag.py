"""Consumer lag per group and partition, and the two ways a consumer falls behind.

The ops feed reads each watched group's committed offsets and the partitions' end
offsets every few seconds (consumers/ops_feed.py) and hands them to `LagHistory`. A
group has *stopped* when a partition has had records waiting, with its committed offset
unchanged, for `stalled_after_s`; its lag is *growing* when the group's total is above a
floor and has risen across the window (least squares). Pure: times are passed in.

On Tansu 0.6 a partition's end offset is the base offset of its last record batch, so
lag read from it is low by up to one batch (0 when a single batch is waiting); Apache
Kafka reports it exactly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int  # -1: the group has committed nothing here yet
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - max(self.committed, 0))


@dataclass
class PartitionTrack:
    latest: PartitionLag
    # Since when records have waited with the committed offset unchanged; None: not stuck.
    stuck_since: float | None = None


@dataclass(frozen=True)
class GroupLag:
    group: str
    lag: int
    growing: bool
    stalled_s: float  # the longest any of its partitions has been stuck (0: none)
    stalled_partition: str | None  # "topic[partition]" of that one


@dataclass
class LagHistory:
    keep_s: float = 900.0
    tracks: dict[tuple[str, str, int], PartitionTrack] = field(default_factory=dict)
    totals: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)
    last_read: float | None = None  # when the last round of readings was taken

    def add(self, at: float, readings: list[PartitionLag]) -> None:
        """One round of readings (every watched partition, read at `at`)."""
        self.last_read = at
        by_group: dict[str, int] = {}
        for reading in readings:
            key = (reading.group, reading.topic, reading.partition)
            track = self.tracks.get(key)
            if track is None:
                track = self.tracks[key] = PartitionTrack(reading)
                moved = False
            else:
                moved = reading.committed != track.latest.committed
            if reading.lag == 0:
                track.stuck_since = None
            elif moved or track.stuck_since is None:
                track.stuck_since = at  # records wait, and the clock starts now
            track.latest = reading
            by_group[reading.group] = by_group.get(reading.group, 0) + reading.lag
        for group, total in by_group.items():
            points = self.totals.setdefault(group, deque())
            points.append((at, total))
            while points and points[0][0] < at - self.keep_s:
                points.popleft()

    def groups(self, now: float, window_s: float, floor: int) -> list[GroupLag]:
        out = []
        for group, points in sorted(self.totals.items()):
            recent = [(t, v) for t, v in points if t >= now - window_s]
            total = points[-1][1] if points else 0
            growing = False
            if total > floor and len(recent) >= 3:
                t, v = np.asarray(recent, dtype=float).T
                growing = bool(np.polyfit(t - t[0], v, 1)[0] > 0)
            stuck = [
                (now - track.stuck_since, f"{topic}[{partition}]")
                for (g, topic, partition), track in self.tracks.items()
                if g == group and track.stuck_since is not None
            ]
            longest = max(stuck, default=(0.0, None))
            out.append(GroupLag(group, total, growing, longest[0], longest[1]))
        return out

    def series(self, times: list[float]) -> dict[str, list[int | None]]:
        """Each group's total lag at each time: the latest reading at or before it."""
        lines: dict[str, list[int | None]] = {}
        for group, points in sorted(self.totals.items()):
            stamps = [t for t, _ in points]
            values = [v for _, v in points]
            index = np.searchsorted(stamps, times, side="right") - 1
            lines[group] = [int(values[i]) if i >= 0 else None for i in index]
        return lines

    def partitions(self) -> list[PartitionLag]:
        return [track.latest for _, track in sorted(self.tracks.items())]
