"""In-memory fakes of actions' ports (services/actions/ports.py), for the unit tier.

`MemoryStore` keeps what the PostgreSQL store keeps (signals, recommendations with an
outbox, outcomes, decisions, lessons and tallies) in dicts and counts how it was asked,
so a test can check that a poll reads each history once. `MemoryPublisher` records what
was published, and can be told to fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
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
    recommendation: Recommendation
    seq: int
    status: str
    moment_at: datetime
    open_until: datetime
    segment: str | None
    published: bool
    position: int | None = None
    snoozed_until: datetime | None = None


@dataclass
class MemoryStore:
    signals: dict[str, Signal] = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    published_outcomes: set[str] = field(default_factory=set)
    decisions: dict[str, Decision] = field(default_factory=dict)
    records: dict[str, CustomerRecord] = field(default_factory=dict)
    lessons: dict[str, int] = field(default_factory=dict)
    tally: dict[tuple[str, str], Tally] = field(default_factory=dict)
    history_reads: list[list[str]] = field(default_factory=list)
    transactions: int = 0
    last_position: int = 0  # a sequence, like desktop_positions: it only grows
    fail_save: bool = False

    # --- the unit of work ------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def deciding(self) -> AsyncIterator[MemoryStore]:
        """All or nothing, like a transaction: a failure leaves the store as it was."""
        saved = (dict(self.signals), dict(self.rows), dict(self.decisions))
        self.transactions += 1
        try:
            yield self
        except BaseException:
            self.signals, self.rows, self.decisions = saved
            raise

    async def record_signals(self, signals: Sequence[Signal]) -> list[Signal]:
        new = [s for s in {s.id: s for s in signals}.values() if s.id not in self.signals]
        self.signals.update({s.id: s for s in new})
        return new

    async def histories(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, CustomerHistory]:
        self.history_reads.append(list(customer_ids))
        return {c: self._history(c, since) for c in customer_ids}

    def _history(self, customer_id: str, since: datetime) -> CustomerHistory:
        rows = [r for r in self.rows.values() if r.recommendation.customer_id == customer_id]
        return CustomerHistory(
            self.records.get(customer_id),
            tuple(
                sorted(
                    (
                        s
                        for s in self.signals.values()
                        if s.customer_id == customer_id and s.occurred_at >= since
                    ),
                    key=lambda s: s.occurred_at,
                )
            ),
            tuple(
                PastRecommendation(r.recommendation, r.status, r.moment_at, r.open_until)
                for r in sorted(rows, key=lambda r: r.seq)
            ),
            tuple(
                PastOutcome(
                    o.recommendation_id,
                    o.action_code,
                    o.outcome,
                    o.reason,
                    self.rows[o.recommendation_id].moment_at,
                )
                for o in self.outcomes.values()
                if o.customer_id == customer_id
            ),
        )

    async def tallies(self) -> Tallies:
        return dict(self.tally)

    async def save(
        self, decisions: Sequence[Decision], decided_at: datetime
    ) -> list[StoredRecommendation]:
        if self.fail_save:
            raise ConnectionError("database went away")
        for decision in decisions:
            self.decisions.setdefault(decision.id, decision)
        shown = await self.add([m for d in decisions for m in d.made])
        for update in (u for d in decisions for u in d.strengthened):
            row = self.rows[update.recommendation.id]
            row.recommendation, row.open_until = update.recommendation, update.open_until
            if update.republish:
                row.published, row.position = False, None
                shown.append(StoredRecommendation(row.seq, row.status, row.recommendation))
        return shown

    async def add(self, made: Sequence[NewRecommendation]) -> list[StoredRecommendation]:
        new = []
        for m in made:
            rec = m.recommendation
            if rec.id in self.rows:
                continue
            row = Row(
                rec, len(self.rows) + 1, "open", m.moment_at, m.open_until, m.segment, rec.holdout
            )
            self.rows[rec.id] = row
            if not rec.holdout:
                new.append(StoredRecommendation(row.seq, "open", rec))
        return new

    # --- the rest of the store ---------------------------------------------------------

    async def history(self, customer_id: str, since: datetime) -> CustomerHistory:
        return self._history(customer_id, since)

    async def unpublished(self, limit: int = 500) -> list[StoredRecommendation]:
        waiting = [r for r in self.rows.values() if not r.published][:limit]
        return [
            StoredRecommendation(r.seq, r.status, r.recommendation, r.position) for r in waiting
        ]

    async def mark_published(self, recommendation_ids: list[str]) -> None:
        for rec_id in recommendation_ids:
            self.rows[rec_id].published = True

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
        self.outcomes[outcome.id] = outcome
        row = self.rows[outcome.recommendation_id]
        row.status = outcome.outcome.value
        row.snoozed_until = outcome.snooze_until if row.status == "snoozed" else None
        return True

    async def wake_snoozed(self, now: datetime) -> list[str]:
        woken = []
        for row in self.rows.values():
            until = row.snoozed_until
            if row.status == "snoozed" and until is not None and until <= now:
                if row.recommendation.expires_at > now:
                    row.status, row.snoozed_until = "open", None
                    row.position, row.published = None, False
                    woken.append(row.recommendation.id)
        return woken

    async def unpublished_outcomes(self, limit: int = 500) -> list[Outcome]:
        return [o for i, o in self.outcomes.items() if i not in self.published_outcomes][:limit]

    async def mark_outcomes_published(self, outcome_ids: list[str]) -> None:
        self.published_outcomes.update(outcome_ids)

    async def learn(self, lessons: Sequence[Lesson]) -> Learned:
        learned = already = 0
        unknown = []
        for lesson in lessons:
            outcome = lesson.outcome
            row = self.rows.get(outcome.recommendation_id)
            if row is None:
                unknown.append(outcome.recommendation_id)
                continue
            # one produced straight to `outcomes` is stored and moves its row, as on PostgreSQL
            await self.record_outcome(outcome)
            self.published_outcomes.add(outcome.id)
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


@dataclass
class MemoryPublisher:
    sent: list[Message] = field(default_factory=list)
    fail: bool = False

    async def publish(self, messages: Sequence[Message]) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        self.sent.extend(messages)
