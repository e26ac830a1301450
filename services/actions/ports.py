"""The ports of actions' service layer: what `Actions` needs from the world, as protocols.

`Actions` (handlers.py) is written against these, so it runs the same on PostgreSQL and
Kafka (adapters/) as on the in-memory fakes of its unit tests. A `DecisionUnit` is one
transaction: the signals recorded, the histories read and the decisions saved commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from schemas.recommendations import Outcome
from schemas.signals import Signal
from services.actions.domain.decisioning.context import CustomerHistory, Tallies
from services.actions.domain.decisioning.decide import Decision, NewRecommendation
from services.actions.domain.desktop import StoredRecommendation

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Message:
    topic: str
    value: bytes
    key: bytes
    headers: Sequence[tuple[str, bytes]] = ()


class Publisher(Protocol):
    async def publish(self, messages: Sequence[Message]) -> None:
        """Send every message; return once the broker has acknowledged all of them."""


@dataclass(frozen=True)
class Lesson:
    """An outcome to learn from, with its reward (None: it teaches nothing)."""

    outcome: Outcome
    reward: int | None


@dataclass(frozen=True)
class Learned:
    learned: int  # recommendations whose outcome now counts in the posteriors
    already: int  # replays: their recommendation had already taught its lesson
    unknown: tuple[str, ...]  # outcomes for recommendations the store does not have


class DecisionUnit(Protocol):
    async def record_signals(self, signals: Sequence[Signal]) -> list[Signal]:
        """Store each signal once; return those seen for the first time, in order."""

    async def histories(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, CustomerHistory]:
        """Each customer's record, signals, recommendations and outcomes since `since`
        (event time), one query per table for all of them."""

    async def tallies(self) -> Tallies:
        """The outcomes learned so far, per action and segment."""

    async def save(
        self, decisions: Sequence[Decision], decided_at: datetime
    ) -> list[StoredRecommendation]:
        """Store the decisions, their new recommendations and the strengthened ones;
        return what is now to be published (new shown ones, updated desktop cards)."""

    async def add(self, made: Sequence[NewRecommendation]) -> list[StoredRecommendation]:
        """Store recommendations made outside a decision (follow-ons); return the new."""


class RecommendationStore(Protocol):
    def deciding(self) -> AbstractAsyncContextManager[DecisionUnit]:
        """One transaction: committed when the block ends, rolled back on an error."""

    async def history(self, customer_id: str, since: datetime) -> CustomerHistory: ...

    async def tallies(self) -> Tallies: ...

    async def unpublished(self, limit: int = 500) -> list[StoredRecommendation]: ...

    async def mark_published(self, recommendation_ids: list[str]) -> None: ...

    async def assign_desktop_positions(self, recommendation_ids: list[str]) -> dict[str, int]: ...

    async def get(self, recommendation_id: str) -> StoredRecommendation | None: ...

    async def record_outcome(self, outcome: Outcome) -> bool:
        """Store the outcome (outbox) and the recommendation's status; False if known."""

    async def unpublished_outcomes(self, limit: int = 500) -> list[Outcome]: ...

    async def wake_snoozed(self, now: datetime) -> list[str]: ...

    async def mark_outcomes_published(self, outcome_ids: list[str]) -> None: ...

    async def learn(self, lessons: Sequence[Lesson]) -> Learned:
        """Count each recommendation's first lesson in the tallies, once (replays of
        `outcomes` change nothing), and keep outcomes channels produced directly."""
