"""The platform's topic names, in one place, with the optional per-run prefix."""

from __future__ import annotations

from dataclasses import dataclass

RECOMMENDATION_CHANNELS = ("desktop", "email", "sms", "push")


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
