"""Per-source token buckets. Pure: the caller passes `now`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    tokens: float | None = None  # None until first use; negative while in overdraft
    updated: float = 0.0

    def take(self, count: float, now: float) -> float:
        """Take `count` tokens; returns 0 when allowed, else seconds until they would be.

        A request larger than the burst is allowed once the bucket is full and overdraws
        it, so it is neither refused forever nor let through for free.
        """
        if self.tokens is None:
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if count <= self.tokens or self.tokens >= self.burst:
            self.tokens -= count
            return 0.0
        return (min(count, self.burst) - self.tokens) / self.rate


class RateLimits:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, source: str, count: float, now: float) -> float:
        bucket = self._buckets.setdefault(source, TokenBucket(self.rate, self.burst))
        return bucket.take(count, now)
