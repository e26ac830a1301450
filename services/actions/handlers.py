"""What actions does with a signal and with an outcome, independent of HTTP and Kafka loops.

`on_signal` stores the signal once, decides, stores the recommendations, then publishes
them (the outbox: `relay` publishes whatever a crash left unpublished). `record_outcome`
stores what the agent did and publishes it to `outcomes`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from schemas.recommendations import Outcome, OutcomeRequest, Recommendation
from schemas.signals import Signal
from services.actions.adapters.repository import Agent, Repository
from services.actions.domain.catalogue import CatalogueEntry
from services.actions.domain.policy import ContactPolicy, decide
from services.plumbing.ids import stable_id
from services.plumbing.kafka import DECIDED_AT_HEADER, INGESTED_AT_HEADER, SIGNALLED_AT_HEADER
from services.plumbing.topics import Topics

log = logging.getLogger(__name__)

SEQ_HEADER = "moments_seq"
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

    async def on_signal(
        self, signal: Signal, headers: Sequence[tuple[str, bytes]] = ()
    ) -> list[Recommendation]:
        now = self.clock()
        new, made = await self.repository.record_signal_and_decide(
            signal,
            lambda recent: decide(signal, self.catalogue, self.policy, recent, now),
            since=now - timedelta(days=1),
        )
        SIGNALS.labels("new" if new else "duplicate").inc()
        for rec in made:
            RECOMMENDATIONS.labels(rec.channel.value, str(rec.holdout).lower()).inc()
        passed = [(n, v) for n, v in headers if n in _PASSED_HEADERS]
        passed.append((DECIDED_AT_HEADER, str(int(time.time() * 1000)).encode()))
        # Publish whatever of this signal is still unpublished, including after a crash.
        await self.relay(passed)
        return made

    async def relay(self, headers: Sequence[tuple[str, bytes]] = ()) -> int:
        """Publish every stored but unpublished recommendation and outcome; returns the count."""
        async with self._relay_lock:  # one publisher at a time, so none is sent twice
            return await self._relay(headers)

    async def _relay(self, headers: Sequence[tuple[str, bytes]]) -> int:
        published = 0
        while batch := await self.repository.unpublished():
            for stored in batch:
                rec = stored.recommendation
                await self.producer.send_and_wait(
                    self.topics.recommendations(rec.channel.value),
                    rec.model_dump_json().encode(),
                    key=rec.customer_id.encode(),
                    headers=[*headers, (SEQ_HEADER, str(stored.seq).encode())],
                )
            await self.repository.mark_published([s.recommendation.id for s in batch])
            published += len(batch)
        while outcomes := await self.repository.unpublished_outcomes():
            for outcome in outcomes:
                await self.producer.send_and_wait(
                    self.topics.outcomes,
                    outcome.model_dump_json().encode(),
                    key=outcome.customer_id.encode(),
                )
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
        )
        if await self.repository.record_outcome(outcome):
            OUTCOMES.labels(outcome.outcome.value).inc()
        await self.relay()
        return outcome
