"""actions' store in memory, for playing a policy offline: what PostgreSQL would hold.

`MemoryStore` implements actions' ports (services/actions/ports.py: RecommendationStore
and its DecisionUnit), so `Actions` runs on it unchanged. A history is what
adapters/deciding.py `load_histories` reads: the customer's latest record, their signals
since the look-back (by event time), their recommendations of the look-back and those
still answering an issue however old, and the outcomes of the look-back's
recommendations, each at its recommendation's moment. Learning is what
adapters/learning.py does: each recommendation teaches once, to "all" and its segment.
Everything is kept per customer, so a history costs what that customer has, not what
the whole population has. Nothing here fails, so a unit of work needs no rollback.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from schemas.customers import CustomerRecord
from schemas.recommendations import Outcome, Recommendation
from schemas.signals import Signal
from services.actions.domain.decisioning.context import (
    CustomerHistory,
    PastOutcome,
    PastRecommendation,
    Tallies,
    Tally,
)
from services.actions.domain.decisioning.decide import Decision, NewRecommendation
from services.actions.domain.decisioning.learning import EVERYONE
from services.actions.domain.desktop import StoredRecommendation
from services.actions.ports import Learned, Lesson, Message


@dataclass
class Row:
    """One row of `recommendations`."""

    recommendation: Recommendation
    seq: int
    status: str
    moment_at: datetime
    open_until: datetime
    segment: str | None
    position: int | None = None
    snoozed_until: datetime | None = None


@dataclass
class Customer:
    signals: list[Signal] = field(default_factory=list)  # by event time (they come in order)
    rows: list[Row] = field(default_factory=list)  # by seq
    outcomes: list[Outcome] = field(default_factory=list)
    # The `customers` topic's latest record, built only when a decision reads it.
    record: Callable[[], CustomerRecord | None] = lambda: None


class MemoryStore:
    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.signal_ids: set[str] = set()
        self.rows: dict[str, Row] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.unpublished_rows: dict[str, None] = {}  # ordered sets: the outboxes
        self.unpublished_outcome_ids: dict[str, None] = {}
        self.lessons: dict[str, int] = {}  # learned_outcomes: recommendation id -> reward
        self.tally: dict[tuple[str, str], Tally] = {}
        self.decisions = 0
        self.last_seq = self.last_position = 0

    def customer(self, customer_id: str) -> Customer:
        return self.customers.setdefault(customer_id, Customer())

    def keep_record(self, customer_id: str, record: Callable[[], CustomerRecord | None]) -> None:
        """What actions' `customers` consumer would store: the customer's latest record."""
        self.customer(customer_id).record = record

    # --- the unit of work ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def deciding(self) -> AsyncIterator[MemoryStore]:
        yield self

    async def record_signals(self, signals: Sequence[Signal]) -> list[Signal]:
        new = [s for s in {s.id: s for s in signals}.values() if s.id not in self.signal_ids]
        for signal in new:
            self.signal_ids.add(signal.id)
            self.customer(signal.customer_id).signals.append(signal)
        return new

    async def histories(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, CustomerHistory]:
        return {c: await self.history(c, since) for c in dict.fromkeys(customer_ids)}

    async def tallies(self) -> Tallies:
        return dict(self.tally)

    async def save(
        self, decisions: Sequence[Decision], decided_at: datetime
    ) -> list[StoredRecommendation]:
        self.decisions += len(decisions)
        shown = await self.add([m for d in decisions for m in d.made])
        for update in (u for d in decisions for u in d.strengthened):
            row = self.rows[update.recommendation.id]
            row.recommendation, row.open_until = update.recommendation, update.open_until
            if update.republish:  # a desktop shows it again, as an update of its card
                row.position = None
                self.unpublished_rows[row.recommendation.id] = None
                shown.append(StoredRecommendation(row.seq, row.status, row.recommendation))
        return shown

    async def add(self, made: Sequence[NewRecommendation]) -> list[StoredRecommendation]:
        new = []
        for m in made:
            rec = m.recommendation
            if rec.id in self.rows:
                continue
            self.last_seq += 1
            row = Row(rec, self.last_seq, "open", m.moment_at, m.open_until, m.segment)
            self.rows[rec.id] = row
            self.customer(rec.customer_id).rows.append(row)
            if not rec.holdout:  # held out: stored as if published, never sent
                self.unpublished_rows[rec.id] = None
                new.append(StoredRecommendation(row.seq, "open", rec))
        return new

    # --- the rest of the store -------------------------------------------------------------

    async def history(self, customer_id: str, since: datetime) -> CustomerHistory:
        customer = self.customer(customer_id)
        rows = [r for r in customer.rows if r.moment_at >= since or r.open_until >= since]
        rows.sort(key=lambda r: (r.moment_at, r.seq))
        moment_of = {r.recommendation.id: r.moment_at for r in customer.rows}
        outcomes = sorted(
            (o for o in customer.outcomes if moment_of[o.recommendation_id] >= since),
            key=lambda o: moment_of[o.recommendation_id],
        )
        return CustomerHistory(
            customer.record(),
            tuple(s for s in customer.signals if s.occurred_at >= since),
            tuple(
                PastRecommendation(r.recommendation, r.status, r.moment_at, r.open_until)
                for r in rows
            ),
            tuple(
                PastOutcome(
                    o.recommendation_id,
                    o.action_code,
                    o.outcome,
                    o.reason,
                    moment_of[o.recommendation_id],
                )
                for o in outcomes
            ),
        )

    async def unpublished(self, limit: int = 500) -> list[StoredRecommendation]:
        waiting = [self.rows[i] for i in list(self.unpublished_rows)[:limit]]
        return [
            StoredRecommendation(r.seq, r.status, r.recommendation, r.position) for r in waiting
        ]

    async def mark_published(self, recommendation_ids: list[str]) -> None:
        for rec_id in recommendation_ids:
            self.unpublished_rows.pop(rec_id, None)

    async def assign_desktop_positions(self, recommendation_ids: list[str]) -> dict[str, int]:
        for rec_id in recommendation_ids:
            row = self.rows[rec_id]
            if row.position is None and not row.recommendation.holdout:
                self.last_position += 1
                row.position = self.last_position
        return {i: p for i in recommendation_ids if (p := self.rows[i].position) is not None}

    async def get(self, recommendation_id: str) -> StoredRecommendation | None:
        row = self.rows.get(recommendation_id)
        if row is None:
            return None
        return StoredRecommendation(row.seq, row.status, row.recommendation, row.position)

    async def record_outcome(self, outcome: Outcome) -> bool:
        if outcome.id in self.outcomes:
            return False
        self._store_outcome(outcome)
        self.unpublished_outcome_ids[outcome.id] = None
        return True

    def _store_outcome(self, outcome: Outcome) -> None:
        self.outcomes[outcome.id] = outcome
        self.customer(outcome.customer_id).outcomes.append(outcome)
        row = self.rows[outcome.recommendation_id]
        row.status = outcome.outcome.value
        row.snoozed_until = outcome.snooze_until if row.status == "snoozed" else None

    async def wake_snoozed(self, now: datetime) -> list[str]:
        """Open again what was snoozed until now and has not expired, to be published anew."""
        woken = []
        for row in self.rows.values():
            until = row.snoozed_until
            if row.status == "snoozed" and until is not None and until <= now:
                if row.recommendation.expires_at > now:
                    row.status, row.snoozed_until, row.position = "open", None, None
                    self.unpublished_rows[row.recommendation.id] = None
                    woken.append(row.recommendation.id)
        return woken

    async def unpublished_outcomes(self, limit: int = 500) -> list[Outcome]:
        return [self.outcomes[i] for i in list(self.unpublished_outcome_ids)[:limit]]

    async def mark_outcomes_published(self, outcome_ids: list[str]) -> None:
        for outcome_id in outcome_ids:
            self.unpublished_outcome_ids.pop(outcome_id, None)

    async def learn(self, lessons: Sequence[Lesson]) -> Learned:
        learned = already = 0
        unknown = []
        for lesson in lessons:
            outcome = lesson.outcome
            row = self.rows.get(outcome.recommendation_id)
            if row is None:
                unknown.append(outcome.recommendation_id)
                continue
            if outcome.id not in self.outcomes:  # produced straight to `outcomes`
                self._store_outcome(outcome)
            if lesson.reward is None:
                continue
            if outcome.recommendation_id in self.lessons:
                already += 1
                continue
            self.lessons[outcome.recommendation_id] = lesson.reward
            learned += 1
            for segment in (EVERYONE, row.segment):
                if segment is not None:
                    old = self.tally.get((outcome.action_code, segment), Tally())
                    self.tally[(outcome.action_code, segment)] = Tally(
                        old.successes + lesson.reward, old.failures + 1 - lesson.reward
                    )
        return Learned(learned, already, tuple(unknown))


class Outbox:
    """The publisher: keeps what actions sends until the player takes it."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def publish(self, messages: Sequence[Message]) -> None:
        self.sent.extend(messages)

    def take(self) -> list[Message]:
        taken, self.sent = self.sent, []
        return taken
