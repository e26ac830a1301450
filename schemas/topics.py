"""The platform's topic names, in one place, with the optional per-run prefix.

Every topic is keyed by customer id except `ops.metrics` (keyed by service name) and
`interactions.dlq` (keyed as received). `erasures` is partitioned like `interactions`, so
the worker that holds a customer's state is the one that reads its erasure.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.recommendations import ActionChannel

RECOMMENDATION_CHANNELS: tuple[str, ...] = tuple(channel.value for channel in ActionChannel)


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def interactions(self) -> str:
        return self._name("interactions")

    @property
    def interactions_raw(self) -> str:
        return self._name("interactions.raw")

    @property
    def interactions_dlq(self) -> str:
        return self._name("interactions.dlq")

    @property
    def signals(self) -> str:
        return self._name("signals")

    def recommendations(self, channel: str) -> str:
        return self._name(f"recommendations.{channel}")

    @property
    def outcomes(self) -> str:
        return self._name("outcomes")

    @property
    def customers(self) -> str:
        """Compacted: the latest `CustomerRecord` per customer; a tombstone on erasure."""
        return self._name("customers")

    @property
    def erasures(self) -> str:
        """Erasure requests, keyed by customer: signals forgets the customer's state."""
        return self._name("erasures")

    @property
    def ops_metrics(self) -> str:
        return self._name("ops.metrics")

    def all(self) -> list[str]:
        return [
            self.interactions,
            self.interactions_raw,
            self.interactions_dlq,
            self.signals,
            *(self.recommendations(c) for c in RECOMMENDATION_CHANNELS),
            self.outcomes,
            self.customers,
            self.erasures,
            self.ops_metrics,
        ]
