"""What actions does with signals, outcomes and questions, independent of HTTP and Kafka.

`on_signals` records a poll's signals once each and, in the same unit of work, decides
once per customer moment (decisioning/decide.py) with each customer's history loaded in
a few batched queries, stores the decisions, then publishes what they made (the outbox:
`relay` publishes whatever a crash or a failed publish left unpublished).
`record_outcome` and `record_channel_outcome` store what agents and channels report and
publish it to `outcomes`; `learn` is the one path that learns from them (the `outcomes`
loop). `next_best_action` answers what would be decided now, storing nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from schemas.decisions import NextBestAction
from schemas.headers import (
    DECIDED_AT_HEADER,
    INGESTED_AT_HEADER,
    SEQ_HEADER,
    SIGNALLED_AT_HEADER,
    stamp_ms,
)
from schemas.signals import Signal
from schemas.topics import Topics
from services.actions import metrics
from services.actions.answers import OutcomeHandling, RecommendationUnknown
from services.actions.domain.decisioning.catalogue import Catalogue
from services.actions.domain.decisioning.contact_policy import ContactPolicy
from services.actions.domain.decisioning.context import CustomerHistory, Moment, Tallies
from services.actions.domain.decisioning.decide import Decision, decide
from services.actions.domain.decisioning.moments import asked_moment
from services.actions.domain.desktop import StoredRecommendation
from services.actions.ports import Clock, Message, Publisher, RecommendationStore
from services.plumbing.ids import keyed_id
from services.plumbing.tracing import (
    TRACEPARENT_HEADER,
    TRACESTATE_HEADER,
    hop_span,
    trace_headers,
    without_trace,
)

log = logging.getLogger(__name__)

_PASSED_HEADERS = (INGESTED_AT_HEADER, SIGNALLED_AT_HEADER, TRACEPARENT_HEADER, TRACESTATE_HEADER)


def _passed(
    headers: dict[str, Sequence[tuple[str, bytes]]], stored: StoredRecommendation
) -> list[tuple[str, bytes]]:
    """The hop stamps and the trace of the newest signal behind a recommendation."""
    newest = stored.recommendation.why.signals[-1].id if stored.recommendation.why.signals else ""
    return [h for h in headers.get(newest, ()) if h[0] in _PASSED_HEADERS]


class Actions(OutcomeHandling):
    def __init__(
        self,
        repository: RecommendationStore,
        publisher: Publisher,
        topics: Topics,
        catalogue: Catalogue,
        policy: ContactPolicy,
        clock: Clock = lambda: datetime.now(UTC),
        draws: Callable[[str], random.Random] | None = None,
        lookback: timedelta = timedelta(days=120),
    ):
        self.repository, self.publisher, self.topics = repository, publisher, topics
        self.catalogue, self.policy, self.clock = catalogue, policy, clock
        self.lookback = lookback
        # Seeded per decision from its signals under the id secret: a decision replayed
        # after a crash draws the same propensities, and no one can predict the draws.
        self.draws = draws or (lambda key: random.Random(keyed_id(policy.id_secret, "draw", key)))
        self._relay_lock = asyncio.Lock()

    def decide(self, moment: Moment, history: CustomerHistory, tallies: Tallies) -> Decision:
        rng = self.draws(":".join(s.id for s in moment.signals) or moment.customer_id)
        return decide(moment, history, self.catalogue, self.policy, tallies, rng, self.clock())

    def _timed(self, moment: Moment, history: CustomerHistory, tallies: Tallies) -> Decision:
        started = time.perf_counter()
        decision = self.decide(moment, history, tallies)
        metrics.DECISION_SECONDS.observe(time.perf_counter() - started)
        return decision

    async def on_signals(
        self, batch: Sequence[tuple[Signal, Sequence[tuple[str, bytes]]]]
    ) -> list[Decision]:
        """Decide a poll's signals in one unit of work, then publish what they made.

        Returns only once every recommendation of these signals is on its topic, so the
        caller may then commit their offsets. A signal seen before (a replay, or a retry
        after a failure) may have left recommendations stored but unpublished: then the
        whole outbox is relayed too.
        """
        headers = {signal.id: passed for signal, passed in batch}
        async with self.repository.deciding() as unit:
            new = await unit.record_signals([signal for signal, _ in batch])
            by_customer: dict[str, list[Signal]] = {}
            for signal in new:
                by_customer.setdefault(signal.customer_id, []).append(signal)
            moments = [Moment.of(signals) for signals in by_customer.values()]
            decisions: list[Decision] = []
            if moments:
                since = min(m.at for m in moments) - self.lookback
                histories = await unit.histories(list(by_customer), since)
                tallies = await unit.tallies()
                decisions = [
                    self._timed(m, histories.get(m.customer_id, CustomerHistory()), tallies)
                    for m in moments
                ]
            to_publish = await unit.save(decisions, self.clock())
        metrics.SIGNALS.labels("new").inc(len(new))
        metrics.SIGNALS.labels("duplicate").inc(len(batch) - len(new))
        for decision in decisions:
            metrics.STRENGTHENED.inc(len(decision.strengthened))
            for made in decision.made:
                rec = made.recommendation
                metrics.RECOMMENDATIONS.labels(rec.channel.value, str(rec.holdout).lower()).inc()
        decided_at = (DECIDED_AT_HEADER, str(int(self.clock().timestamp() * 1000)).encode())
        shown, spans = [], []
        for stored in to_publish:
            passed = _passed(headers, stored)
            # The hop from the signal's stamp until the recommendation is on its topic.
            span = hop_span("actions", passed, stamp_ms(passed, SIGNALLED_AT_HEADER))
            spans.append(span)
            shown.append((stored, [*without_trace(passed), decided_at, *trace_headers(span)]))
        async with self._relay_lock:
            await self._publish(shown)
        for span in spans:
            span.end()
        if len(new) < len(batch):
            await self.relay()
        return decisions

    async def _publish(
        self, items: Sequence[tuple[StoredRecommendation, Sequence[tuple[str, bytes]]]]
    ) -> None:
        """Send every item, wait for all the acks together, then mark them published.

        Desktop recommendations get their desktop position first, so a desktop rung by
        the published message finds them in the store.
        """
        desktop = [
            s.recommendation.id for s, _ in items if s.recommendation.channel.value == "desktop"
        ]
        if desktop:
            await self.repository.assign_desktop_positions(desktop)
        await self.publisher.publish(
            [
                Message(
                    self.topics.recommendations(stored.recommendation.channel.value),
                    stored.recommendation.model_dump_json().encode(),
                    stored.recommendation.customer_id.encode(),
                    [*headers, (SEQ_HEADER, str(stored.seq).encode())],
                )
                for stored, headers in items
            ]
        )
        if items:
            await self.repository.mark_published([s.recommendation.id for s, _ in items])

    async def wake_snoozed(self) -> int:
        """Bring back what agents snoozed until now: open again, published afresh (a new
        desktop position), so every desktop of its queue shows it again."""
        woken = await self.repository.wake_snoozed(self.clock())
        if woken:
            metrics.SNOOZES_WOKEN.inc(len(woken))
            await self.relay()
        return len(woken)

    async def relay(self, headers: Sequence[tuple[str, bytes]] = ()) -> int:
        """Publish every stored but unpublished recommendation and outcome; returns the count."""
        async with self._relay_lock:  # one publisher at a time, so none is sent twice
            published = 0
            while batch := await self.repository.unpublished():
                await self._publish([(stored, headers) for stored in batch])
                published += len(batch)
            while outcomes := await self.repository.unpublished_outcomes():
                await self.publisher.publish(
                    [
                        Message(
                            self.topics.outcomes,
                            o.model_dump_json().encode(),
                            o.customer_id.encode(),
                        )
                        for o in outcomes
                    ]
                )
                await self.repository.mark_outcomes_published([o.id for o in outcomes])
                published += len(outcomes)
            return published

    async def next_best_action(self, customer_id: str) -> NextBestAction:
        """What would be decided for the customer now, from their open issues; nothing
        is stored or published. A held-out customer is told nothing (their decisions are
        never shown)."""
        now = self.clock()
        history = await self.repository.history(customer_id, now - self.lookback)
        moment = asked_moment(customer_id, history, now)
        if moment is None:
            return NextBestAction(
                customer_id=customer_id, at=now, explanation=["No open issue to act on now"]
            )
        decision = self.decide(moment, history, await self.repository.tallies())
        if decision.holdout:
            return NextBestAction(
                customer_id=customer_id, at=now, explanation=["No open issue to act on now"]
            )
        return decision.next_best_action()


__all__ = ["Actions", "RecommendationUnknown"]
