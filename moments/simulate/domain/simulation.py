"""The simulation: a population living through simulated time, as a stream of events.

`Simulation.events()` yields `SimulatedEvent`s in simulated-time order, forever (the
caller stops when it has enough). Behind it is one agenda (a heap) of what happens next:
each customer's next everyday story, their next purchase (at their CDNOW rhythm), each
product's renewal, and the steps of stories under way. Before each everyday story the
customer may decide to leave, with the chance their churn hazard gives; asking to cancel
starts a notice period in which a retention action they take up can win them back, and
at its end the billing system reports the `cancellation.completed`.

`answer` and `respond` close the loop with a decision policy: a customer shown an action
takes it up with their latent propensity, and taking it up relieves their pain.
`contact` does both the way the customer takes it (reception.py): how well the action
fits their moment, how often and how lately they were contacted, on which channel.
Customers in the holdout are never shown anything, so comparing the two groups measures
the policy. Same seed, same population, same start: same events, as long as nothing is
answered (answers depend on what the platform recommends, and when). With
`own_streams`, each customer draws from their own random stream, so a customer whom no
policy reaches lives the same life whatever is done to the others.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from moments.simulate.domain.events import SOURCES, SimulatedEvent
from moments.simulate.domain.mood import chance_of_leaving
from moments.simulate.domain.population import Customer
from moments.simulate.domain.reception import Contact, Reception, receive
from moments.simulate.domain.stories import (
    DAY,
    Life,
    Step,
    cancellation,
    onboarding,
    purchase,
    renewal,
    story_weights,
)
from moments.simulate.domain.stories.steps import Offered

__all__ = ["SOURCES", "SimulatedEvent", "Simulation", "Tally"]

STORIES_PER_DAY = 1 / 12  # an average customer's everyday stories, before pain adds more
NOTICE_DAYS = 14.0
RENEWAL_DAYS = 365.0
# A taken-up action takes this share of the customer's pain away.
RELIEF = {"care.": 0.5, "complaints.": 0.6, "retention.": 0.4, "collections.": 0.5}

# What a customer gives as the reason to leave, after their latest pain of each kind.
CANCELLATION_REASONS = {
    "price_rise": "price",
    "missed_payment": "cost_of_living",
    "life_event": "circumstances_changed",
    "complaint": "service",
    "repeat_contact": "service",
    "abandoned_contact": "service",
    "long_wait": "service",
    "unresolved_contact": "service",
    "failed_self_service": "service",
}


@dataclass(frozen=True)
class Tally:
    customers: int
    active: int
    asked_to_cancel: int
    left: int
    won_back: int
    shown: int
    taken_up: int


class Simulation:
    def __init__(
        self,
        seed: int,
        customers: Sequence[Customer],
        start: float,
        stories_per_day: float = STORIES_PER_DAY,
        own_streams: bool = False,
    ):
        self.seed, self.start, self.stories_per_day = seed, start, stories_per_day
        self.rng = random.Random(f"simulation:{seed}")
        self._streams = (
            {c.id: random.Random(f"simulation:{seed}:{c.id}") for c in customers}
            if own_streams
            else None
        )
        self.lives = {c.id: Life(c) for c in customers}
        self.now = start
        self.shown = 0
        self.taken_up = 0
        self._order = 0
        self._agenda: list[tuple[float, int, str, str, Any]] = []
        self._last_check = {c.id: start for c in customers}
        for c in customers:
            rng = self._rng(c.id)
            self._plan(self._next_story_at(start, c), "story", c.id)
            if c.purchase_rhythm_days < 400:  # one-off buyers rarely come back
                self._plan(
                    start + rng.expovariate(1 / c.purchase_rhythm_days) * DAY, "purchase", c.id
                )
            for product in c.products:
                self._plan(start + rng.uniform(0, RENEWAL_DAYS) * DAY, "renewal", c.id, product)

    def _rng(self, customer_id: str) -> random.Random:
        return self.rng if self._streams is None else self._streams[customer_id]

    def _plan(self, at: float, kind: str, customer_id: str, payload: Any = None) -> None:
        self._order += 1  # ties break by planning order, so the stream is reproducible
        heapq.heappush(self._agenda, (at, self._order, kind, customer_id, payload))

    def _next_story_at(self, at: float, customer: Customer) -> float:
        life = self.lives[customer.id]
        rate = self.stories_per_day * (1 + 0.5 * min(2.0, life.mood.at_time(at).pain))
        return at + self._rng(customer.id).expovariate(rate) * DAY

    def _play(self, life: Life, steps: Sequence[Step], at: float) -> None:
        if not life.onboarded:
            life.onboarded = True
            steps = [*onboarding(self._rng(life.customer.id), life, at), *steps]
        for step in steps:
            self._plan(step.after, "step", life.customer.id, step)

    def _story(self, life: Life, at: float) -> None:
        c, rng = life.customer, self._rng(life.customer.id)
        days = (at - self._last_check[c.id]) / DAY
        self._last_check[c.id] = at
        if life.leaving_at is None and rng.random() < chance_of_leaving(
            c.base_hazard_per_day, life.mood, at, days
        ):
            life.leaving_at = at + NOTICE_DAYS * DAY
            steps = cancellation(rng, life, at)
            self._play(life, steps, at)
            asked = next(s.data for s in steps if s.type == "cancellation.requested")
            self._plan(life.leaving_at, "leave", c.id, asked)
            return
        stories = story_weights(life, at)
        story = rng.choices([s for s, _ in stories], weights=[w for _, w in stories])[0]
        self._play(life, story(rng, life, at), at)
        self._plan(self._next_story_at(at, c), "story", c.id)

    def events(self) -> Iterator[SimulatedEvent]:
        while self._agenda:
            at, _, kind, customer_id, payload = heapq.heappop(self._agenda)
            life = self.lives[customer_id]
            self.now = max(self.now, at)
            if life.left:
                continue
            if kind == "step":
                step: Step = payload
                if step.moment:
                    life.mood = life.mood.felt(step.moment, at, step.scale)
                    life.last_pain = CANCELLATION_REASONS.get(step.moment, life.last_pain)
                    life.remember(step.moment, at, step.about)
                event = SimulatedEvent(
                    at, customer_id, life.events, step.type, step.channel, step.data
                )
                life.events += 1
                yield event
            elif kind == "story":
                if life.leaving_at is None:
                    self._story(life, at)
            elif kind == "purchase":
                if life.leaving_at is None:
                    self._play(life, purchase(self._rng(customer_id), life, at), at)
                rhythm = life.customer.purchase_rhythm_days
                wait = self._rng(customer_id).expovariate(1 / rhythm)
                self._plan(at + wait * DAY, "purchase", customer_id)
            elif kind == "renewal":
                if life.leaving_at is None:
                    self._play(life, renewal(self._rng(customer_id), life, at, payload), at)
                self._plan(at + RENEWAL_DAYS * DAY, "renewal", customer_id, payload)
            elif kind == "leave" and life.leaving_at is not None:
                life.left = True
                data = {"channel": "billing", "product": payload["product"]}
                if payload.get("reason"):
                    data["reason"] = payload["reason"]
                yield SimulatedEvent(
                    at, customer_id, life.events, "cancellation.completed", "billing", data
                )
                life.events += 1

    def answer(
        self, customer_id: str, recommendation_id: str, action_code: str, chance: float = 1.0
    ) -> str:
        """Whether the customer takes up a recommended action: `accepted` or `declined`.

        Drawn from the customer's latent propensity (times `chance`) with a digest of the
        recommendation id, so the same recommendation always gets the same answer.
        """
        life = self.lives.get(customer_id)
        if life is None:
            return "declined"
        digest = hashlib.blake2b(f"{self.seed}/{recommendation_id}".encode(), digest_size=8)
        draw = int.from_bytes(digest.digest(), "big") / 2**64
        return "accepted" if draw < life.customer.propensity(action_code) * chance else "declined"

    def contact(
        self, customer_id: str, recommendation_id: str, action_code: str, channel: str
    ) -> tuple[str, Reception | None]:
        """A recommendation reaches the customer now on `channel`: how it lands
        (reception.py), their answer, and what both do to their mood, folded in."""
        life = self.lives.get(customer_id)
        if life is None or life.left:
            return "declined", None
        reception = receive(life, Contact(action_code, channel, self.now))
        outcome = self.answer(customer_id, recommendation_id, action_code, reception.chance)
        for moment, scale in reception.felt:
            life.mood = life.mood.felt(moment, self.now, scale)
        life.offered(Offered(action_code, channel, self.now, outcome))
        self.respond(customer_id, action_code, outcome, relieves=reception.relieves)
        return outcome, reception

    def respond(
        self, customer_id: str, action_code: str, outcome: str, relieves: bool = True
    ) -> None:
        """Fold an answer into the customer's life: an action taken up relieves pain (if
        it `relieves`: it fits), and a retention action taken up during the notice period
        wins the customer back."""
        life = self.lives.get(customer_id)
        if life is None or life.left:
            return
        self.shown += 1
        if outcome != "accepted":
            return
        self.taken_up += 1
        share = next((s for prefix, s in RELIEF.items() if action_code.startswith(prefix)), 0.3)
        if relieves:
            life.mood = life.mood.relieved(self.now, share)
        if life.leaving_at is not None and action_code.startswith("retention."):
            life.leaving_at = None
            life.won_back = True
            self._plan(self._next_story_at(self.now, life.customer), "story", customer_id)

    def tally(self, customer_ids: Sequence[str] | None = None) -> Tally:
        lives = (
            [self.lives[i] for i in customer_ids]
            if customer_ids is not None
            else list(self.lives.values())
        )
        return Tally(
            customers=len(lives),
            active=sum(1 for life in lives if not life.left),
            asked_to_cancel=sum(
                1 for life in lives if life.leaving_at is not None or life.left or life.won_back
            ),
            left=sum(1 for life in lives if life.left),
            won_back=sum(1 for life in lives if life.won_back),
            shown=self.shown,
            taken_up=self.taken_up,
        )
