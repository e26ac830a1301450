"""What actions does with a signal and with an outcome, independent of HTTP and Kafka loops.

`on_signals` stores a batch of signals once each, decides, stores the recommendations in
one transaction, then publishes them (the outbox: `relay` publishes whatever a crash or a
failed publish left unpublished). `record_outcome` stores what the agent did and
publishes it to `outcomes`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from schemas.headers import DECIDED_AT_HEADER, INGESTED_AT_HEADER, SEQ_HEADER, SIGNALLED_AT_HEADER
from schemas.recommendations import ActionChannel, Outcome, OutcomeRequest, Recommendation
from schemas.signals import Signal
from schemas.topics import Topics
from services.actions.adapters.repository import Repository
from services.actions.domain.catalogue import CatalogueEntry
from services.actions.domain.desktop import Agent, StoredRecommendation
from services.actions.domain.policy import ContactPolicy, decide
from services.plumbing.ids import stable_id

log = logging.getLogger(__name__)

SIGNALS = Counter("moments_actions_signals", "Signals received", ["outcome"])
RECOMMENDATIONS = Counter(
    "moments_actions_recommendations", "Recommendations made", ["channel", "holdout"]
)
OUTCOMES = Counter("moments_actions_outcomes", "Outcomes recorded", ["outcome"])
_PASSED_HEADERS = (INGESTED_AT_HEADER, SIGNALLED_AT_HEADER)


class RecommendationUnknown(LookupError):
    pass


class Actions:
    def __init__(
        self,
        repository: Repository,
        producer: AIOKafkaProducer,
        topics: Topics,
        catalogue: list[CatalogueEntry],
        policy: ContactPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.repository, self.producer, self.topics = repository, producer, topics
        self.catalogue, self.policy, self.clock = catalogue, policy, clock
        self._relay_lock = asyncio.Lock()

    async def on_signals(
        self, batch: Sequence[tuple[Signal, Sequence[tuple[str, bytes]]]]
    ) -> list[Recommendation]:
        """Decide a batch of signals in one transaction, then publish what they made.

        Returns only once every recommendation of these signals is on its topic, so the
        caller may then commit their offsets. A signal seen before (a replay, or a retry
        after a failure) may have left recommendations stored but unpublished: then the
        whole outbox is relayed too.
        """
        now = self.clock()
        headers = {signal.id: passed for signal, passed in batch}
        decided = await self.repository.record_signals_and_decide(
            [signal for signal, _ in batch],
            lambda signal, recent: decide(signal, self.catalogue, self.policy, recent, now),
            since=now - timedelta(days=1),
        )
        SIGNALS.labels("new").inc(decided.new_signals)
        SIGNALS.labels("duplicate").inc(decided.known_signals)
        for _, stored in decided.made:
            rec = stored.recommendation
            RECOMMENDATIONS.labels(rec.channel.value, str(rec.holdout).lower()).inc()
        decided_at = (DECIDED_AT_HEADER, str(int(time.time() * 1000)).encode())
        shown = [
            (stored, [*(h for h in headers[signal.id] if h[0] in _PASSED_HEADERS), decided_at])
            for signal, stored in decided.made
            if not stored.recommendation.holdout
        ]
        async with self._relay_lock:
            await self._publish(shown)
        if decided.known_signals:
            await self.relay()
        return [stored.recommendation for _, stored in decided.made]

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
        acks = []
        for stored, headers in items:
            rec = stored.recommendation
            acks.append(
                await self.producer.send(
                    self.topics.recommendations(rec.channel.value),
                    rec.model_dump_json().encode(),
                    key=rec.customer_id.encode(),
                    headers=[*headers, (SEQ_HEADER, str(stored.seq).encode())],
                )
            )
        await asyncio.gather(*acks)
        if items:
            await self.repository.mark_published([s.recommendation.id for s, _ in items])

    async def relay(self, headers: Sequence[tuple[str, bytes]] = ()) -> int:
        """Publish every stored but unpublished recommendation and outcome; returns the count."""
        async with self._relay_lock:  # one publisher at a time, so none is sent twice
            return await self._relay(headers)

    async def _relay(self, headers: Sequence[tuple[str, bytes]]) -> int:
        published = 0
        while batch := await self.repository.unpublished():
            await self._publish([(stored, headers) for stored in batch])
            published += len(batch)
        while outcomes := await self.repository.unpublished_outcomes():
            acks = [
                await self.producer.send(
                    self.topics.outcomes,
                    outcome.model_dump_json().encode(),
                    key=outcome.customer_id.encode(),
                )
                for outcome in outcomes
            ]
            await asyncio.gather(*acks)
            await self.repository.mark_outcomes_published([o.id for o in outcomes])
            published += len(outcomes)
        return published

    async def record_outcome(
        self, recommendation_id: str, request: OutcomeRequest, agent: Agent
    ) -> Outcome:
        stored = await self.repository.get(recommendation_id)
        if stored is None:
            raise RecommendationUnknown(recommendation_id)
        rec = stored.recommendation
        outcome = Outcome(
            id=stable_id("out", rec.id, request.outcome.value, agent.id, request.note or ""),
            recommendation_id=rec.id,
            customer_id=rec.customer_id,
            action_code=rec.action.code,
            outcome=request.outcome,
            note=request.note,
            agent_id=agent.id,
            recorded_at=self.clock(),
            reason=request.reason,
            snooze_until=request.snooze_until,
            path=request.path,
            channel=ActionChannel.desktop,
        )
        if await self.repository.record_outcome(outcome):
            OUTCOMES.labels(outcome.outcome.value).inc()
        await self.relay()
        return outcome
