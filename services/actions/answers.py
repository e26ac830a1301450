"""What actions does with an outcome: an agent's (with the path through the script and
its follow-on), a channel's, and the lessons learned from both.

`Actions` (handlers.py) is built on `OutcomeHandling`; the methods here use its store,
publisher, catalogue, policy and clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from schemas.recommendations import ActionChannel, ChannelOutcomeRequest, Outcome, OutcomeRequest
from services.actions import metrics
from services.actions.domain.decisioning.catalogue import Catalogue
from services.actions.domain.decisioning.contact_policy import ContactPolicy
from services.actions.domain.decisioning.follow_on import follow_on
from services.actions.domain.decisioning.learning import reward
from services.actions.domain.decisioning.scripts import walk
from services.actions.domain.desktop import Agent, StoredRecommendation
from services.actions.ports import Learned, Lesson, RecommendationStore
from services.plumbing.ids import stable_id

log = logging.getLogger(__name__)


class RecommendationUnknown(LookupError):
    pass


class OutcomeHandling:
    repository: RecommendationStore
    catalogue: Catalogue
    policy: ContactPolicy
    clock: Callable[[], datetime]
    lookback: timedelta

    async def relay(self) -> int:
        """Publish what is stored and unpublished (Actions.relay, the outbox)."""
        raise NotImplementedError("OutcomeHandling is the base of Actions, which relays")

    async def record_outcome(
        self, recommendation_id: str, request: OutcomeRequest, agent: Agent
    ) -> Outcome:
        """Store what the agent did (with the path through the guide) and publish it; a
        path that ends on a leaf with a follow-on recommends that action next."""
        stored = await self.repository.get(recommendation_id)
        if stored is None:
            raise RecommendationUnknown(recommendation_id)
        rec = stored.recommendation
        leaf = walk(rec.action.guide, request.path) if rec.action.guide is not None else None
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
            channel=ActionChannel.desktop,  # where it came from: the agent's desktop
        )
        if await self.repository.record_outcome(outcome):
            metrics.OUTCOMES.labels(outcome.outcome.value).inc()
            if leaf is not None and leaf.follow_on is not None:
                await self._follow_on(stored, leaf.follow_on, request)
        await self.relay()
        return outcome

    async def _follow_on(
        self, stored: StoredRecommendation, code: str, request: OutcomeRequest
    ) -> None:
        entry = self.catalogue.entry(code)
        if entry is None:
            log.warning(
                "follow-on %s of %s is not in the catalogue", code, stored.recommendation.id
            )
            return
        now = self.clock()
        history = await self.repository.history(
            stored.recommendation.customer_id, now - self.lookback
        )
        if history.record is not None:
            profile = history.record.profile
        elif history.signals:
            profile = history.signals[-1].customer
        else:
            return
        source = stored.recommendation
        moment_at = next(
            (r.moment_at for r in history.recommendations if r.recommendation.id == source.id),
            None,
        )
        made = follow_on(source, entry, request.path, profile, self.policy, now, moment_at)
        if made is not None:
            async with self.repository.deciding() as unit:
                await unit.add([made])

    async def record_channel_outcome(self, request: ChannelOutcomeRequest, key_id: str) -> Outcome:
        """Store what a customer did with a recommendation a channel sent, and publish it."""
        stored = await self.repository.get(request.recommendation_id)
        if stored is None or stored.recommendation.holdout:
            raise RecommendationUnknown(request.recommendation_id)
        rec = stored.recommendation
        outcome = Outcome(
            id=stable_id("out", rec.id, key_id, request.id),
            recommendation_id=rec.id,
            customer_id=rec.customer_id,
            action_code=rec.action.code,
            outcome=request.outcome,
            note=request.note,
            recorded_at=self.clock(),
            reason=request.reason,
            snooze_until=request.snooze_until,
            channel=rec.channel,
        )
        if await self.repository.record_outcome(outcome):
            metrics.OUTCOMES.labels(outcome.outcome.value).inc()
        await self.relay()
        return outcome

    async def learn(self, outcomes: Sequence[Outcome]) -> Learned:
        """Learn from outcomes read on `outcomes`: each recommendation teaches once."""
        learned = await self.repository.learn(
            [Lesson(o, reward(o.outcome, o.reason)) for o in outcomes]
        )
        metrics.LEARNED.labels("new").inc(learned.learned)
        metrics.LEARNED.labels("replayed").inc(learned.already)
        if learned.unknown:
            raise RecommendationUnknown(", ".join(learned.unknown))
        return learned
