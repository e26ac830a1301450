"""One policy played on the seeded population: everything real but the broker and database.

A population (moments/simulate/domain) lives through simulated days, each customer on
their own random stream. Every event goes through signals' real handler (VADER for
sentiment, as the worker runs it); every event's signals are one customer moment for
actions' real handler, `Actions.on_signals`, on the in-memory store (store.py), with the
actions' clock at the event's time. Every recommendation it publishes for the first time
reaches the simulated customer (`Simulation.contact`: how it lands, their answer, their
mood), is checked by the audit (audit.py) and answered back to actions the way the
channel would: an agent's outcome for the desktop, a channel's outcome for email, SMS
and push. What `Actions` then publishes on `outcomes` goes to `Actions.learn` if the
policy learns, as the `outcomes` consumer would. Same arguments, same figures.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from moments.simulate.compare.audit import Audit, Rules
from moments.simulate.compare.policies import Policy
from moments.simulate.compare.store import MemoryStore, Outbox
from moments.simulate.domain.population import build_population
from moments.simulate.domain.simulation import Simulation
from schemas.events import parse_event
from schemas.recommendations import (
    ChannelOutcomeRequest,
    DeclineReason,
    Outcome,
    OutcomeKind,
    OutcomeRequest,
    Recommendation,
)
from schemas.topics import Topics
from services.actions.domain.decisioning.catalogue import Catalogue
from services.actions.domain.desktop import Agent
from services.actions.handlers import Actions

if TYPE_CHECKING:
    from schemas.customers import CustomerRecord
    from services.signals.handlers import Handled

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
DAY_S = 86400.0
TOPICS = Topics()
AGENT = Agent("simulated-agent", "An agent of the simulation", ())
CHANNEL_KEY = "simulated-channel"


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    about: str
    customers: int
    retained: int  # still with us at the end
    retention: float
    contacts: int  # recommendations that reached a customer
    contacts_per_retained: float
    accepted: int
    declined: int
    complaints: int  # complaint.filed events
    consent_breaches: int
    cap_breaches: int
    vulnerable_not_human: int  # customers flagged vulnerable reached other than by a person
    sales_to_vulnerable: int
    health: float  # mean relationship health at the end, of the customers still with us
    health_everyone: float  # the same over every customer, those who left included
    asked_to_cancel: int
    won_back: int
    events: int
    decisions: int
    landed_badly: dict[str, int] = field(default_factory=dict)  # what contacts made them feel


class Clock:
    """actions' clock, at the simulated time of the event being handled."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def play(
    policy: Policy,
    catalogue: Catalogue,
    seed: int,
    customers: int,
    days: float,
    sentiment: Callable[[str], float],
    tick: Callable[[float], None] = lambda day: None,
) -> PolicyResult:
    """Play `policy` for `days` simulated days; `tick(day)` as it starts (day 0) and as
    each simulated day ends."""
    from moments.simulate.datasets import purchase_histories, tenure_records
    from services.signals.handlers import SignalsHandler

    population = build_population(seed, customers, purchase_histories(), tenure_records(), "eval")
    start = START.timestamp()
    end = start + days * DAY_S
    simulation = Simulation(seed, population, start, own_streams=True)
    handler = SignalsHandler(sentiment)
    store, outbox, clock = MemoryStore(), Outbox(), Clock()
    actions = Actions(store, outbox, TOPICS, catalogue, policy.contact, clock=clock)
    audit = Audit(Rules.shipped())
    states: dict[str, bytes] = {}
    reached: set[str] = set()
    answers: Counter[str] = Counter()
    felt: Counter[str] = Counter()
    events = complaints = 0
    day = 0
    tick(day)
    for simulated in simulation.events():
        if simulated.at > end:
            break
        while simulated.at >= start + (day + 1) * DAY_S:
            day += 1
            tick(day)
        events += 1
        complaints += simulated.type == "complaint.filed"
        customer_id = simulated.customer_id
        audit.told(customer_id, simulated.type, simulated.data)
        event = parse_event(simulated.cloudevent(seed))
        handled = handler.handle(states.get(customer_id), event, event.time)
        if handled.state is None:
            continue
        states[customer_id] = handled.state
        if handled.signals:
            clock.now = event.time
            await actions.on_signals([(signal, ()) for signal in handled.signals])
            for rec in _first_sent(outbox, reached):
                audit.sent(customer_id, rec.action.code, rec.channel.value, simulated.at)
                outcome, reception = simulation.contact(
                    customer_id, rec.id, rec.action.code, rec.channel.value
                )
                if reception is None:  # they have left: no one answers
                    answers["unanswered"] += 1
                    continue
                answers[outcome] += 1
                felt.update(moment for moment, _ in reception.felt)
                await _answer(actions, rec, outcome, reception.fits)
            lessons = _outcomes(outbox)
            if lessons and policy.learns:
                await actions.learn(lessons)
        store.keep_record(customer_id, _record_of(handled))
    while day < days:
        day += 1
        tick(day)
    return _result(policy, simulation, store, audit, states, answers, felt, events, complaints, end)


def _record_of(handled: Handled) -> Callable[[], CustomerRecord | None]:
    """The customer's record after this event, built only if a decision reads it."""
    return lambda: handled.customer


def _first_sent(outbox: Outbox, reached: set[str]) -> list[Recommendation]:
    """The recommendations published for the first time (an updated desktop card is the
    same recommendation again, not another contact)."""
    new = []
    for message in outbox.take():
        if message.topic == TOPICS.outcomes:
            outbox.sent.append(message)  # left for `_outcomes`
            continue
        rec = Recommendation.model_validate_json(message.value)
        if rec.id not in reached:
            reached.add(rec.id)
            new.append(rec)
    return new


def _outcomes(outbox: Outbox) -> list[Outcome]:
    return [
        Outcome.model_validate_json(m.value) for m in outbox.take() if m.topic == TOPICS.outcomes
    ]


async def _answer(actions: Actions, rec: Recommendation, outcome: str, fitting: bool) -> None:
    kind = OutcomeKind(outcome)
    reason = None
    if kind is OutcomeKind.declined:  # what the agent or the channel records as the why
        reason = DeclineReason.customer_not_interested if fitting else DeclineReason.not_relevant
    if rec.channel.value == "desktop":
        await actions.record_outcome(rec.id, OutcomeRequest(outcome=kind, reason=reason), AGENT)
    else:
        request = ChannelOutcomeRequest(
            id=f"sim-{rec.id}", recommendation_id=rec.id, outcome=kind, reason=reason
        )
        await actions.record_channel_outcome(request, CHANNEL_KEY)


def _result(
    policy: Policy,
    simulation: Simulation,
    store: MemoryStore,
    audit: Audit,
    states: dict[str, bytes],
    answers: Counter[str],
    felt: Counter[str],
    events: int,
    complaints: int,
    end: float,
) -> PolicyResult:
    from services.signals.domain.health import relationship_health
    from services.signals.domain.state import CustomerState

    at = datetime.fromtimestamp(end, UTC)
    retained, everyone = [], []
    for customer_id, life in simulation.lives.items():
        state = CustomerState.load(states.get(customer_id))
        score = relationship_health(
            state.health, state.profile.get("value_tier"), state.first_seen, state.history, at
        ).score
        everyone.append(score)
        if not life.left:
            retained.append(score)
    tally = simulation.tally()
    contacts = answers["accepted"] + answers["declined"] + answers["unanswered"]
    breaches = audit.breaches
    return PolicyResult(
        policy=policy.name,
        about=policy.about,
        customers=tally.customers,
        retained=tally.active,
        retention=round(tally.active / max(1, tally.customers), 4),
        contacts=contacts,
        contacts_per_retained=round(contacts / max(1, tally.active), 3),
        accepted=answers["accepted"],
        declined=answers["declined"],
        complaints=complaints,
        consent_breaches=breaches.consent,
        cap_breaches=breaches.caps,
        vulnerable_not_human=len(breaches.vulnerable_reached),
        sales_to_vulnerable=breaches.sales_to_vulnerable,
        health=round(statistics.fmean(retained), 2) if retained else 0.0,
        health_everyone=round(statistics.fmean(everyone), 2) if everyone else 0.0,
        asked_to_cancel=tally.asked_to_cancel,
        won_back=tally.won_back,
        events=events,
        decisions=store.decisions,
        landed_badly=dict(sorted(felt.items())),
    )
